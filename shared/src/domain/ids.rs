//! Identifiers: each kind its own type, parsed once where it comes in (a
//! path, a body, a stored item), so a function that takes an account id
//! cannot be handed a key id. Every id but an email provider's is a prefix
//! and a lower-case ULID.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// `prefix` and a lower-case ULID: the shape of every id this service makes
/// but email providers'.
fn is_prefixed_ulid(value: &str, prefix: &str) -> bool {
    value.strip_prefix(prefix).is_some_and(|ulid| {
        ulid.len() == 26
            && ulid.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
            && ulid::Ulid::from_string(ulid).is_ok()
    })
}

/// Text that is not an id of the kind asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAnId(&'static str);

impl fmt::Display for NotAnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not an id of this kind (expected {} and 26 lower-case letters and digits)", self.0)
    }
}

impl std::error::Error for NotAnId {}

macro_rules! prefixed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// A new, unique one.
            #[allow(clippy::new_without_default)]
            pub fn new() -> Self {
                $name(format!("{}{}", $prefix, ulid::Ulid::new().to_string().to_lowercase()))
            }

            /// `raw` if it has this kind's shape.
            pub fn parse(raw: &str) -> Option<Self> {
                is_prefixed_ulid(raw, $prefix).then(|| $name(raw.to_string()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = NotAnId;
            fn from_str(raw: &str) -> Result<Self, NotAnId> {
                $name::parse(raw).ok_or(NotAnId($prefix))
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(deserializer)?;
                $name::parse(&raw).ok_or_else(|| serde::de::Error::custom(concat!("expected an id starting ", $prefix)))
            }
        }
    };
}

prefixed_id!(
    /// An account: `acc_…`.
    AccountId,
    "acc_"
);
prefixed_id!(
    /// A key of an account (an email API key or an SMTP credential): `key_…`.
    KeyId,
    "key_"
);
prefixed_id!(
    /// A platform service key: `key_…` like every key, but its own type, so
    /// that a tenant's key id is never taken for one (or the reverse).
    ServiceKeyId,
    "key_"
);
prefixed_id!(
    /// A provider credential: `pc_…`.
    ProviderCredentialId,
    "pc_"
);
prefixed_id!(
    /// A webhook endpoint: `wh_…`.
    WebhookId,
    "wh_"
);
prefixed_id!(
    /// One delivery attempt to a webhook endpoint: `dlv_…` (sorts by time).
    DeliveryId,
    "dlv_"
);

/// An email provider: a positive integer, numbered per account from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EmailProviderId(u64);

impl EmailProviderId {
    /// From the account's counter (never 0).
    pub fn from_counter(n: u64) -> Option<Self> {
        (n > 0).then_some(EmailProviderId(n))
    }

    /// Decimal digits of a positive integer that fits, and nothing else.
    pub fn parse(raw: &str) -> Option<Self> {
        (raw.len() <= 20 && raw.bytes().all(|b| b.is_ascii_digit()))
            .then(|| raw.parse::<u64>().ok())
            .flatten()
            .and_then(Self::from_counter)
    }

    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for EmailProviderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Whether `value` has the shape of any id of ours (an audit listing's
/// `resource_id`, which may name any kind).
pub fn is_resource_id(value: &str) -> bool {
    AccountId::parse(value).is_some()
        || KeyId::parse(value).is_some()
        || ProviderCredentialId::parse(value).is_some()
        || WebhookId::parse(value).is_some()
        || EmailProviderId::parse(value).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_shapes() {
        assert!(KeyId::parse(KeyId::new().as_str()).is_some() && AccountId::parse(AccountId::new().as_str()).is_some());
        let pc = ProviderCredentialId::new().to_string();
        assert!(ProviderCredentialId::parse(&pc).is_some() && is_resource_id(&pc));
        assert!(AccountId::parse(&pc).is_none(), "one kind is not another");
        for bad in
            [String::new(), "pc_".into(), format!("pc_{}", "a".repeat(2100)), pc.to_uppercase(), format!("{pc}x")]
        {
            assert!(ProviderCredentialId::parse(&bad).is_none(), "{bad:.40}");
        }
        assert_eq!(EmailProviderId::parse("42"), EmailProviderId::from_counter(42));
        for bad in ["0", "-1", "+1", "1.0", " 1", "99999999999999999999999"] {
            assert_eq!(EmailProviderId::parse(bad), None, "{bad}");
        }
    }
}
