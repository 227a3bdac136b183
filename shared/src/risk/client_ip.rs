//! The per-IP velocity bucket (SPEC 5, "per-IP velocity"): which window a pay attempt
//! counts in, from the client address the edge was given.
//!
//! **Only Cloudflare's `CF-Connecting-IP` is trusted.** Cloudflare sets it on every
//! request it proxies and overwrites a value the client sent; `X-Forwarded-For` and
//! `X-Real-IP` are whatever the client wrote, so keying on them would let an attacker
//! pick a fresh bucket per request. Under `wrangler dev` (workerd) the header is the
//! caller's socket address unless the caller set one, which is how tests simulate many
//! shoppers behind one address.
//!
//! Buckets:
//! - IPv4: the address (`203.0.113.7`);
//! - IPv6: the /64 network (`2001:db8:1:2::/64`), the smallest block an ISP assigns to
//!   one subscriber — keying on the full address would give every attacker 2⁶⁴ buckets;
//!   IPv4-mapped IPv6 (`::ffff:a.b.c.d`) is its IPv4 address;
//! - absent, empty or unparseable: [`UNKNOWN`], one shared bucket. Behind Cloudflare the
//!   header is always present, so this bucket only fills if something strips it — and
//!   then failing towards "too many attempts" is the safe side.

use std::net::IpAddr;

/// The bucket of requests that carried no usable address.
pub const UNKNOWN: &str = "unknown";

/// The velocity bucket of a `CF-Connecting-IP` value.
#[must_use]
pub fn bucket(header: Option<&str>) -> String {
    let Some(addr) = header.and_then(|h| h.trim().parse::<IpAddr>().ok()) else {
        return UNKNOWN.to_owned();
    };
    match addr {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::{bucket, UNKNOWN};

    #[test]
    fn buckets() {
        for (header, want) in [
            (Some("203.0.113.7"), "203.0.113.7"),
            (Some(" 203.0.113.7 "), "203.0.113.7"),
            (
                Some("2001:db8:1:2:aaaa:bbbb:cccc:dddd"),
                "2001:db8:1:2::/64",
            ),
            (Some("2001:DB8:1:2::1"), "2001:db8:1:2::/64"),
            (Some("::ffff:198.51.100.1"), "198.51.100.1"),
            (Some("::1"), "0:0:0:0::/64"),
            (None, UNKNOWN),
            (Some(""), UNKNOWN),
            (Some("203.0.113.7, 10.0.0.1"), UNKNOWN),
            (Some("not an address"), UNKNOWN),
            (Some("203.0.113.300"), UNKNOWN),
        ] {
            assert_eq!(bucket(header), want, "{header:?}");
        }
        // Two addresses of one /64 share a bucket; another /64 does not.
        assert_eq!(
            bucket(Some("2001:db8:1:2::1")),
            bucket(Some("2001:db8:1:2::ffff"))
        );
        assert_ne!(
            bucket(Some("2001:db8:1:2::1")),
            bucket(Some("2001:db8:1:3::1"))
        );
    }
}
