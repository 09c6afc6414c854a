//! A throwaway certificate authority made with the `openssl` command line (certificates
//! backdated or postdated with `faketime`), and `openssl s_server` serving one of its leaves on
//! a free loopback port.
use crate::process::{ChildGuard, free_addr};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// A CA (`ca.pem`, `ca.key`) in a directory of its own, removed when dropped.
pub struct TempPki {
    dir: PathBuf,
}

/// The extensions of every leaf: a server certificate for `localhost` and `127.0.0.1`.
const LEAF_EXT: &str = "basicConstraints=critical,CA:FALSE\n\
    keyUsage=critical,digitalSignature\n\
    extendedKeyUsage=serverAuth\n\
    subjectAltName=DNS:localhost,IP:127.0.0.1\n";

impl TempPki {
    /// Makes a CA (`CN=Vitals Test CA`, P-256, valid ten years) in a new temp directory.
    pub fn new() -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "vitals-pki-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("leaf.ext"), LEAF_EXT).unwrap();
        std::fs::write(
            dir.join("ca.cnf"),
            "[req]\ndistinguished_name=dn\nx509_extensions=ca\n[dn]\n\
             [ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n\
             subjectKeyIdentifier=hash\n",
        )
        .unwrap();
        let pki = Self { dir };
        pki.openssl(
            None,
            "req -x509 -config ca.cnf -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
             -keyout ca.key -out ca.pem -days 3650",
            &["-subj", "/CN=Vitals Test CA"],
        );
        pki
    }

    /// The CA certificate (PEM).
    pub fn ca(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// A leaf `CN=<name>` signed by the CA, valid `days` from its signing time, which is now or,
    /// with `faketime`, what `date -d` reads in `signed_at` (`"10 days ago"`, `"5 days"`).
    /// Returns the certificate and key paths (`<name>.pem`, `<name>.key`).
    pub fn leaf(&self, name: &str, days: u32, signed_at: Option<&str>) -> (PathBuf, PathBuf) {
        let (key, csr, pem) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.pem"),
        );
        self.openssl(
            None,
            "req -new -config ca.cnf -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes",
            &[
                "-keyout",
                &key,
                "-out",
                &csr,
                "-subj",
                &format!("/CN={name}"),
            ],
        );
        self.openssl(
            signed_at,
            "x509 -req -CA ca.pem -CAkey ca.key -CAcreateserial -extfile leaf.ext",
            &["-in", &csr, "-out", &pem, "-days", &days.to_string()],
        );
        (self.dir.join(pem), self.dir.join(key))
    }

    /// Runs `openssl <command> <args>` in the directory, under `faketime <signed_at>` if given.
    fn openssl(&self, signed_at: Option<&str>, command: &str, args: &[&str]) {
        let mut cmd = match signed_at {
            Some(at) => {
                let mut c = Command::new("faketime");
                c.arg(at).arg("openssl");
                c
            }
            None => Command::new("openssl"),
        };
        let out = cmd
            .args(command.split_whitespace())
            .args(args)
            .current_dir(&self.dir)
            .output()
            .expect("openssl and faketime are required (scripts/test.sh installs them)");
        assert!(
            out.status.success(),
            "openssl {command} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Default for TempPki {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TempPki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `openssl s_server -www` serving `cert` (with `key`) on a free loopback port, once the port
/// accepts connections and the server still runs (started again on another port if it exits:
/// a port another process took first); the address it listens on.
pub fn tls_server(cert: &Path, key: &Path) -> (ChildGuard, SocketAddr) {
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    for _ in 0..5 {
        let addr = free_addr();
        let accept = addr.to_string();
        let mut child = ChildGuard::spawn_quiet(
            "openssl",
            &[
                "s_server", "-accept", &accept, "-cert", cert, "-key", key, "-www", "-quiet",
            ],
        );
        if child.wait_for_ports(&[addr.port()], "openssl s_server", Duration::from_secs(10)) {
            return (child, addr);
        }
    }
    panic!("openssl s_server exited at start five times");
}
