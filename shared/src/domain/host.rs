//! Network destinations as valid-by-construction values.

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

const MAX_HOST_LEN: usize = 253;

/// A DNS name or an IP literal: no scheme, path, port or spaces. Names are
/// kept lower-case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Host(String);

#[derive(Debug, PartialEq, Eq)]
pub enum HostError {
    Empty,
    Invalid,
}

impl Host {
    pub fn parse(raw: &str) -> Result<Host, HostError> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(HostError::Empty);
        }
        if value.len() > MAX_HOST_LEN {
            return Err(HostError::Invalid);
        }
        if let Ok(ip) = value.parse::<IpAddr>() {
            return Ok(Host(ip.to_string()));
        }
        let name = value.strip_suffix('.').unwrap_or(value);
        let labels_ok = name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
        // A name made only of digits and dots is a malformed IPv4 address.
        let all_numeric = name.bytes().all(|b| b.is_ascii_digit() || b == b'.');
        if !labels_ok || all_numeric {
            return Err(HostError::Invalid);
        }
        Ok(Host(name.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Host {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Host::parse(&value).map_err(|_| "invalid host".to_string())
    }
}

impl From<Host> for String {
    fn from(host: Host) -> String {
        host.0
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_names_and_ip_literals() {
        assert_eq!(
            Host::parse("Email-SMTP.eu-west-1.amazonaws.com").unwrap().as_str(),
            "email-smtp.eu-west-1.amazonaws.com"
        );
        assert_eq!(Host::parse("127.0.0.1").unwrap().as_str(), "127.0.0.1");
        assert_eq!(Host::parse("::1").unwrap().as_str(), "::1");
        assert_eq!(Host::parse("localhost").unwrap().as_str(), "localhost");
        assert_eq!(Host::parse("mail.example.com.").unwrap().as_str(), "mail.example.com");
    }

    #[test]
    fn refuses_urls_ports_paths_and_spaces() {
        for bad in [
            "smtp://mail.example.com",
            "mail.example.com:587",
            "mail.example.com/x",
            "mail example.com",
            "-bad.com",
            "a..b",
            "999.1.1.1",
            "é.com",
        ] {
            assert_eq!(Host::parse(bad), Err(HostError::Invalid), "{bad}");
        }
        assert_eq!(Host::parse("   "), Err(HostError::Empty));
        assert_eq!(Host::parse(&format!("{}.com", "a".repeat(250))), Err(HostError::Invalid));
    }
}
