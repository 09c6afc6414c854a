//! A throwaway AWS emulator (moto's server mode, from PyPI) on a free loopback port: the
//! CloudWatch tests put through the real SDK and read back from it.
use crate::process::{ChildGuard, free_addr, wait_for_port};
use std::time::Duration;

/// A running moto server of the test's own; killed on drop.
pub struct TempMoto {
    addr: std::net::SocketAddr,
    _child: ChildGuard,
}

impl TempMoto {
    /// Starts one and waits until it accepts connections.
    pub fn start() -> Self {
        let addr = free_addr();
        let port = addr.port().to_string();
        let child = ChildGuard::spawn_quiet(
            "python3",
            &["-m", "moto.server", "-H", "127.0.0.1", "-p", &port],
        );
        let what = "moto server (pip install 'moto[server]')";
        wait_for_port(addr, what, Duration::from_secs(30));
        Self {
            addr,
            _child: child,
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The environment an AWS SDK client needs to talk to this emulator: fake static
    /// credentials, a region, and the CloudWatch endpoint.
    pub fn aws_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_REGION", "eu-west-1".into()),
            ("AWS_ENDPOINT_URL_CLOUDWATCH", self.url()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ]
    }
}
