//! API keys as bearer tokens: how they are made, recognised and checked.
//!
//! A key is `<prefix><base58(32 random bytes ‖ crc32 of them)>`. The checksum
//! lets a mistyped or made-up key be refused without a DynamoDB call, and the
//! prefix lets secret scanners recognise ours. Only the SHA-256 of the whole
//! key is stored.

use std::fmt;

use aes_gcm::aead::rand_core::RngCore;
use aes_gcm::aead::OsRng;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::domain::ids::{AccountId, KeyId, ServiceKeyId};
use crate::domain::permission::{Permission, PermissionSet};
use crate::domain::secret::{ExposeSecret, SecretString};

const SECRET_BYTES: usize = 32;
const CHECKSUM_BYTES: usize = 4;

/// The readable start of a key, which says what kind of key it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyPrefix {
    /// Email API keys of a production deployment.
    Live,
    /// Email API keys of any other deployment.
    Test,
    /// Keys for the mail protocols (SMTP credentials).
    Smtp,
    /// Platform service keys, minted by the operator for `/api/internal/*`.
    Service,
}

impl KeyPrefix {
    pub const ALL: [KeyPrefix; 4] = [KeyPrefix::Live, KeyPrefix::Test, KeyPrefix::Smtp, KeyPrefix::Service];

    pub fn as_str(self) -> &'static str {
        match self {
            KeyPrefix::Live => "pk_live_",
            KeyPrefix::Test => "pk_test_",
            KeyPrefix::Smtp => "rm_",
            KeyPrefix::Service => "pk_svc_",
        }
    }

    /// The email API key prefix of a deployment stage.
    pub fn for_stage(stage: &str) -> KeyPrefix {
        if is_production(stage) {
            KeyPrefix::Live
        } else {
            KeyPrefix::Test
        }
    }

    /// What lists show in place of the key: `pk_live_...`.
    pub fn display(self) -> String {
        format!("{}...", self.as_str())
    }
}

/// The SHA-256 of a whole key, hex-encoded: what the store keeps.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyHash(String);

impl KeyHash {
    /// The hash of any presented text (GitHub's reports name tokens by it).
    pub fn of(key: &str) -> KeyHash {
        KeyHash(hex::encode(Sha256::digest(key.as_bytes())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for KeyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyHash({}…)", &self.0[..8])
    }
}

/// A freshly made key. The plaintext exists only here, is shown once and is
/// zeroized on drop.
pub struct IssuedKey {
    pub plaintext: SecretString,
    pub hash: KeyHash,
    pub prefix: KeyPrefix,
}

impl fmt::Debug for IssuedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IssuedKey({}<redacted>)", self.prefix.as_str())
    }
}

impl IssuedKey {
    pub fn generate(prefix: KeyPrefix) -> IssuedKey {
        let mut body = Zeroizing::new([0u8; SECRET_BYTES + CHECKSUM_BYTES]);
        OsRng.fill_bytes(&mut body[..SECRET_BYTES]);
        let checksum = crc32fast::hash(&body[..SECRET_BYTES]).to_be_bytes();
        body[SECRET_BYTES..].copy_from_slice(&checksum);
        let plaintext = SecretString::from(format!("{}{}", prefix.as_str(), bs58::encode(&body[..]).into_string()));
        let hash = KeyHash::of(plaintext.expose_secret());
        IssuedKey { plaintext, hash, prefix }
    }
}

/// The hash to look up for a presented key, or `None` when the key cannot be
/// one of ours (unknown prefix, bad encoding, wrong checksum): refused with
/// no DynamoDB call.
pub fn recognise(presented: &str) -> Option<(KeyPrefix, KeyHash)> {
    let prefix = KeyPrefix::ALL.into_iter().find(|p| presented.starts_with(p.as_str()))?;
    let encoded = &presented[prefix.as_str().len()..];
    let body = Zeroizing::new(bs58::decode(encoded).into_vec().ok()?);
    if body.len() != SECRET_BYTES + CHECKSUM_BYTES {
        return None;
    }
    let expected = crc32fast::hash(&body[..SECRET_BYTES]).to_be_bytes();
    (body[SECRET_BYTES..] == expected).then(|| (prefix, KeyHash::of(presented)))
}

/// Whether a deployment stage is production (its keys are `pk_live_`).
pub fn is_production(stage: &str) -> bool {
    matches!(stage, "live" | "prod" | "production")
}

/// Who a valid key stands for.
#[derive(Clone, Debug)]
pub enum Principal {
    /// A key of one account.
    Tenant(Caller),
    /// A platform service key: the internal routes, for every account.
    Service { key_id: ServiceKeyId },
}

/// Whose resources a caller of an internal route may act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InternalScope {
    /// A platform service key: every account.
    AllAccounts { service_key_id: ServiceKeyId },
    /// A tenant's own `internal` key: its account only.
    Account { account_id: AccountId, key_id: KeyId },
}

impl InternalScope {
    pub fn covers(&self, account_id: &AccountId) -> bool {
        match self {
            InternalScope::AllAccounts { .. } => true,
            InternalScope::Account { account_id: own, .. } => own == account_id,
        }
    }

    /// The caller's key id (as audit records name the actor).
    pub fn key_id(&self) -> &str {
        match self {
            InternalScope::AllAccounts { service_key_id } => service_key_id.as_str(),
            InternalScope::Account { key_id, .. } => key_id.as_str(),
        }
    }

    /// Names the caller in counters that must not be shared between callers.
    pub fn counter_name(&self) -> String {
        match self {
            InternalScope::AllAccounts { service_key_id } => format!("service:{service_key_id}"),
            InternalScope::Account { account_id, .. } => format!("account:{account_id}"),
        }
    }
}

/// The authenticated caller of a request.
#[derive(Clone, Debug)]
pub struct Caller {
    pub account_id: AccountId,
    pub key_id: KeyId,
    pub permissions: PermissionSet,
}

impl Caller {
    pub fn holds(&self, permission: Permission) -> bool {
        self.permissions.allows(permission)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_recognised() {
        for prefix in KeyPrefix::ALL {
            let key = IssuedKey::generate(prefix);
            assert!(key.plaintext.expose_secret().starts_with(prefix.as_str()));
            let (found, hash) = recognise(key.plaintext.expose_secret()).expect("recognised");
            assert_eq!(found, prefix);
            assert_eq!(hash, key.hash);
        }
    }

    #[test]
    fn keys_are_distinct_and_long() {
        let a = IssuedKey::generate(KeyPrefix::Live);
        let b = IssuedKey::generate(KeyPrefix::Live);
        assert_ne!(a.plaintext.expose_secret(), b.plaintext.expose_secret());
        assert!(a.plaintext.expose_secret().len() >= "pk_live_".len() + 45);
    }

    /// What docs/api/exposure.md gives GitHub's secret scanning to match:
    /// the prefix, then 48 to 50 base58 characters.
    #[test]
    fn keys_match_the_published_patterns() {
        const BASE58: &str = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
        for prefix in KeyPrefix::ALL {
            for _ in 0..500 {
                let key = IssuedKey::generate(prefix);
                let body = &key.plaintext.expose_secret()[prefix.as_str().len()..];
                assert!((48..=50).contains(&body.len()), "{} characters", body.len());
                assert!(body.chars().all(|c| BASE58.contains(c)));
            }
        }
    }

    #[test]
    fn a_mistyped_key_fails_the_checksum() {
        let key = IssuedKey::generate(KeyPrefix::Test);
        let mut chars: Vec<char> = key.plaintext.expose_secret().chars().collect();
        let i = chars.len() - 5;
        chars[i] = if chars[i] == 'a' { 'b' } else { 'a' };
        let typo: String = chars.into_iter().collect();
        assert!(recognise(&typo).is_none());
        assert!(recognise("pk_live_abc123xyz789_full_key_here").is_none());
        assert!(recognise("Bearer").is_none());
        assert!(recognise("").is_none());
    }

    #[test]
    fn debug_output_hides_the_key() {
        let key = IssuedKey::generate(KeyPrefix::Smtp);
        let shown = format!("{key:?} {:?}", key.hash);
        assert!(!shown.contains(&key.plaintext.expose_secret()[3..]));
        assert!(!shown.contains(key.hash.as_str()));
    }
}
