use ipnet::{IpNet, Ipv4Net};
use std::net::IpAddr;

/// Parses a comma-separated list of networks (`10.0.0.0/8`, `2001:db8::/32`) or single addresses.
///
/// # Errors
/// The first entry that is neither, quoted.
pub fn parse_networks(list: &str) -> Result<Vec<IpNet>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("{s:?} is not a network (e.g. 10.0.0.0/8) or an address"))
        })
        .collect()
}

/// An IPv6 network inside the IPv4-mapped range (`::ffff:10.0.0.0/104`) as the IPv4 network it
/// is (`10.0.0.0/8`), so it is compared with canonical addresses; any other network as is (an
/// IPv6 network wider than `/96`, even `::/0`, matches no IPv4 address).
pub(crate) fn canonical_network(net: IpNet) -> IpNet {
    match net {
        IpNet::V6(v6) if v6.prefix_len() >= 96 => v6
            .network()
            .to_ipv4_mapped()
            .and_then(|v4| Ipv4Net::new(v4, v6.prefix_len() - 96).ok())
            .map_or(net, IpNet::V4),
        _ => net,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_lists_are_parsed_or_refused_by_entry() {
        assert_eq!(parse_networks("10.0.0.0/8,192.168.1.1").unwrap().len(), 2);
        assert_eq!(
            parse_networks("10.0.0.0/8, 300.1.1.1/8").unwrap_err(),
            "\"300.1.1.1/8\" is not a network (e.g. 10.0.0.0/8) or an address"
        );
    }

    #[test]
    fn ipv4_mapped_networks_become_ipv4_networks() {
        let table = [
            ("::ffff:10.0.0.0/104", "10.0.0.0/8"),
            ("::ffff:127.0.0.7/128", "127.0.0.7/32"),
            ("::ffff:0:0/96", "0.0.0.0/0"),
            ("::/0", "::/0"),
            ("::ffff:0:0/95", "::ffff:0.0.0.0/95"),
            ("2001:db8::/32", "2001:db8::/32"),
            ("10.0.0.0/8", "10.0.0.0/8"),
        ];
        for (given, want) in table {
            let net = canonical_network(given.parse().unwrap());
            assert_eq!(net.to_string(), want, "{given}");
        }
    }
}
