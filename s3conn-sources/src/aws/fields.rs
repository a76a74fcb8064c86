//! Readings the AWS log formats share: `-` as absent, HTTP status codes as outcomes, the
//! `client:port` of load balancer logs, the bracketed time of S3 server access logs, and the host
//! of a request line.

use std::net::IpAddr;

use s3conn_core::time::parse_rfc3339;
use s3conn_core::Outcome;

/// The value unless it is `-` (how AWS text logs and a few JSON ones write "no value").
pub fn present(s: Option<&str>) -> Option<&str> {
    s.map(trim).filter(|v| !v.is_empty() && *v != "-")
}

/// [`str::trim`], without its Unicode scan when the text starts and ends with a printable ASCII
/// byte (every field of a space-separated log line).
#[inline]
fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(&a), Some(&z)) if (0x21..0x7f).contains(&a) && (0x21..0x7f).contains(&z) => s,
        _ => s.trim(),
    }
}

/// Success for an HTTP status below 400, failure from 400 on; none when it is not a status
/// (`-`, `000` for a connection closed before a response).
pub fn http_outcome(status: Option<&str>) -> Option<Outcome> {
    let code: u16 = present(status)?.parse().ok()?;
    match code {
        100..=399 => Some(Outcome::Success),
        400..=599 => Some(Outcome::Failure),
        _ => None,
    }
}

/// The address of a `client:port` field: `192.0.2.1:443`, `[2001:db8::1]:443`, or an IPv6
/// address with the port glued on without brackets (`2001:db8::1:443`: the field always ends
/// with a port, so the last `:` group is the port). `None` unless the address is an IP literal.
pub fn address_of_client_port(s: &str) -> Option<&str> {
    let s = present(Some(s))?;
    let host = if let Some(rest) = s.strip_prefix('[') {
        &rest[..rest.find(']')?]
    } else {
        match s.rsplit_once(':') {
            Some((h, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => h,
            // No port: the whole field, if it is an address.
            _ => s,
        }
    };
    if host.parse::<IpAddr>().is_ok() {
        Some(host)
    } else {
        // An address written without its port after all.
        s.parse::<IpAddr>().is_ok().then_some(s)
    }
}

/// An IP literal (`-` and other text read as absent).
pub fn ip(s: Option<&str>) -> Option<&str> {
    present(s).filter(|v| is_plain_ipv4(v.as_bytes()) || v.parse::<IpAddr>().is_ok())
}

/// A dotted-quad IPv4 address written canonically (`10.0.0.1`: four numbers to 255, no leading
/// zeros): the common case, checked without the general parser. Anything else goes to it.
fn is_plain_ipv4(b: &[u8]) -> bool {
    // Four groups read whole (one to three digits each), rather than a branch per byte.
    let mut rest = b;
    for group in 0..4 {
        let Some((n, len)) = ipv4_group(rest) else {
            return false;
        };
        if n > 255 {
            return false;
        }
        rest = &rest[len..];
        if group < 3 {
            match rest.split_first() {
                Some((b'.', tail)) => rest = tail,
                _ => return false,
            }
        }
    }
    rest.is_empty()
}

/// The number at the start of `b` (one to three digits, no leading zero unless it is `0`) and
/// its length; `None` when `b` does not start with a digit or the number has a leading zero.
#[inline]
fn ipv4_group(b: &[u8]) -> Option<(u32, usize)> {
    let digit = |i: usize| {
        b.get(i)
            .map(|c| u32::from(c.wrapping_sub(b'0')))
            .filter(|d| *d < 10)
    };
    let first = digit(0)?;
    let Some(second) = digit(1) else {
        return Some((first, 1));
    };
    if first == 0 {
        return None;
    }
    Some(match digit(2) {
        None => (first * 10 + second, 2),
        Some(third) => (first * 100 + second * 10 + third, 3),
    })
}

/// The method of an HTTP request line (`GET https://example.com:443/ HTTP/1.1` → `GET`).
pub fn request_method(request: &str) -> Option<&str> {
    let method = request.split_whitespace().next()?;
    (method != "-" && method.bytes().all(|b| b.is_ascii_uppercase())).then_some(method)
}

/// The host of the URL in an HTTP request line, without port or credentials
/// (`GET https://www.example.com:443/x HTTP/1.1` → `www.example.com`).
pub fn request_host(request: &str) -> Option<&str> {
    let url = request.split_whitespace().nth(1)?;
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = authority.strip_prefix('[') {
        &v6[..v6.find(']')?]
    } else {
        authority.split(':').next()?
    };
    (!host.is_empty() && host != "-").then_some(host)
}

/// `dd/Mon/yyyy:HH:MM:SS ±hhmm` (Apache common log time, as S3 server access logs write it, with
/// or without its `[`…`]`) as epoch milliseconds.
pub fn clf_time_to_ms(s: &str) -> Option<i64> {
    let t = s
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim();
    let (date_time, zone) = t
        .split_once(' ')
        .map_or((t, "+0000"), |(a, b)| (a, b.trim()));
    let mut parts = date_time.splitn(3, '/');
    let day = parts.next()?;
    let month = parts.next()?;
    let rest = parts.next()?;
    let (year, clock) = rest.split_once(':')?;
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let m = MONTHS.iter().position(|n| n.eq_ignore_ascii_case(month))? + 1;
    if day.len() != 2 || year.len() != 4 || clock.len() != 8 {
        return None;
    }
    parse_rfc3339(&format!("{year}-{m:02}-{day}T{clock}{zone}"))
}

/// A W3C `date` (`2019-12-04`) and `time` (`21:02:31`, UTC) as epoch milliseconds.
pub fn date_time_to_ms(date: &str, time: &str) -> Option<i64> {
    let (date, time) = (date.trim(), time.trim());
    if date.len() != 10 || time.is_empty() {
        return None;
    }
    parse_rfc3339(&format!("{date}T{time}Z"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_ipv4_agrees_with_the_parser() {
        for s in [
            "10.0.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "256.1.1.1",
            "01.2.3.4",
            "1.2.3",
            "1.2.3.4.5",
            "1..2.3",
            "1.2.3.4.",
            "a.b.c.d",
            "",
            "1.2.3.04",
            "100.200.250.199",
            "::1",
            "1.2.3.-4",
            "999.1.1.1",
            "1.2.3.4 ",
        ] {
            let parsed = s.parse::<IpAddr>().is_ok();
            if is_plain_ipv4(s.as_bytes()) {
                assert!(parsed, "{s}");
            }
            let trimmed_parses = s.trim().parse::<IpAddr>().is_ok();
            assert_eq!(ip(Some(s)).is_some(), trimmed_parses, "{s}");
        }
        assert!(is_plain_ipv4(b"172.31.16.139"));
        assert!(!is_plain_ipv4(b"1.2.3.4.5"));
        assert!(!is_plain_ipv4(b"1.2.3."));
        assert!(!is_plain_ipv4(b".1.2.3"));
        assert!(!is_plain_ipv4(b"00.1.2.3"));
        assert_eq!(trim(" a "), "a");
        assert_eq!(trim("a"), "a");
        assert_eq!(trim("\u{a0}a\u{a0}"), "a");
        assert_eq!(trim("-"), "-");
        assert_eq!(trim(""), "");
    }

    #[test]
    fn plain_ipv4_is_exactly_what_the_ipv4_parser_takes() {
        // Strings over digits and dots (and a stray byte), from a fixed pseudo-random sequence.
        let alphabet = b"0123456789...x";
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 17) as usize;
            let s: String = (0..len)
                .map(|i| char::from(alphabet[((state >> (i * 3 + 4)) % 14) as usize]))
                .collect();
            assert_eq!(
                is_plain_ipv4(s.as_bytes()),
                s.parse::<std::net::Ipv4Addr>().is_ok(),
                "{s:?}"
            );
        }
        // And dotted quads of octets around the limits, with and without leading zeros.
        let octets = [
            "0", "00", "1", "01", "9", "10", "99", "100", "255", "256", "0255", "999",
        ];
        for a in octets {
            for b in octets {
                let s = format!("{a}.{b}.{b}.{a}");
                assert_eq!(
                    is_plain_ipv4(s.as_bytes()),
                    s.parse::<std::net::Ipv4Addr>().is_ok(),
                    "{s:?}"
                );
            }
        }
    }

    #[test]
    fn client_ports() {
        assert_eq!(
            address_of_client_port("192.168.131.39:2817"),
            Some("192.168.131.39")
        );
        assert_eq!(
            address_of_client_port("[2001:db8::1]:2817"),
            Some("2001:db8::1")
        );
        assert_eq!(
            address_of_client_port("2001:db8:1234:a100:8d6e:3477:df66:f105:34892"),
            Some("2001:db8:1234:a100:8d6e:3477:df66:f105")
        );
        assert_eq!(
            address_of_client_port("2001:db8::1:443"),
            Some("2001:db8::1")
        );
        assert_eq!(address_of_client_port("10.0.0.1"), Some("10.0.0.1"));
        // Eight groups and no port: the last group is part of the address.
        assert_eq!(
            address_of_client_port("2001:db8:1:2:3:4:5:6"),
            Some("2001:db8:1:2:3:4:5:6")
        );
        assert_eq!(address_of_client_port("-"), None);
        assert_eq!(address_of_client_port("host.example:80"), None);
    }

    #[test]
    fn requests() {
        let r = "GET https://www.example.com:443/path?q=1 HTTP/1.1";
        assert_eq!(request_method(r), Some("GET"));
        assert_eq!(request_host(r), Some("www.example.com"));
        assert_eq!(request_host("GET http://[::1]:80/ HTTP/1.1"), Some("::1"));
        assert_eq!(request_host("- - - "), None);
        assert_eq!(request_method("- - - "), None);
    }

    #[test]
    fn outcomes() {
        assert_eq!(http_outcome(Some("200")), Some(Outcome::Success));
        assert_eq!(http_outcome(Some("304")), Some(Outcome::Success));
        assert_eq!(http_outcome(Some("403")), Some(Outcome::Failure));
        assert_eq!(http_outcome(Some("502")), Some(Outcome::Failure));
        assert_eq!(http_outcome(Some("-")), None);
        assert_eq!(http_outcome(Some("000")), None);
    }

    #[test]
    fn times() {
        assert_eq!(
            clf_time_to_ms("[06/Feb/2019:00:00:38 +0000]"),
            Some(1_549_411_238_000)
        );
        assert_eq!(
            clf_time_to_ms("06/Feb/2019:01:00:38 +0100"),
            Some(1_549_411_238_000)
        );
        assert_eq!(clf_time_to_ms("06/Foo/2019:00:00:38 +0000"), None);
        assert_eq!(
            date_time_to_ms("2019-12-04", "21:02:31"),
            Some(1_575_493_351_000)
        );
        assert_eq!(date_time_to_ms("2019-12-04", ""), None);
    }
}
