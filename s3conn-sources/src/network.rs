//! Pulling addresses and names out of text: IP literals, ports, mail relays, ARNs.

use std::net::IpAddr;

/// The text after the last `/` (or, when there is none, after the last `:`) of an ARN.
pub fn arn_last_part(arn: &str) -> Option<&str> {
    let last = match arn.rfind('/') {
        Some(i) => &arn[i + 1..],
        None => match arn.rfind(':') {
            Some(i) => &arn[i + 1..],
            None => arn,
        },
    };
    if last.is_empty() {
        None
    } else {
        Some(last)
    }
}

/// Strips a port from `host:port`, `[v6]:port`, or a v6 address with `:port` glued on
/// (`2a02:cf40:::43026`); a bare address is returned unchanged.
pub fn strip_port(addr: &str) -> &str {
    let a = addr.trim();
    if let Some(rest) = a.strip_prefix('[') {
        return match rest.find(']') {
            Some(i) => &rest[..i],
            None => a,
        };
    }
    match a.bytes().filter(|&c| c == b':').count() {
        0 => a,
        1 => a.split_once(':').map_or(a, |(h, _)| h),
        _ => {
            if a.parse::<IpAddr>().is_ok() {
                return a;
            }
            match a.rsplit_once(':') {
                Some((h, port))
                    if !port.is_empty()
                        && port.bytes().all(|c| c.is_ascii_digit())
                        && h.parse::<IpAddr>().is_ok() =>
                {
                    h
                }
                _ => a,
            }
        }
    }
}

/// The first element of a comma-separated list, trimmed, if it is an IP address literal.
pub fn ip_literal(s: &str) -> Option<&str> {
    let first = s.split(',').next().unwrap_or(s).trim();
    if first.parse::<IpAddr>().is_ok() {
        Some(first)
    } else {
        None
    }
}

/// The IP address in brackets of a sendmail `relay=` value (`host. [1.2.3.4]`, `[IPv6:2a02::]`).
pub fn relay_ip(relay: &str) -> Option<&str> {
    let open = relay.rfind('[')?;
    let close = relay[open..].find(']')? + open;
    let inner = &relay[open + 1..close];
    let inner = inner
        .strip_prefix("IPv6:")
        .or_else(|| inner.strip_prefix("ipv6:"))
        .unwrap_or(inner);
    if inner.parse::<IpAddr>().is_ok() {
        Some(inner)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_port_forms() {
        assert_eq!(strip_port("1.2.3.4:5555"), "1.2.3.4");
        assert_eq!(strip_port("1.2.3.4"), "1.2.3.4");
        assert_eq!(strip_port("[::1]:22"), "::1");
        assert_eq!(strip_port("2a02:cf40:::43026"), "2a02:cf40::");
        assert_eq!(strip_port("2a02:cf40::1"), "2a02:cf40::1");
        assert_eq!(strip_port("host.example.com:3022"), "host.example.com");
        assert_eq!(strip_port(""), "");
    }

    #[test]
    fn arn_parts() {
        assert_eq!(
            arn_last_part("arn:aws:iam::123456789012:user/Alice"),
            Some("Alice")
        );
        assert_eq!(
            arn_last_part("arn:aws:iam::123456789012:root"),
            Some("root")
        );
        assert_eq!(arn_last_part("arn:aws:iam::1:user/"), None);
    }

    #[test]
    fn relay_and_ip() {
        assert_eq!(
            relay_ip("abcd.example.net. [IPv6:2a02:cf40::]"),
            Some("2a02:cf40::")
        );
        assert_eq!(
            relay_ip("m0000123.ppops.net [127.0.0.1]"),
            Some("127.0.0.1")
        );
        assert_eq!(relay_ip("nothing here"), None);
        assert_eq!(
            ip_literal("81.2.69.142, 192.168.10.10"),
            Some("81.2.69.142")
        );
        assert_eq!(ip_literal("AWS Internal"), None);
    }
}
