//! `GET /metrics`: Prometheus text format 0.0.4, gzip on request, a deadline taken from
//! Prometheus' scrape-timeout header, a limit on concurrent scrapes, and a count of its own answers.
use crate::{AccessPolicy, Refusal};
use actix_web::http::StatusCode;
use actix_web::http::header::WWW_AUTHENTICATE;
use actix_web::http::header::{
    AcceptEncoding, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ContentEncoding, Encoding,
    Header,
};
use actix_web::{HttpRequest, HttpResponse, web};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use vitals::metrics::CounterFamily;
use vitals_prometheus::{Exposition, TEXT_CONTENT_TYPE};

/// Header in which Prometheus sends its scrape timeout, in seconds.
pub const SCRAPE_TIMEOUT_HEADER: &str = "x-prometheus-scrape-timeout-seconds";

/// Settings of `/metrics`: one value, defaults defined here once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScrapeSettings {
    /// Most concurrent scrapes; more get 503. Defaults to 10.
    pub max_concurrent: usize,
    /// Deadline for scrapers that send no `X-Prometheus-Scrape-Timeout-Seconds`. Defaults to
    /// 10 s.
    pub default_deadline: Duration,
}

impl Default for ScrapeSettings {
    fn default() -> Self {
        Self {
            max_concurrent: 10,
            default_deadline: Duration::from_secs(10),
        }
    }
}

/// What `/metrics` needs.
#[derive(Clone)]
pub struct MetricsState {
    exposition: Arc<Exposition>,
    limiter: Arc<Semaphore>,
    requests: CounterFamily,
    default_deadline: Duration,
    access: AccessPolicy,
}

impl MetricsState {
    /// `/metrics` over `exposition` with `settings`. Registers
    /// `vitals_prometheus_handler_requests_total{code}`.
    ///
    /// # Errors
    /// [`vitals::Error::DuplicateMetric`] when built twice on one registry.
    pub fn new(
        exposition: Arc<Exposition>,
        settings: &ScrapeSettings,
        access: AccessPolicy,
    ) -> Result<Self, vitals::Error> {
        let requests = exposition.recorder().metrics().counter_vec(
            "vitals_prometheus_handler_requests_total",
            "Answers of the /metrics handler, by HTTP status code.",
            &["code"],
        )?;
        for code in ["200", "400", "401", "403", "500", "503"] {
            requests.with_label_values(&[code]);
        }
        Ok(Self {
            exposition,
            limiter: Arc::new(Semaphore::new(settings.max_concurrent.max(1))),
            requests,
            default_deadline: settings.default_deadline,
            access,
        })
    }
}

/// The scrape deadline: the header's timeout less a margin (250 ms, at most half the timeout).
pub(crate) fn deadline(req: &HttpRequest, default: Duration) -> Result<Duration, String> {
    let Some(raw) = req.headers().get(SCRAPE_TIMEOUT_HEADER) else {
        return Ok(default);
    };
    let text = raw.to_str().unwrap_or("");
    match text.trim().parse::<f64>() {
        // At least a millisecond: a smaller value (even a subnormal one, found by fuzzing) would
        // make a zero deadline.
        Ok(secs) if secs.is_finite() && secs >= 0.001 => {
            let timeout = Duration::from_secs_f64(secs.min(3600.0));
            Ok(timeout
                .saturating_sub(Duration::from_millis(250))
                .max(timeout / 2))
        }
        _ => Err(format!(
            "invalid {SCRAPE_TIMEOUT_HEADER} {text:?}: expected a number of seconds, at least 0.001"
        )),
    }
}

/// Whether the scraper's `Accept-Encoding` (negotiated by actix's own header type, q-values
/// included) picks gzip over the identity encoding. A malformed header gets identity.
pub(crate) fn wants_gzip(req: &HttpRequest) -> bool {
    let gzip = Encoding::Known(ContentEncoding::Gzip);
    AcceptEncoding::parse(req)
        .ok()
        .and_then(|accept| accept.negotiate([Encoding::identity(), gzip.clone()].iter()))
        == Some(gzip)
}

pub(crate) async fn metrics(req: HttpRequest, state: web::Data<MetricsState>) -> HttpResponse {
    let answer = |code: StatusCode| {
        state.requests.with_label_values(&[code.as_str()]).inc();
        let mut resp = HttpResponse::build(code);
        resp.insert_header((CACHE_CONTROL, "no-store"));
        resp
    };
    match state.access.admit_scrape(&req) {
        Ok(()) => {}
        // Neither answer says which part failed.
        Err(Refusal::Unauthenticated) => {
            return answer(StatusCode::UNAUTHORIZED)
                .insert_header((WWW_AUTHENTICATE, "Bearer"))
                .body("authentication required");
        }
        Err(Refusal::Forbidden) => return answer(StatusCode::FORBIDDEN).body("forbidden"),
    }
    let deadline = match deadline(&req, state.default_deadline) {
        Ok(d) => d,
        Err(reason) => return answer(StatusCode::BAD_REQUEST).body(reason),
    };
    let Ok(_permit) = state.limiter.try_acquire() else {
        return answer(StatusCode::SERVICE_UNAVAILABLE)
            .body("too many concurrent scrapes; retry later");
    };
    let gzip = wants_gzip(&req);
    match state.exposition.render(deadline, gzip).await {
        Ok(body) => {
            let mut resp = answer(StatusCode::OK);
            resp.insert_header((CONTENT_TYPE, TEXT_CONTENT_TYPE));
            if gzip {
                resp.insert_header((CONTENT_ENCODING, "gzip"));
            }
            resp.body(body)
        }
        Err(e) => {
            tracing::error!("rendering /metrics failed: {e}");
            answer(StatusCode::INTERNAL_SERVER_ERROR).body("rendering metrics failed")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn deadline_comes_from_the_scrape_timeout_header() {
        let table = [
            (None, Ok(Duration::from_secs(7))),
            (Some("10"), Ok(Duration::from_millis(9_750))),
            (Some("0.2"), Ok(Duration::from_millis(100))),
            (Some("abc"), Err(())),
            (Some("-1"), Err(())),
            (Some("1e-310"), Err(())),
            (Some("0.0001"), Err(())),
            (Some("0.001"), Ok(Duration::from_micros(500))),
            (
                Some("1e9"),
                Ok(Duration::from_secs(3600) - Duration::from_millis(250)),
            ),
        ];
        for (header, want) in table {
            let mut req = TestRequest::default();
            if let Some(h) = header {
                req = req.insert_header((SCRAPE_TIMEOUT_HEADER, h));
            }
            let got = deadline(&req.to_http_request(), Duration::from_secs(7)).map_err(|_| ());
            assert_eq!(got, want, "{header:?}");
        }
    }

    #[test]
    fn gzip_is_chosen_only_when_accepted() {
        let table = [
            ("gzip", true),
            ("deflate, gzip;q=0.5", true),
            ("GZIP", true),
            ("gzip;q=0", false),
            ("br", false),
            ("identity", false),
            ("gzip;q=0.1, identity;q=0.9", false),
            ("*", false),
            ("gzip;q=nonsense", false),
        ];
        for (header, want) in table {
            let req = TestRequest::default()
                .insert_header((actix_web::http::header::ACCEPT_ENCODING, header))
                .to_http_request();
            assert_eq!(wants_gzip(&req), want, "{header}");
        }
        assert!(!wants_gzip(&TestRequest::default().to_http_request()));
    }
}
