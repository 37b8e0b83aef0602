//! Outbound safety: which addresses a connectivity test may reach.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::Failure;
use crate::domain::connectivity::TestStage;
use crate::domain::host::Host;

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local() // 169.254.0.0/16, cloud metadata included
        || ip.is_multicast()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // CGNAT 100.64.0.0/10
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || a >= 240 // reserved
}

fn forbidden_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    if let Some(v4) = ip.to_ipv4_mapped() {
        return forbidden_v4(v4);
    }
    // NAT64 (64:ff9b::/96) carries an IPv4 address in its last 32 bits.
    if ip.segments()[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [.., c, d] = ip.segments();
        return forbidden_v4(Ipv4Addr::from(((c as u32) << 16) | d as u32));
    }
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local fc00::/7 (AWS metadata fd00:ec2::254 too)
        || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (first & 0xffc0) == 0xfec0 // site-local (deprecated)
}

/// Loopback, private, link-local, CGNAT, multicast, unspecified, metadata
/// and other reserved addresses.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

/// Resolves `host` once and checks every address it resolves to. The test
/// then connects to the returned address, so a second lookup cannot send it
/// elsewhere.
pub async fn resolve(host: &Host, port: u16, allow_private: bool) -> Result<SocketAddr, Failure> {
    let addresses: Vec<SocketAddr> = match tokio::net::lookup_host((host.as_str(), port)).await {
        Ok(found) => found.collect(),
        Err(_) => Vec::new(),
    };
    let Some(first) = addresses.first().copied() else {
        return Err(Failure::new(TestStage::Dns, "the host name could not be resolved"));
    };
    if !allow_private && addresses.iter().any(|a| is_forbidden(a.ip())) {
        return Err(Failure::new(
            TestStage::Dns,
            "the host resolves to a loopback, private, link-local or otherwise reserved address, which tests may not reach",
        ));
    }
    Ok(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_addresses_are_forbidden() {
        for ip in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "192.0.0.192",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd00:ec2::254",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
        ] {
            assert!(is_forbidden(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "100.128.0.1", "64:ff9b::5db8:d822"] {
            assert!(!is_forbidden(ip.parse().unwrap()), "{ip}");
        }
    }

    #[tokio::test]
    async fn names_are_checked_after_resolution() {
        let localhost = Host::parse("localhost").unwrap();
        let refused = resolve(&localhost, 25, false).await.unwrap_err();
        assert_eq!(refused.stage, TestStage::Dns);
        assert!(resolve(&localhost, 25, true).await.unwrap().ip().is_loopback());
        let unknown = Host::parse("no-such-host.invalid").unwrap();
        assert_eq!(resolve(&unknown, 25, true).await.unwrap_err().stage, TestStage::Dns);
    }
}
