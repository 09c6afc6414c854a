use super::*;
use std::time::Instant;

/// Each bad entry and its whole message.
const BAD: &[(&str, &str)] = &[
    (
        "kind = \"ftp\"",
        "check 1: kind \"ftp\" is not one of redis, tcp, http, disk, memory, vitals, sql, dns, \
         tls, tls_file, nats, rabbitmq",
    ),
    (
        "kind = \"vitals\"\ntarget = \"orders:8080\"",
        "check 1: target \"orders:8080\": must be the service's http:// or https:// base URL",
    ),
    (
        "kind = \"tcp\"\ntarget = \"a:1\"\ngroup = \"x\"",
        "check 1: group does not apply to kind \"tcp\"",
    ),
    (
        "kind = \"tcp\"\ncolour = \"red\"",
        "unknown field `colour`, expected one of `kind`, `name`, `target`, `groups`, `group`, \
         `critical`, `timeout`, `cache_ttl`, `degraded_above`, `unhealthy_above`, \
         `degraded_below`, `unhealthy_below`, `expect_status`, `body_contains`, `server`, \
         `expect`, `ca_file`, `server_name`, `degraded_within`, `queue`",
    ),
    ("kind = \"tcp\"", "check 1: kind \"tcp\" needs a target"),
    (
        "kind = \"tcp\"\ntarget = \"db.internal\"",
        "check 1: target \"db.internal\": must be host:port",
    ),
    (
        "kind = \"redis\"\nname = \"cache\"\ntarget = \"http://u:pw@cache:6379\"",
        "check 1 (\"cache\"): target \"http://cache:6379\": must be a redis:// URL",
    ),
    (
        "kind = \"http\"\ntarget = \"ftp://x\"",
        "check 1: target \"ftp://x\": must be an http:// or https:// URL",
    ),
    (
        "kind = \"http\"\ntarget = \"http://x\"\nexpect_status = 999",
        "check 1: expect_status 999: an HTTP status from 100 to 599",
    ),
    (
        "kind = \"disk\"\ntarget = \"/\"\ndegraded_below = 1.5",
        "check 1: degraded_below 1.5: a share from 0 to 1",
    ),
    (
        "kind = \"disk\"\ntarget = \"/\"\nexpect_status = 200",
        "check 1: expect_status does not apply to kind \"disk\"",
    ),
    (
        "kind = \"memory\"\ntarget = \"/\"",
        "check 1: target does not apply to kind \"memory\"",
    ),
    (
        "kind = \"memory\"\ntimeout = \"soon\"",
        "check 1: timeout \"soon\": expected number at 0",
    ),
    (
        "kind = \"memory\"\ncache_ttl = \"0s\"",
        "check 1: cache_ttl \"0s\": must be longer than zero",
    ),
    // sql
    ("kind = \"sql\"", "check 1: kind \"sql\" needs a target"),
    (
        "kind = \"sql\"\nname = \"orders\"\ntarget = \"oracle://app:pw@db:1521/x\"",
        "check 1 (\"orders\"): target: oracle://db:1521/x: must be a postgres://, \
         postgresql://, mysql:// or mariadb:// URL",
    ),
    (
        "kind = \"sql\"\ntarget = \"postgres://app:pw@db:notaport/x\"",
        "check 1: target: postgres://db:notaport/x: error with configuration: invalid port \
         number",
    ),
    (
        "kind = \"sql\"\ntarget = \"mysql://db/x\"\nqueue = \"q\"",
        "check 1: queue does not apply to kind \"sql\"",
    ),
    // dns
    (
        "kind = \"dns\"\ntarget = \"a..b\"",
        "check 1: target: \"a..b\" is not a DNS name: Malformed label: ",
    ),
    (
        "kind = \"dns\"\ntarget = \"orders.internal\"\nserver = \"ns1:53\"",
        "check 1: server: server \"ns1:53\" is not ip:port or an IP",
    ),
    (
        "kind = \"dns\"\ntarget = \"orders.internal\"\nexpect = \"10.0.0\"",
        "check 1: expect: expected address \"10.0.0\" is not an IP",
    ),
    (
        "kind = \"dns\"\ntarget = \"orders.internal\"\nexpect_status = 200",
        "check 1: expect_status does not apply to kind \"dns\"",
    ),
    // tls
    (
        "kind = \"tls\"\ntarget = \"https://u:pw@api:443\"",
        "check 1: target \"https://api:443\": must be host:port, or a host (port 443)",
    ),
    (
        "kind = \"tls\"\ntarget = \"api:https\"",
        "check 1: target \"api:https\": must be host:port, or a host (port 443)",
    ),
    (
        "kind = \"tls\"\ntarget = \"api:443\"\nca_file = \"\"",
        "check 1: ca_file \"\": the path of a PEM file",
    ),
    (
        "kind = \"tls\"\ntarget = \"api:443\"\nserver_name = \"bad name\"",
        "check 1: server_name \"bad name\": invalid dns name",
    ),
    (
        "kind = \"tls\"\ntarget = \"api:443\"\ndegraded_within = \"a month\"",
        "check 1: degraded_within \"a month\": expected number at 0",
    ),
    (
        "kind = \"tls\"\ntarget = \"api:443\"\nserver = \"10.0.0.53\"",
        "check 1: server does not apply to kind \"tls\"",
    ),
    // tls_file
    (
        "kind = \"tls_file\"",
        "check 1: kind \"tls_file\" needs a target",
    ),
    (
        "kind = \"tls_file\"\ntarget = \"/etc/cert.pem\"\ndegraded_within = \"30\"",
        "check 1: degraded_within \"30\": time unit needed, for example 30sec or 30ms",
    ),
    (
        "kind = \"tls_file\"\ntarget = \"/etc/cert.pem\"\nca_file = \"/etc/ca.pem\"",
        "check 1: ca_file does not apply to kind \"tls_file\"",
    ),
    // nats
    ("kind = \"nats\"", "check 1: kind \"nats\" needs a target"),
    (
        "kind = \"nats\"\ntarget = \"nats://u:pw@bus:notaport\"",
        "check 1: target: nats://bus:notaport: NATS server URL is invalid: invalid port number",
    ),
    (
        "kind = \"nats\"\ntarget = \"nats://bus:4222\"\nqueue = \"q\"",
        "check 1: queue does not apply to kind \"nats\"",
    ),
    // rabbitmq
    (
        "kind = \"rabbitmq\"\ntarget = \"amqps://u:pw@mq:5671/%2f\"",
        "check 1: target: amqps://mq:5671/%2f: amqps:// is not supported",
    ),
    (
        "kind = \"rabbitmq\"\ntarget = \"http://u:pw@mq:5672\"",
        "check 1: target: http://mq:5672: Invalid AMQP scheme: http",
    ),
    (
        "kind = \"rabbitmq\"\ntarget = \"amqp://mq:5672/%2f\"\nqueue = \"\"",
        "check 1: queue \"\": a queue name of 1 to 255 bytes",
    ),
    (
        "kind = \"rabbitmq\"\ntarget = \"amqp://mq:5672/%2f\"\nserver_name = \"mq\"",
        "check 1: server_name does not apply to kind \"rabbitmq\"",
    ),
];

#[test]
fn every_bad_entry_is_refused_naming_the_entry_and_the_field() {
    for (entry, want) in BAD {
        let e = parse(&format!("[[check]]\n{entry}\n"))
            .err()
            .unwrap_or_default();
        assert_eq!(e, *want, "{entry:?}");
        assert!(!e.contains("pw"), "{e}");
    }
}

#[test]
fn every_kind_and_field_is_read() {
    let checks = parse(
        r#"
[[check]]
kind = "sql"
target = "postgresql://app:pw@db:5432/orders?sslmode=disable"

[[check]]
kind = "sql"
name = "legacy"
target = "mariadb://ro@legacy:3306/shop"

[[check]]
kind = "dns"
target = "orders.internal."
server = "[fd00::53]:5353"
expect = "10.0.0.1"

[[check]]
kind = "tls"
target = "[::1]:8443"
ca_file = "/etc/ssl/internal-ca.pem"
server_name = "api.internal"
degraded_within = "30days"

[[check]]
kind = "tls_file"
target = "/etc/app/cert.pem"
degraded_within = "0s"

[[check]]
kind = "nats"
target = "bus:4222"

[[check]]
kind = "rabbitmq"
target = "amqp://app:pw@mq:5672/%2f"
queue = "orders"
timeout = "5s"
"#,
    )
    .unwrap();
    let names: Vec<&str> = checks.iter().map(|c| c.name()).collect();
    assert_eq!(
        names,
        [
            "sql", "legacy", "dns", "tls", "tls_file", "nats", "rabbitmq"
        ]
    );
    assert_eq!(checks[6].timeout(), Some(Duration::from_secs(5)));
    assert_eq!(checks[0].timeout(), None);
}

/// The entry's timeout bounds the checker's own wait, not only the registry's: against a
/// server that accepts and never answers, each reason quotes the file's 1.5 s (the checkers'
/// own default is 1 s), and each took that long.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_timeout_of_an_entry_is_the_checkers_own_bound() {
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = silent.local_addr().unwrap();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((s, _)) = silent.accept().await {
            open.push(s);
        }
    });
    let mute = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let ns = mute.local_addr().unwrap();
    let checks = parse(&format!(
        r#"
[[check]]
kind = "sql"
target = "postgres://app:pw@{addr}/x?sslmode=disable"
timeout = "1500ms"

[[check]]
kind = "dns"
target = "orders.vitals.test."
server = "{ns}"
timeout = "1500ms"

[[check]]
kind = "tls"
target = "{addr}"
timeout = "1500ms"

[[check]]
kind = "nats"
target = "nats://{addr}"
timeout = "1500ms"

[[check]]
kind = "rabbitmq"
target = "amqp://{addr}/%2f"
timeout = "1500ms"

[[check]]
kind = "redis"
target = "redis://{addr}"
timeout = "1500ms"
"#
    ))
    .unwrap();
    let started = Instant::now();
    let runs: Vec<_> = checks
        .iter()
        .map(|c| {
            let c = c.clone();
            tokio::spawn(async move { (c.check().await, started.elapsed()) })
        })
        .collect();
    let mut outcomes = Vec::new();
    for run in runs {
        outcomes.push(run.await.unwrap());
    }
    let want = [
        format!("postgres postgres://{addr}/x?sslmode=disable: no connection within 1.5s"),
        format!("dns orders.vitals.test. @{ns}: timed out after 1.5s"),
        format!("tls {addr}: no certificate within 1.5s"),
        format!("nats nats://{addr}: no answer within 1.5s"),
        format!("rabbitmq amqp://{addr}/%2f: no answer within 1.5s"),
        // Its client's connection timeout: 1.5 s, as the time taken shows.
        format!("redis redis://{addr}: timed out"),
    ];
    for ((outcome, took), want) in outcomes.iter().zip(want) {
        assert_eq!(outcome.error(), Some(want.as_str()), "{outcome:?}");
        assert!(
            took >= &Duration::from_millis(1400) && took < &Duration::from_millis(2500),
            "{want}: {took:?}"
        );
    }
    held.abort();
}

#[test]
fn entries_take_their_name_groups_criticality_timeout_and_cache() {
    let checks = parse(
        r#"
[[check]]
kind = "memory"

[[check]]
kind = "disk"
name = "data"
target = "/"
groups = ["liveness", "storage"]
critical = false
timeout = "250ms"
cache_ttl = "5s"
"#,
    )
    .unwrap();
    assert_eq!(checks[0].name(), "memory");
    assert_eq!(checks[0].groups(), [HealthGroup::Readiness]);
    assert!(checks[0].critical());
    let data = &checks[1];
    assert_eq!(data.name(), "data");
    assert_eq!(
        data.groups(),
        [HealthGroup::Liveness, HealthGroup::custom("storage")]
    );
    assert!(!data.critical());
    assert_eq!(data.timeout(), Some(Duration::from_millis(250)));
    assert_eq!(data.cache_ttl(), Duration::from_secs(5));
}
