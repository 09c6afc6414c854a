//! A keep-alive HTTP/1.1 client for load tests: counts what it sends and what comes back exactly,
//! reads bodies of either framing (length or chunked), and can hang up in the middle of a body.
use std::net::SocketAddr;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// One connection, reused request after request.
pub struct Conn {
    stream: BufReader<TcpStream>,
    addr: SocketAddr,
}

/// A response's status line and the headers the client needs for framing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// HTTP status code.
    pub status: u16,
    length: Option<usize>,
    chunked: bool,
    close: bool,
}

fn bad(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned())
}

impl Conn {
    /// Connects to `addr`.
    ///
    /// # Errors
    /// The connection refused.
    pub async fn connect(addr: SocketAddr) -> std::io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream: BufReader::new(stream),
            addr,
        })
    }

    /// Sends a request with an empty body and extra raw header lines (`Name: value`).
    ///
    /// # Errors
    /// The connection broken.
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[&str],
    ) -> std::io::Result<()> {
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.addr);
        for h in headers {
            req.push_str(h);
            req.push_str("\r\n");
        }
        req.push_str("Content-Length: 0\r\n\r\n");
        self.stream.get_mut().write_all(req.as_bytes()).await
    }

    /// Reads a status line and headers.
    ///
    /// # Errors
    /// The connection closed or the head malformed.
    pub async fn head(&mut self) -> std::io::Result<Head> {
        let mut line = String::new();
        if self.stream.read_line(&mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let status = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("status line"))?;
        let mut head = Head {
            status,
            length: None,
            chunked: false,
            close: false,
        };
        loop {
            line.clear();
            if self.stream.read_line(&mut line).await? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            let l = line.trim_end();
            if l.is_empty() {
                return Ok(head);
            }
            let (name, value) = l.split_once(':').ok_or_else(|| bad("header"))?;
            let (name, value) = (name.to_ascii_lowercase(), value.trim().to_ascii_lowercase());
            match name.as_str() {
                "content-length" => head.length = value.parse().ok(),
                "transfer-encoding" => head.chunked = value.contains("chunked"),
                "connection" => head.close = value == "close",
                _ => {}
            }
        }
    }

    /// Reads the body `head` announces; returns its length.
    ///
    /// # Errors
    /// The connection closed before the end, or bad chunk framing.
    pub async fn body(&mut self, head: &Head) -> std::io::Result<usize> {
        self.body_into(head, &mut Vec::new()).await
    }

    /// Reads the body `head` announces into `out`; returns its length.
    ///
    /// # Errors
    /// As [`Conn::body`].
    pub async fn body_into(&mut self, head: &Head, out: &mut Vec<u8>) -> std::io::Result<usize> {
        let start = out.len();
        if head.chunked {
            let mut line = String::new();
            loop {
                line.clear();
                self.stream.read_line(&mut line).await?;
                let size = usize::from_str_radix(line.trim(), 16).map_err(|_| bad("chunk size"))?;
                let at = out.len();
                out.resize(at + size + 2, 0);
                self.stream.read_exact(&mut out[at..]).await?;
                out.truncate(at + size);
                if size == 0 {
                    return Ok(out.len() - start);
                }
            }
        }
        let n = head.length.unwrap_or(0);
        out.resize(start + n, 0);
        self.stream.read_exact(&mut out[start..]).await?;
        Ok(n)
    }

    /// One whole request: the status, and whether the server closes the connection after it.
    ///
    /// # Errors
    /// The connection broken at any point.
    pub async fn request(&mut self, method: &str, path: &str) -> std::io::Result<(u16, bool)> {
        self.send(method, path, &[]).await?;
        let head = self.head().await?;
        self.body(&head).await?;
        Ok((head.status, head.close))
    }
}
