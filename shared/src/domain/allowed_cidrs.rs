//! The networks a key may be used from (`allowedCidrs`): none for anywhere.

use std::net::IpAddr;

use ipnet::IpNet;

use super::Invalid;

/// At most this many networks per key.
pub const MAX_ALLOWED_CIDRS: usize = 20;
pub const FIELD: &str = "allowedCidrs";

/// A key's allow-list: distinct networks in the form they are shown
/// (`192.0.2.0/24`, `2001:db8::/32`); empty means anywhere.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AllowedCidrs(Vec<IpNet>);

/// One entry as written: `address/prefix`, or a bare address for that
/// address alone.
fn network(entry: &str) -> Result<IpNet, &'static str> {
    const SHAPE: &str = "must be an IPv4 or IPv6 network such as 192.0.2.0/24";
    let (address, prefix) = match entry.trim().split_once('/') {
        Some((address, prefix)) => (address, Some(prefix)),
        None => (entry.trim(), None),
    };
    let address: IpAddr = address.parse().map_err(|_| SHAPE)?;
    let longest = if address.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        None => longest,
        Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            digits.parse::<u8>().ok().filter(|p| *p <= longest).ok_or(if address.is_ipv4() {
                "has a prefix longer than /32, the length of an IPv4 address"
            } else {
                "has a prefix longer than /128, the length of an IPv6 address"
            })?
        }
        Some(_) => return Err(SHAPE),
    };
    let net = IpNet::new(address, prefix).map_err(|_| SHAPE)?;
    if net.trunc() != net {
        return Err(
            "is an address inside a network, not the network: give the network's first address (such as 192.0.2.0/24)",
        );
    }
    Ok(net)
}

impl AllowedCidrs {
    /// Parses what a caller sent; a message names an entry by its position
    /// (`allowedCidrs[3]`), never by what it holds.
    pub fn parse(entries: &[String]) -> Result<AllowedCidrs, Invalid> {
        if entries.len() > MAX_ALLOWED_CIDRS {
            return Err(Invalid::field(FIELD, format!("{FIELD} may hold at most {MAX_ALLOWED_CIDRS} networks")));
        }
        let mut networks: Vec<IpNet> = Vec::with_capacity(entries.len());
        for (i, entry) in entries.iter().enumerate() {
            let at = format!("{FIELD}[{i}]");
            let net = network(entry).map_err(|rule| Invalid::field(&at, format!("{at} {rule}")))?;
            if networks.contains(&net) {
                return Err(Invalid::field(&at, format!("{at} repeats an earlier entry")));
            }
            networks.push(net);
        }
        Ok(AllowedCidrs(networks))
    }

    /// The list as stored (written by [`AllowedCidrs::names`]); `None` when
    /// an entry does not parse.
    pub fn from_stored(names: &[String]) -> Option<AllowedCidrs> {
        names.iter().map(|n| n.parse::<IpNet>().ok()).collect::<Option<Vec<_>>>().map(AllowedCidrs)
    }

    pub fn names(&self) -> Vec<String> {
        self.0.iter().map(|n| n.to_string()).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether a request from `client` may use the key: any client when the
    /// list is empty; otherwise only a known address inside one of the
    /// networks (an IPv4 client seen as an IPv4-mapped IPv6 address counts
    /// as itself).
    pub fn allows(&self, client: Option<IpAddr>) -> bool {
        if self.0.is_empty() {
            return true;
        }
        let Some(client) = client.map(|ip| ip.to_canonical()) else { return false };
        self.0.iter().any(|net| net.contains(&client))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(entries: &[&str]) -> Result<AllowedCidrs, Invalid> {
        AllowedCidrs::parse(&entries.iter().map(|e| e.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn networks_are_normalised() {
        let list = parse(&["192.0.2.0/24", "2001:DB8:0::/32", "198.51.100.7"]).unwrap();
        assert_eq!(list.names(), ["192.0.2.0/24", "2001:db8::/32", "198.51.100.7/32"]);
        assert_eq!(AllowedCidrs::from_stored(&list.names()), Some(list));
        assert!(parse(&[]).unwrap().is_empty());
    }

    #[test]
    fn bad_entries_are_named_by_position_never_echoed() {
        let cases: [(&[&str], &str, &str); 6] = [
            (&["192.0.2.0/24", "192.0.2.1/24"], "allowedCidrs[1]", "not the network"),
            (&["10.0.0.0/33"], "allowedCidrs[0]", "longer than /32"),
            (&["2001:db8::/129"], "allowedCidrs[0]", "longer than /128"),
            (&["10.0.0.0/8", "secret-host.example/8"], "allowedCidrs[1]", "such as 192.0.2.0/24"),
            (&["10.0.0.0/+8"], "allowedCidrs[0]", "such as"),
            (&["10.0.0.0/8", "10.0.0.0/8"], "allowedCidrs[1]", "repeats"),
        ];
        for (entries, field, rule) in cases {
            let err = parse(entries).unwrap_err();
            assert_eq!(err.field_name(), Some(field), "{entries:?}");
            assert!(err.message().starts_with(field) && err.message().contains(rule), "{}", err.message());
            assert!(!err.message().contains("secret-host") && !err.message().contains("10.0.0.0"));
        }
        let many: Vec<String> = (0..21).map(|i| format!("10.{i}.0.0/16")).collect();
        assert_eq!(AllowedCidrs::parse(&many).unwrap_err().field_name(), Some("allowedCidrs"));
        assert!(AllowedCidrs::parse(&many[..20]).is_ok());
    }

    #[test]
    fn clients_inside_only() {
        let list = parse(&["192.0.2.0/24", "2001:db8::/32"]).unwrap();
        assert!(list.allows(Some("192.0.2.200".parse().unwrap())));
        assert!(list.allows(Some("::ffff:192.0.2.9".parse().unwrap())));
        assert!(list.allows(Some("2001:db8::1".parse().unwrap())));
        assert!(!list.allows(Some("192.0.3.1".parse().unwrap())));
        assert!(!list.allows(None));
        assert!(AllowedCidrs::default().allows(None));
    }
}
