//! RabbitMQ: an AMQP connection opened within the timeout, a channel, optionally a queue that
//! must exist (passive declare: its message and consumer counts), then the connection closed.
//!
//! The `lapin` client keeps no server properties, so `product` and `version` come from the
//! broker's `Connection.Start`, read on a short socket of their own at the first run and again
//! after a failed one (the broker logs that socket's early close as a warning: once, not at
//! every run). The client's socket is opened here
//! and shut down at the end of every run, so its IO thread never outlives a run (a broker that
//! stopped answering would otherwise hold it until it answers again).
use crate::masked;
use crate::scrub::scrubbed;
use lapin::options::QueueDeclareOptions;
use lapin::protocol::{AMQPClass, connection};
use lapin::tcp::AsyncTcpStream;
use lapin::types::{AMQPValue, FieldTable};
use lapin::uri::{AMQPScheme, AMQPUri};
use lapin::{Connection, ConnectionProperties};
use std::io;
use std::net::Shutdown;
use std::os::fd::AsFd;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vitals::{CheckOutcome, Error, HealthChecker};

/// A checker of one RabbitMQ broker (see [`rabbitmq()`]).
#[derive(Clone)]
pub struct RabbitmqCheck {
    name: String,
    url: String,
    uri: AMQPUri,
    shown: String,
    queue: Option<String>,
    timeout: Duration,
    /// `product` and `version` of the broker, read once and again after a failed run.
    broker: Arc<Mutex<Option<(String, String)>>>,
}

impl std::fmt::Debug for RabbitmqCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RabbitmqCheck")
            .field("name", &self.name)
            .field("url", &self.shown)
            .field("queue", &self.queue)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// A check named `rabbitmq` of the broker at `url` (`amqp://[user:password@]host:port/vhost`,
/// the default vhost `/` written `%2f`): healthy when a connection and a channel open within
/// 1 s (see [`timeout`](RabbitmqCheck::timeout)) and, with [`queue`](RabbitmqCheck::queue),
/// when that queue exists (details `messages`, `consumers`); details `product` and `version` of
/// the broker. The reason names the URL (credentials masked). A fresh connection per run,
/// closed at its end. A run takes 50–250 ms against a local broker on a busy 2-core machine
/// (debug build), so 1 s leaves a loaded broker room while a hung one is reported quickly (and
/// within the kernel's default check timeout, also 1 s).
///
/// ```
/// use vitals::CheckerExt;
/// let orders = vitals_module_checks::rabbitmq("amqp://app:secret@mq.internal:5672/%2f")?
///     .queue("orders")
///     .named("orders-queue")
///     .non_critical();
/// # Ok::<(), vitals::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidCheck`] naming the URL (credentials masked) when it is not an `amqp://` URL
/// (`amqps://` is not supported).
pub fn rabbitmq(url: &str) -> Result<RabbitmqCheck, Error> {
    let shown = masked(url);
    let refuse = |reason: String| Error::InvalidCheck {
        name: "rabbitmq".into(),
        reason: format!("{shown}: {reason}"),
    };
    let uri = url
        .parse::<AMQPUri>()
        .map_err(|e| refuse(scrubbed(&e, url)))?;
    if uri.scheme == AMQPScheme::AMQPS {
        return Err(refuse("amqps:// is not supported".into()));
    }
    Ok(RabbitmqCheck {
        name: "rabbitmq".into(),
        url: url.to_owned(),
        uri,
        shown,
        queue: None,
        timeout: Duration::from_secs(1),
        broker: Arc::default(),
    })
}

/// The client's socket, kept to be shut down at the end of the run.
type Socket = Arc<Mutex<Option<std::net::TcpStream>>>;

impl RabbitmqCheck {
    /// The check's name. Defaults to `rabbitmq`.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Bound of one run (connections, channel, queue, close). Defaults to 1 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Also requires the queue `name` to exist (a passive declare: nothing is created).
    pub fn queue(mut self, name: impl Into<String>) -> Self {
        self.queue = Some(name.into());
        self
    }

    /// `product` and `version` of the broker's `Connection.Start`.
    async fn server_properties(&self) -> Result<(String, String), String> {
        let authority = &self.uri.authority;
        let mut s = tokio::net::TcpStream::connect((authority.host.as_str(), authority.port))
            .await
            .map_err(|e| e.to_string())?;
        s.write_all(b"AMQP\x00\x00\x09\x01")
            .await
            .map_err(|e| e.to_string())?;
        let mut head = [0u8; 7];
        s.read_exact(&mut head).await.map_err(|e| e.to_string())?;
        let size = u32::from_be_bytes([head[3], head[4], head[5], head[6]]) as usize;
        if head[0] != 1 || size > 1 << 20 {
            return Err("not an AMQP 0-9-1 broker".into());
        }
        let mut payload = vec![0u8; size + 1];
        s.read_exact(&mut payload)
            .await
            .map_err(|e| e.to_string())?;
        let start = match lapin::protocol::parse_class(&payload[..size]) {
            Ok((_, AMQPClass::Connection(connection::AMQPMethod::Start(start)))) => start,
            _ => return Err("not an AMQP 0-9-1 broker".into()),
        };
        let text = |key: &str| match start.server_properties.inner().get(key) {
            Some(AMQPValue::LongString(s)) => s.to_string(),
            _ => String::new(),
        };
        Ok((text("product"), text("version")))
    }

    async fn probe(&self, socket: &Socket) -> Result<CheckOutcome, String> {
        let cached = self.broker.lock().expect("not poisoned").clone();
        let (product, version) = match cached {
            Some(known) => known,
            None => self.server_properties().await?,
        };
        let err = |e: lapin::Error| scrubbed(&e.to_string(), &self.url);
        // Opened here, in the run, and handed to the client: its own thread would connect
        // without the run's bound, and on a failed connection it leaves its internal task
        // waiting for ever. Kept, to be shut down at the end of the run.
        let authority = &self.uri.authority;
        let opened = tokio::net::TcpStream::connect((authority.host.as_str(), authority.port))
            .await
            .map_err(|e| e.to_string())?;
        let dup = opened
            .as_fd()
            .try_clone_to_owned()
            .map_err(|e| e.to_string())?;
        *socket.lock().expect("not poisoned") = Some(dup.into());
        let opened = Mutex::new(Some(opened));
        let connect = async move |_, _| {
            // Asked again only to retry a handshake cut short: that run fails.
            let s = opened.lock().expect("not poisoned").take();
            let s = s.ok_or_else(|| io::Error::from(io::ErrorKind::ConnectionAborted))?;
            Ok(AsyncTcpStream::Plain(async_compat::Compat::new(s)))
        };
        let runtime = lapin::runtime::default_runtime().map_err(err)?;
        let props = ConnectionProperties::default();
        // The client's heartbeat task wakes every half interval and only then sees the
        // connection closed: at the broker's 60 s, it would outlive the run by up to 30 s.
        let mut uri = self.uri.clone();
        uri.query.heartbeat = Some(1);
        let conn = Connection::connector(uri, runtime, connect, props)
            .await
            .map_err(err)?;
        let channel = conn.create_channel().await.map_err(err)?;
        let counts = match &self.queue {
            None => Ok(None),
            Some(queue) => {
                let options = QueueDeclareOptions {
                    passive: true,
                    ..QueueDeclareOptions::default()
                };
                let args = FieldTable::default();
                match channel
                    .queue_declare(queue.as_str().into(), options, args)
                    .await
                {
                    Ok(q) => Ok(Some((q.message_count(), q.consumer_count()))),
                    Err(e) => Err(format!("queue {queue:?}: {}", err(e))),
                }
            }
        };
        // Closed in order (the channel, unless the broker closed it, then the connection): a
        // channel dropped open would make the connection's close fail and be cut short.
        if counts.is_ok() {
            let _ = channel.close(200, "OK".into()).await;
        }
        let _ = conn.close(200, "OK".into()).await;
        *self.broker.lock().expect("not poisoned") = Some((product.clone(), version.clone()));
        let outcome = CheckOutcome::healthy()
            .with_detail("product", product)
            .with_detail("version", version);
        Ok(match counts? {
            None => outcome,
            Some((messages, consumers)) => outcome
                .with_detail("messages", messages)
                .with_detail("consumers", consumers),
        })
    }
}

#[async_trait::async_trait]
impl HealthChecker for RabbitmqCheck {
    fn name(&self) -> &str {
        &self.name
    }

    async fn check(&self) -> CheckOutcome {
        let socket = Socket::default();
        let run = tokio::time::timeout(self.timeout, self.probe(&socket)).await;
        // Ends the client's IO thread whatever state the run stopped in.
        if let Some(s) = socket.lock().expect("not poisoned").take() {
            let _ = s.shutdown(Shutdown::Both);
        }
        if !matches!(run, Ok(Ok(_))) {
            // The broker may come back upgraded: its properties are read again.
            *self.broker.lock().expect("not poisoned") = None;
        }
        match run {
            Err(_) => CheckOutcome::unhealthy(format!(
                "rabbitmq {}: no answer within {:?}",
                self.shown, self.timeout
            )),
            Ok(Err(e)) => CheckOutcome::unhealthy(format!("rabbitmq {}: {e}", self.shown)),
            Ok(Ok(outcome)) => outcome,
        }
    }
}
