//! The forwarded-header trust boundary through real proxies: the `vitals` binary behind a real
//! nginx and a real HAProxy (both connecting from 127.0.0.1, the one trusted proxy), clients
//! connecting from other loopback addresses with spoofed `Forwarded` / `X-Forwarded-For`
//! headers. Only the header the proxies write (`VITALS_FORWARDED_HEADER`) is believed.
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;
use vitals_judges::{ChildGuard, TempProxy, Writes, free_addr, get_from, sqlite_url};
use vitals_judges::{PROXY_SOURCE, wait_until_up};

const BIN: &str = env!("CARGO_BIN_EXE_vitals");
/// A client outside every trusted network.
const OUTSIDER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 5));
/// A client whose own address is in the trusted network.
const INSIDER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 6));
/// The trusted networks: what the spoofs claim (10.0.0.0/8) and the insider.
const TRUSTED_CIDRS: &str = "10.0.0.0/8,127.0.0.6/32";
/// The same with the proxy's own address (127.0.0.1) in them, as when one network holds both.
const TRUSTED_CIDRS_WITH_PROXY: &str = "10.0.0.0/8,127.0.0.6/32,127.0.0.1/32";
const TOKEN: &str = "scrape-t0ken";

/// Request header lines, sent as given (a repeated name stays two lines).
type Headers<'a> = &'a [(&'a str, &'a [u8])];

/// What a client sends of its own: every attempt to pass for 10.0.0.1.
const SPOOFS: &[(&str, Headers)] = &[
    ("no forwarded header", &[]),
    ("Forwarded", &[("Forwarded", b"for=10.0.0.1")]),
    ("X-Forwarded-For", &[("X-Forwarded-For", b"10.0.0.1")]),
    (
        "both headers",
        &[
            ("Forwarded", b"for=10.0.0.1"),
            ("X-Forwarded-For", b"10.0.0.1"),
        ],
    ),
    (
        "Forwarded twice",
        &[
            ("Forwarded", b"for=10.0.0.1"),
            ("Forwarded", b"for=10.0.0.2"),
        ],
    ),
    (
        "X-Forwarded-For twice",
        &[
            ("X-Forwarded-For", b"10.0.0.1"),
            ("X-Forwarded-For", b"10.0.0.2"),
        ],
    ),
    (
        "a chain naming the proxy",
        &[
            ("Forwarded", b"for=10.0.0.1, for=127.0.0.1"),
            ("X-Forwarded-For", b"10.0.0.1, 127.0.0.1"),
        ],
    ),
    (
        "garbage",
        &[
            ("Forwarded", b"for=10.0.0.1;by=\"unterminated, for=_hidden"),
            ("X-Forwarded-For", b"10.0.0.1, not-an-address"),
        ],
    ),
    (
        "IPv6 X-Forwarded-For",
        &[("X-Forwarded-For", b"::ffff:10.0.0.1")],
    ),
    (
        "IPv6 Forwarded",
        &[("Forwarded", b"for=\"[::ffff:10.0.0.1]\"")],
    ),
    (
        "IPv6 Forwarded with a port",
        &[("Forwarded", b"for=\"[::ffff:10.0.0.1]:443\"")],
    ),
    (
        "upper-case names",
        &[
            ("FORWARDED", b"For=10.0.0.1"),
            ("X-FORWARDED-FOR", b"10.0.0.1"),
        ],
    ),
    // Entries that name no address: a proxy appends after them, and they must not hide it.
    ("X-Forwarded-For byte 0xff", &[("X-Forwarded-For", b"\xff")]),
    (
        "X-Forwarded-For 0xff before 10.0.0.1",
        &[("X-Forwarded-For", b"\xff, 10.0.0.1")],
    ),
    (
        "X-Forwarded-For unknown",
        &[("X-Forwarded-For", b"unknown")],
    ),
    ("X-Forwarded-For empty", &[("X-Forwarded-For", b"")]),
    ("Forwarded for=unknown", &[("Forwarded", b"for=unknown")]),
    ("Forwarded for=_hidden", &[("Forwarded", b"for=_hidden")]),
    ("Forwarded empty", &[("Forwarded", b"")]),
    ("Forwarded for=\"\"", &[("Forwarded", b"for=\"\"")]),
    (
        "Forwarded , inside quotes",
        &[("Forwarded", b"for=_x;by=\"a, for=10.0.0.1\"")],
    ),
];

/// Starts the binary on `bind` with `env` and waits until it answers on `reach`.
async fn service(
    tag: &str,
    bind: SocketAddr,
    reach: SocketAddr,
    env: &[(&str, &str)],
) -> ChildGuard {
    let db = sqlite_url(tag);
    let bind = bind.to_string();
    let mut all = vec![
        ("DATABASE_URL", db.as_str()),
        ("VITALS_BIND", bind.as_str()),
    ];
    all.extend_from_slice(env);
    let child = ChildGuard::spawn(BIN, &all);
    wait_until_up(&format!("http://{reach}/healthz"), Duration::from_secs(30)).await;
    child
}

/// Every spoof from `client` through each entry point; the rows whose status is not `want`.
async fn spoof_table(entries: &[(&str, SocketAddr)], client: IpAddr, want: u16) -> Vec<String> {
    let mut wrong = Vec::new();
    for (entry, addr) in entries {
        for (spoof, headers) in SPOOFS {
            let (status, body) = get_from(client, *addr, "/metrics", headers).await;
            println!("{entry:8} {client:10} {spoof:28} {status}");
            if status != want {
                wrong.push(format!(
                    "{entry} from {client}, {spoof}: {status} (want {want}) {}",
                    body.lines().next().unwrap_or("")
                ));
            }
        }
    }
    wrong
}

#[tokio::test]
async fn only_the_x_forwarded_for_the_proxies_append_is_believed_by_default() {
    let addr = free_addr();
    let proxy = PROXY_SOURCE.to_string();
    let env = [
        ("VITALS_TRUSTED_PROXIES", proxy.as_str()),
        ("VITALS_METRICS_TRUSTED_CIDRS", TRUSTED_CIDRS),
    ];
    let _service = service("xff", addr, addr, &env).await;
    let nginx = TempProxy::nginx(addr, Writes::XForwardedFor);
    let haproxy = TempProxy::haproxy(addr, Writes::XForwardedFor);
    let entries = [
        ("direct", addr),
        ("nginx", nginx.addr()),
        ("haproxy", haproxy.addr()),
    ];
    let mut wrong = spoof_table(&entries, OUTSIDER, 403).await;
    wrong.extend(spoof_table(&entries, INSIDER, 200).await);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test]
async fn forwarded_setting_believes_only_the_forwarded_header_the_proxies_write() {
    let addr = free_addr();
    let proxy = PROXY_SOURCE.to_string();
    let env = [
        ("VITALS_TRUSTED_PROXIES", proxy.as_str()),
        ("VITALS_FORWARDED_HEADER", "forwarded"),
        ("VITALS_METRICS_TRUSTED_CIDRS", TRUSTED_CIDRS),
        ("VITALS_METRICS_TOKEN", TOKEN),
    ];
    let _service = service("forwarded", addr, addr, &env).await;
    let nginx = TempProxy::nginx(addr, Writes::Forwarded);
    let haproxy = TempProxy::haproxy(addr, Writes::Forwarded);
    let entries = [
        ("direct", addr),
        ("nginx", nginx.addr()),
        ("haproxy", haproxy.addr()),
    ];
    let mut wrong = spoof_table(&entries, OUTSIDER, 401).await;
    wrong.extend(spoof_table(&entries, INSIDER, 200).await);
    let bearer = format!("Bearer {TOKEN}");
    let (status, _) = get_from(
        OUTSIDER,
        nginx.addr(),
        "/metrics",
        &[("Authorization", bearer.as_bytes())],
    )
    .await;
    assert_eq!(status, 200, "the token still admits an outsider");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test]
async fn a_trusted_proxy_inside_the_trusted_networks_never_stands_for_its_client() {
    let proxy = PROXY_SOURCE.to_string();
    let mut wrong = Vec::new();
    for (setting, writes) in [
        ("x-forwarded-for", Writes::XForwardedFor),
        ("forwarded", Writes::Forwarded),
    ] {
        let addr = free_addr();
        let env = [
            ("VITALS_TRUSTED_PROXIES", proxy.as_str()),
            ("VITALS_FORWARDED_HEADER", setting),
            ("VITALS_METRICS_TRUSTED_CIDRS", TRUSTED_CIDRS_WITH_PROXY),
        ];
        let _service = service(&format!("proxy-inside-{setting}"), addr, addr, &env).await;
        let nginx = TempProxy::nginx(addr, writes);
        let haproxy = TempProxy::haproxy(addr, writes);
        let entries = [
            ("direct", addr),
            ("nginx", nginx.addr()),
            ("haproxy", haproxy.addr()),
        ];
        wrong.extend(spoof_table(&entries, OUTSIDER, 403).await);
        wrong.extend(spoof_table(&entries, INSIDER, 200).await);
        // The proxy's own address, with no header naming a client behind it: unknown, refused.
        let (status, _) = get_from(PROXY_SOURCE, addr, "/metrics", &[]).await;
        println!("{setting}: the proxy itself, no header: {status}");
        if status != 403 {
            wrong.push(format!(
                "{setting}: the proxy itself, no header: {status} (want 403)"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test]
async fn service_on_all_ipv6_addresses_matches_ipv4_clients_networks_and_proxies() {
    let v4 = free_addr();
    let bind = SocketAddr::from(([0u16; 8], v4.port()));
    let proxy = PROXY_SOURCE.to_string();
    let env = [
        ("VITALS_TRUSTED_PROXIES", proxy.as_str()),
        // The second network written IPv4-mapped, as an IPv6 operator might.
        (
            "VITALS_METRICS_TRUSTED_CIDRS",
            "127.0.0.6/32,::ffff:127.0.0.7/128",
        ),
    ];
    let _service = service("any-v6", bind, v4, &env).await;
    let nginx = TempProxy::nginx(v4, Writes::XForwardedFor);
    let v6_loopback = SocketAddr::from(([0, 0, 0, 0, 0, 0, 0, 1], v4.port()));
    let spoof: Headers = &[("X-Forwarded-For", b"127.0.0.6")];
    let table: [(&str, IpAddr, SocketAddr, Headers, u16); 7] = [
        ("direct, trusted IPv4 client", INSIDER, v4, &[], 200),
        (
            "direct, client in a mapped network",
            [127, 0, 0, 7].into(),
            v4,
            &[],
            200,
        ),
        ("direct, untrusted IPv4 client", OUTSIDER, v4, &[], 403),
        (
            "direct, untrusted IPv6 client",
            "::1".parse().unwrap(),
            v6_loopback,
            &[],
            403,
        ),
        (
            "nginx, trusted IPv4 client",
            INSIDER,
            nginx.addr(),
            &[],
            200,
        ),
        ("nginx, untrusted client", OUTSIDER, nginx.addr(), &[], 403),
        (
            "nginx, untrusted client, spoof",
            OUTSIDER,
            nginx.addr(),
            spoof,
            403,
        ),
    ];
    let mut wrong = Vec::new();
    for (case, client, addr, headers, want) in table {
        let (status, _) = get_from(client, addr, "/metrics", headers).await;
        println!("{case:36} {status}");
        if status != want {
            wrong.push(format!("{case}: {status} (want {want})"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
