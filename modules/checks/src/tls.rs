//! TLS certificates: a handshake verified within the timeout (rustls; webpki roots or a CA file)
//! and the leaf certificate's time to expiry, or the dates of a PEM certificate on disk.
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use vitals::{CheckOutcome, HealthChecker};
use x509_cert::der::Decode;

/// A checker of one TLS certificate, served or on disk (see [`tls()`], [`tls_file()`]).
#[derive(Debug, Clone)]
pub struct TlsCheck {
    name: String,
    source: Source,
    timeout: Duration,
    degraded_within: Duration,
    ca_file: Option<PathBuf>,
    server_name: Option<String>,
}

#[derive(Debug, Clone)]
enum Source {
    Served(String),
    File(PathBuf),
}

/// A check named `tls` of the certificate served at `target` (`host:port`; `host` alone means
/// port 443): healthy when a handshake completes within 1 s (see
/// [`timeout`](TlsCheck::timeout)) with the certificate verified against the webpki roots (see
/// [`ca_file`](TlsCheck::ca_file)) for the target's host (see
/// [`server_name`](TlsCheck::server_name)), and the leaf expires in more than 14 days;
/// degraded within 14 days of expiry (see [`degraded_within`](TlsCheck::degraded_within));
/// unhealthy when it is expired, not yet valid, untrusted (the rustls error named), or cannot be
/// reached. Details `expires_in_seconds` (negative once expired), `not_after` (RFC 3339),
/// `subject` and `issuer` (RFC 4514) whenever a certificate was read.
///
/// ```
/// use std::time::Duration;
/// use vitals::CheckerExt;
/// let api = vitals_module_checks::tls("api.internal:443")
///     .ca_file("/etc/ssl/internal-ca.pem")
///     .degraded_within(Duration::from_secs(30 * 86_400))
///     .named("api-cert")
///     .non_critical();
/// ```
pub fn tls(target: impl Into<String>) -> TlsCheck {
    check(Source::Served(target.into()))
}

/// A check named `tls` of the first certificate of the PEM file at `path`: its dates only (no
/// chain is verified), judged like [`tls()`]; unhealthy when the file cannot be read or holds
/// no certificate.
///
/// ```
/// use vitals::CheckerExt;
/// let cert = vitals_module_checks::tls_file("/etc/app/tls/cert.pem").named("app-cert");
/// ```
pub fn tls_file(path: impl Into<PathBuf>) -> TlsCheck {
    check(Source::File(path.into()))
}

fn check(source: Source) -> TlsCheck {
    TlsCheck {
        name: "tls".into(),
        source,
        timeout: Duration::from_secs(1),
        degraded_within: Duration::from_secs(14 * 86_400),
        ca_file: None,
        server_name: None,
    }
}

impl TlsCheck {
    /// The check's name. Defaults to `tls`.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Bound of one run: connection and handshake, or reading the file. Defaults to 1 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Degraded when the certificate expires within this. Defaults to 14 days.
    pub fn degraded_within(mut self, within: Duration) -> Self {
        self.degraded_within = within;
        self
    }

    /// Trusts the CA certificates of this PEM file instead of the webpki roots (read at every
    /// run; unreadable is unhealthy).
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_file = Some(path.into());
        self
    }

    /// The name the certificate must be valid for (and sent as SNI). Defaults to the target's
    /// host.
    pub fn server_name(mut self, name: impl Into<String>) -> Self {
        self.server_name = Some(name.into());
        self
    }

    fn shown(&self) -> String {
        match &self.source {
            Source::Served(target) => target.clone(),
            Source::File(path) => path.display().to_string(),
        }
    }

    /// The leaf certificate and, when it was refused, why.
    async fn read(&self) -> Result<(Vec<u8>, Option<rustls::Error>), String> {
        match &self.source {
            Source::File(path) => {
                let pem = pem(path).await?;
                let first = CertificateDer::pem_slice_iter(&pem).next();
                match first {
                    Some(Ok(cert)) => Ok((cert.to_vec(), None)),
                    Some(Err(e)) => Err(format!("not a PEM certificate: {e}")),
                    None => Err("no certificate in the file".into()),
                }
            }
            Source::Served(target) => self.handshake(target).await,
        }
    }

    async fn handshake(&self, target: &str) -> Result<(Vec<u8>, Option<rustls::Error>), String> {
        let (host, addr) = split(target);
        let name = self.server_name.clone().unwrap_or(host);
        let name =
            ServerName::try_from(name.clone()).map_err(|e| format!("server name {name:?}: {e}"))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = RootCertStore::empty();
        match &self.ca_file {
            None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
            Some(path) => {
                let shown = path.display();
                let pem = pem(path)
                    .await
                    .map_err(|e| format!("CA file {shown}: {e}"))?;
                for cert in CertificateDer::pem_slice_iter(&pem) {
                    let cert = cert.map_err(|e| format!("CA file {shown}: {e}"))?;
                    roots
                        .add(cert)
                        .map_err(|e| format!("CA file {shown}: {e}"))?;
                }
            }
        }
        let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|e| e.to_string())?;
        let capture = Arc::new(Capture {
            inner,
            leaf: Mutex::new(None),
        });
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .dangerous()
            .with_custom_certificate_verifier(capture.clone())
            .with_no_client_auth();
        let tcp = tokio::net::TcpStream::connect(addr.as_str())
            .await
            .map_err(|e| e.to_string())?;
        let done = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await;
        let leaf = capture.leaf.lock().expect("not poisoned").take();
        match (done, leaf) {
            (Ok(_), Some(leaf)) => Ok((leaf, None)),
            (Ok(_), None) => Err("no certificate presented".into()),
            (Err(e), leaf) => {
                let refused = e
                    .get_ref()
                    .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                    .cloned();
                match (refused, leaf) {
                    (Some(refused), Some(leaf)) => Ok((leaf, Some(refused))),
                    _ => Err(format!("handshake: {e}")),
                }
            }
        }
    }

    fn judge(&self, der: &[u8], refused: Option<rustls::Error>) -> CheckOutcome {
        let shown = self.shown();
        let cert = match x509_cert::Certificate::from_der(der) {
            Ok(cert) => cert,
            Err(e) => return CheckOutcome::unhealthy(format!("tls {shown}: certificate: {e}")),
        };
        let tbs = cert.tbs_certificate();
        let validity = tbs.validity();
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        let (from, until) = (
            validity.not_before.to_unix_duration(),
            validity.not_after.to_unix_duration(),
        );
        let left = until.as_secs() as i64 - now.as_secs() as i64;
        let not_after = validity.not_after.to_string();
        let outcome = if now < from {
            CheckOutcome::unhealthy(format!(
                "tls {shown}: certificate not valid before {} (in {})",
                validity.not_before,
                span((from - now).as_secs())
            ))
        } else if left <= 0 {
            CheckOutcome::unhealthy(format!(
                "tls {shown}: certificate expired {} ago (not after {not_after})",
                span(left.unsigned_abs())
            ))
        } else if let Some(refused) = refused {
            CheckOutcome::unhealthy(format!("tls {shown}: {refused}"))
        } else if (left as u64) < self.degraded_within.as_secs() {
            CheckOutcome::degraded(format!(
                "tls {shown}: certificate expires in {}",
                span(left as u64)
            ))
        } else {
            CheckOutcome::healthy()
        };
        outcome
            .with_detail("expires_in_seconds", left)
            .with_detail("not_after", not_after)
            .with_detail("subject", tbs.subject().to_string())
            .with_detail("issuer", tbs.issuer().to_string())
    }
}

/// Largest PEM file read: a bundle of every public root CA is about 250 KiB.
const PEM_LIMIT: u64 = 4 << 20;

/// The content of the PEM file at `path`, a regular file of at most [`PEM_LIMIT`] bytes: a FIFO
/// or a device (`/dev/zero`) would hold a blocking thread, reading or waiting, past the run.
async fn pem(path: &Path) -> Result<Vec<u8>, String> {
    let meta = tokio::fs::metadata(path).await.map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    if meta.len() > PEM_LIMIT {
        return Err(format!("larger than {} MiB", PEM_LIMIT >> 20));
    }
    tokio::fs::read(path).await.map_err(|e| e.to_string())
}

/// `host:port` (or `[v6]:port`, or a host alone for port 443) as the host and the address to
/// connect to.
fn split(target: &str) -> (String, String) {
    if let Some(rest) = target.strip_prefix('[')
        && let Some((host, tail)) = rest.split_once(']')
    {
        let addr = if tail.is_empty() {
            format!("[{host}]:443")
        } else {
            target.to_owned()
        };
        return (host.to_owned(), addr);
    }
    match target.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && port.parse::<u16>().is_ok() => {
            (host.to_owned(), target.to_owned())
        }
        Some(_) => (target.to_owned(), format!("[{target}]:443")),
        None => (target.to_owned(), format!("{target}:443")),
    }
}

/// `secs` in the largest unit that keeps it at two or more: `3 days`, `47 hours`, `5 minutes`.
fn span(secs: u64) -> String {
    let (n, unit) = match secs {
        s if s >= 2 * 86_400 => (s / 86_400, "days"),
        s if s >= 2 * 3_600 => (s / 3_600, "hours"),
        s if s >= 2 * 60 => (s / 60, "minutes"),
        s => (s, "seconds"),
    };
    if n == 1 {
        format!("1 {}", unit.trim_end_matches('s'))
    } else {
        format!("{n} {unit}")
    }
}

/// The webpki verifier, keeping the leaf it was shown so that a refused certificate's dates are
/// still reported.
#[derive(Debug)]
struct Capture {
    inner: Arc<WebPkiServerVerifier>,
    leaf: Mutex<Option<Vec<u8>>>,
}

impl ServerCertVerifier for Capture {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        *self.leaf.lock().expect("not poisoned") = Some(end_entity.to_vec());
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

#[async_trait::async_trait]
impl HealthChecker for TlsCheck {
    fn name(&self) -> &str {
        &self.name
    }

    async fn check(&self) -> CheckOutcome {
        let shown = self.shown();
        match tokio::time::timeout(self.timeout, self.read()).await {
            Err(_) => CheckOutcome::unhealthy(format!(
                "tls {shown}: no certificate within {:?}",
                self.timeout
            )),
            Ok(Err(e)) => CheckOutcome::unhealthy(format!("tls {shown}: {e}")),
            Ok(Ok((der, refused))) => self.judge(&der, refused),
        }
    }
}
