//! Helpers of the fleet view's tests: a fresh database of either backend, status documents and
//! polls made to order, and a loopback server of status documents.
#![allow(dead_code, unreachable_pub)]
use sea_orm::{ConnectionTrait, Database};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use vitals_module_fleet::Poll;
use vitals_status::{CheckDocument, ReadingDocument, ServiceInfo, StatusDocument, Word};

/// Which database a test runs on.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database of the test's own: a SQLite file, or a PostgreSQL database created on the test
/// suite's server (`VITALS_TEST_DATABASE_URL`, required) and dropped afterwards.
pub struct TestDb {
    pub url: String,
    drop: Option<(String, String)>,
}

static NEXT: AtomicU64 = AtomicU64::new(0);

pub async fn fresh_db(backend: Backend, tag: &str) -> TestDb {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let name = format!("vitals_fleet_{tag}_{}_{n}", std::process::id());
    match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join(&name);
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            TestDb {
                url: format!("sqlite://{}?mode=rwc", dir.join("fleet.db").display()),
                drop: None,
            }
        }
        Backend::Postgres => {
            let admin = vitals_judges::postgres_url();
            let conn = Database::connect(&admin)
                .await
                .expect("the test PostgreSQL");
            conn.execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .unwrap();
            conn.close().await.unwrap();
            let (base, _) = admin.rsplit_once('/').unwrap();
            TestDb {
                url: format!("{base}/{name}"),
                drop: Some((admin, name)),
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.drop.take() {
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    if let Ok(c) = Database::connect(&admin).await {
                        let _ = c
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .await;
                    }
                });
            })
            .join();
        }
    }
}

/// A check of a document: its name, status and readings `(at_ms, status)`.
pub type CheckSpec<'a> = (&'a str, Word, &'a [(u64, Word)]);

/// A status document with these checks; every reading has a reason `why <at>`.
pub fn doc(status: Word, checks: &[CheckSpec<'_>]) -> StatusDocument {
    StatusDocument {
        service: Some(ServiceInfo {
            name: "api".into(),
            version: "1.2.3".into(),
        }),
        generated_at_ms: 1,
        started_at_ms: 0,
        status,
        details: true,
        capacity: 200,
        groups: vec![],
        checks: checks
            .iter()
            .map(|(name, s, readings)| CheckDocument {
                name: (*name).into(),
                groups: vec!["readiness".into()],
                status: Some(*s),
                reason: Some(format!("{name} reason")),
                details: Default::default(),
                readings: readings
                    .iter()
                    .map(|(at, s)| ReadingDocument {
                        at_ms: *at,
                        status: *s,
                        duration_seconds: 0.25,
                        reason: Some(format!("why {at}")),
                    })
                    .collect(),
            })
            .collect(),
        transitions: vec![],
    }
}

/// A poll of `target` at `at_ms`.
pub fn poll(target: &str, at_ms: u64, outcome: Result<StatusDocument, &str>) -> Poll {
    Poll {
        target: target.into(),
        url: format!("http://127.0.0.1:1/{target}/status/history"),
        at_ms,
        duration: Duration::from_millis(3),
        outcome: outcome.map_err(str::to_owned),
    }
}

/// A loopback HTTP server answering every request with the status and body it holds now (a
/// document made at the request: `generated_at_ms` is the time of the request, as a service's
/// is), and counting the requests and the last `Authorization` header it saw.
pub struct DocServer {
    pub url: String,
    answer: Arc<Mutex<(u16, String, bool)>>,
    pub requests: Arc<AtomicU64>,
    pub last_auth: Arc<Mutex<Option<String>>>,
}

impl DocServer {
    pub fn start(body: &StatusDocument) -> Self {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/status/history", l.local_addr().unwrap());
        let answer = Arc::new(Mutex::new((
            200,
            serde_json::to_string(body).unwrap(),
            true,
        )));
        let requests = Arc::new(AtomicU64::new(0));
        let last_auth = Arc::new(Mutex::new(None));
        let (a, r, h) = (answer.clone(), requests.clone(), last_auth.clone());
        std::thread::spawn(move || {
            for s in l.incoming() {
                let Ok(mut s) = s else { continue };
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let mut buf = [0u8; 4096];
                let n = s.read(&mut buf).unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                r.fetch_add(1, Ordering::SeqCst);
                let auth = head
                    .lines()
                    .find_map(|l| {
                        l.strip_prefix("authorization: ")
                            .or_else(|| l.strip_prefix("Authorization: "))
                    })
                    .map(str::to_owned);
                *h.lock().unwrap() = auth;
                let (status, body, made_now) = a.lock().unwrap().clone();
                let body = if made_now { made_at_now(&body) } else { body };
                let _ = write!(
                    s,
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Self {
            url,
            answer,
            requests,
            last_auth,
        }
    }

    /// Answers `status` and `body` as they are from now on.
    pub fn answer(&self, status: u16, body: String) {
        *self.answer.lock().unwrap() = (status, body, false);
    }

    /// Serves `doc` from now on, made at each request.
    pub fn serve(&self, doc: &StatusDocument) {
        *self.answer.lock().unwrap() = (200, serde_json::to_string(doc).unwrap(), true);
    }
}

/// `body`, a document's JSON, with `generated_at_ms` the time now.
fn made_at_now(body: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(body).unwrap();
    v["generated_at_ms"] = vitals_status::unix_ms(std::time::SystemTime::now()).into();
    v.to_string()
}

/// A notifier with one webhook, `ops`, never started: its messages stay queued, counted by
/// `queued("ops")`.
pub fn queueing_notifier() -> vitals_notify::Notifier {
    use vitals_notify::{Format, Notifier, NotifyConfig, Webhook};
    Notifier::new(
        NotifyConfig {
            webhooks: vec![Webhook {
                name: "ops".into(),
                url: "http://127.0.0.1:9/hook".into(),
                format: Format::Json,
            }],
            ..NotifyConfig::default()
        },
        &vitals::Metrics::noop(),
    )
    .unwrap()
}
