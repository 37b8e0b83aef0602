//! The one permission vocabulary shared by every kind of key.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Permission {
    #[serde(rename = "admin")]
    Admin,
    EmailProvidersRead,
    EmailProvidersWrite,
    ProviderCredentialsRead,
    ProviderCredentialsWrite,
    #[serde(rename = "send")]
    Send,
    #[serde(rename = "read")]
    Read,
    #[serde(rename = "webhooks")]
    Webhooks,
    #[serde(rename = "smtp")]
    Smtp,
    #[serde(rename = "pop3")]
    Pop3,
    #[serde(rename = "imap")]
    Imap,
    #[serde(rename = "api:read")]
    ApiRead,
    #[serde(rename = "api:write")]
    ApiWrite,
    #[serde(rename = "app")]
    App,
    #[serde(rename = "internal")]
    Internal,
}

impl Permission {
    pub const ALL: [Permission; 15] = [
        Permission::Admin,
        Permission::EmailProvidersRead,
        Permission::EmailProvidersWrite,
        Permission::ProviderCredentialsRead,
        Permission::ProviderCredentialsWrite,
        Permission::Send,
        Permission::Read,
        Permission::Webhooks,
        Permission::Smtp,
        Permission::Pop3,
        Permission::Imap,
        Permission::ApiRead,
        Permission::ApiWrite,
        Permission::App,
        Permission::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Admin => "admin",
            Permission::EmailProvidersRead => "EmailProvidersRead",
            Permission::EmailProvidersWrite => "EmailProvidersWrite",
            Permission::ProviderCredentialsRead => "ProviderCredentialsRead",
            Permission::ProviderCredentialsWrite => "ProviderCredentialsWrite",
            Permission::Send => "send",
            Permission::Read => "read",
            Permission::Webhooks => "webhooks",
            Permission::Smtp => "smtp",
            Permission::Pop3 => "pop3",
            Permission::Imap => "imap",
            Permission::ApiRead => "api:read",
            Permission::ApiWrite => "api:write",
            Permission::App => "app",
            Permission::Internal => "internal",
        }
    }

    pub fn parse(name: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.as_str() == name)
    }

    /// Whether holding `self` lets a key use `other`. `admin` is everything
    /// in its account but the internal routes; a `...Write` grants its
    /// `...Read`; `app` grants the mail protocols and the REST scopes (never
    /// `internal` or `admin`).
    pub fn implies(self, other: Permission) -> bool {
        use Permission::*;
        self == other
            || (self == Admin && other != Internal)
            || matches!(
                (self, other),
                (EmailProvidersWrite, EmailProvidersRead)
                    | (ProviderCredentialsWrite, ProviderCredentialsRead)
                    | (App, Smtp | Pop3 | Imap | ApiRead | ApiWrite)
            )
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The permissions a key holds, in a stable order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PermissionSet(BTreeSet<Permission>);

impl PermissionSet {
    pub fn allows(&self, wanted: Permission) -> bool {
        self.0.iter().any(|held| held.implies(wanted))
    }

    /// True when this set may give every permission of `other` to a key:
    /// the rule that a caller cannot mint a key stronger than itself. An
    /// `admin` key may mint its account's `internal` key (the mail servers'
    /// check), which it cannot use itself.
    pub fn covers(&self, other: &PermissionSet) -> bool {
        let manages_keys = self.0.contains(&Permission::Admin);
        other.0.iter().all(|p| self.allows(*p) || (manages_keys && *p == Permission::Internal))
    }

    pub fn iter(&self) -> impl Iterator<Item = Permission> + '_ {
        self.0.iter().copied()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.iter().map(Permission::as_str).collect()
    }

    /// Parses names, refusing an unknown one by name.
    pub fn parse_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        names.into_iter().map(|n| Permission::parse(n).ok_or_else(|| n.to_string())).collect()
    }
}

impl FromIterator<Permission> for PermissionSet {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        PermissionSet(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Permission::*;

    #[test]
    fn names_round_trip() {
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.as_str()), Some(p));
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(json, format!("\"{}\"", p.as_str()));
        }
        assert_eq!(Permission::parse("Admin"), None);
    }

    #[test]
    fn implication_rules() {
        assert!(!Admin.implies(Internal), "a tenant admin key is no internal caller");
        assert!(Admin.implies(ProviderCredentialsWrite));
        assert!(EmailProvidersWrite.implies(EmailProvidersRead));
        assert!(!EmailProvidersRead.implies(EmailProvidersWrite));
        assert!(App.implies(Imap) && App.implies(ApiWrite));
        assert!(!App.implies(Internal) && !App.implies(Admin));
        assert!(!ProviderCredentialsWrite.implies(EmailProvidersRead));
    }

    #[test]
    fn a_set_covers_only_what_it_grants() {
        let app: PermissionSet = [App].into_iter().collect();
        assert!(app.covers(&[Smtp, Imap].into_iter().collect()));
        assert!(!app.covers(&[Smtp, Internal].into_iter().collect()));
        let admin: PermissionSet = [Admin].into_iter().collect();
        assert!(admin.covers(&Permission::ALL.into_iter().collect()));
    }
}
