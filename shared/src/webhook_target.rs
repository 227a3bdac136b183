//! Where a production edge may send a merchant's signed webhooks (issue 14, "webhook
//! delivery … refuses notify URLs that resolve to loopback, private or link-local
//! ranges").
//!
//! A `notify_url` is chosen by whoever creates the order. Pointed at an address inside
//! the operator's network it would make the edge a probe of that network (server-side
//! request forgery) carrying Kassa's signature. In production the edge therefore refuses
//! a host that is, or by its name can only be, non-public:
//!
//! - IP literals in loopback, private (RFC 1918, IPv6 ULA `fc00::/7`), link-local
//!   (`169.254/16`, `fe80::/10`), shared address space (`100.64/10`, RFC 6598),
//!   unspecified, broadcast, multicast, documentation and benchmarking ranges, `0/8`,
//!   and IPv4-mapped / IPv4-compatible IPv6 forms of any of them;
//! - the names `localhost` and anything under `.localhost`, `.local`, `.internal`,
//!   `.localdomain`, `.home.arpa`, and single-label names (no dot: only a local resolver
//!   answers them).
//!
//! **Names that resolve to such addresses (decision).** A Worker cannot resolve a name
//! before fetching it, and a check-then-fetch would be open to DNS rebinding anyway.
//! The edge relies on the platform for that half: Workers' `fetch` leaves through
//! Cloudflare's network, which does not route to private or loopback ranges, and
//! Cloudflare refuses names pointing at prohibited addresses (error 1000). Delivery also
//! follows no redirects, so a public receiver cannot bounce the request inward.
//!
//! Pure: the caller passes the URL's host as `url::Url::host_str` gives it (IPv6 in
//! brackets).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why `host` may not receive webhooks in production, or `None` when it may.
#[must_use]
pub fn refused_host(host: &str) -> Option<&'static str> {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return refused_ip(ip);
    }
    let name = bare.trim_end_matches('.').to_ascii_lowercase();
    if name.is_empty() {
        return Some("has no host");
    }
    if name == "localhost" {
        return Some("is a loopback name");
    }
    for suffix in [
        ".localhost",
        ".local",
        ".internal",
        ".localdomain",
        ".home.arpa",
    ] {
        if name.ends_with(suffix) {
            return Some("is a local-network name");
        }
    }
    if !name.contains('.') {
        return Some("is a single-label name only a local resolver answers");
    }
    None
}

fn refused_ip(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refused_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return refused_v4(v4);
            }
            refused_v6(v6)
        }
    }
}

fn refused_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    if ip.is_loopback() {
        Some("is a loopback address")
    } else if ip.is_private() {
        Some("is a private address")
    } else if ip.is_link_local() {
        Some("is a link-local address")
    } else if a == 100 && (64..128).contains(&b) {
        Some("is in the shared address space (RFC 6598)")
    } else if a == 0 || ip.is_broadcast() || ip.is_multicast() || a >= 240 {
        Some("is not a unicast public address")
    } else if ip.is_documentation() || (a == 198 && (b == 18 || b == 19)) {
        Some("is a documentation or benchmarking address")
    } else if a == 192 && b == 0 && c == 0 {
        Some("is an IETF protocol assignment")
    } else {
        None
    }
}

fn refused_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    if ip.is_loopback() || ip.is_unspecified() {
        Some("is a loopback or unspecified address")
    } else if (s[0] & 0xfe00) == 0xfc00 {
        Some("is a private (unique local) address")
    } else if (s[0] & 0xffc0) == 0xfe80 {
        Some("is a link-local address")
    } else if ip.is_multicast() {
        Some("is not a unicast public address")
    } else if s[0] == 0x2001 && s[1] == 0x0db8 {
        Some("is a documentation address")
    } else if s[..6].iter().all(|x| *x == 0) {
        // IPv4-compatible (::a.b.c.d), deprecated but still parsed by some stacks.
        let v4 = Ipv4Addr::new(
            (s[6] >> 8) as u8,
            (s[6] & 0xff) as u8,
            (s[7] >> 8) as u8,
            (s[7] & 0xff) as u8,
        );
        refused_v4(v4).or(Some("is an IPv4-compatible address"))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::refused_host;

    #[test]
    fn refuses_non_public_hosts() {
        for host in [
            "127.0.0.1",
            "127.8.9.10",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.10",
            "198.18.0.1",
            "[::1]",
            "[::]",
            "[fd00::1]",
            "[fe80::1]",
            "[::ffff:127.0.0.1]",
            "[::ffff:10.0.0.1]",
            "[::127.0.0.1]",
            "[2001:db8::1]",
            "[ff02::1]",
            "localhost",
            "LOCALHOST.",
            "api.localhost",
            "printer.local",
            "metadata.google.internal",
            "router.home.arpa",
            "intranet",
            "",
        ] {
            assert!(refused_host(host).is_some(), "{host} should be refused");
        }
    }

    #[test]
    fn accepts_public_hosts() {
        for host in [
            "merchant.example.com",
            "hooks.shop.cn",
            "203.0.114.7",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "[2606:4700::1111]",
            "[::ffff:8.8.8.8]",
            "example.com.",
        ] {
            assert_eq!(refused_host(host), None, "{host} should be accepted");
        }
    }
}
