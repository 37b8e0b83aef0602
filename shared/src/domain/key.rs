//! Keys as the two documented faces see them: email API keys
//! (`/api/email/api-keys`) and SMTP credentials (`/api/smtp-credentials`).
//! One kind of key underneath; each face has its own vocabulary and shapes.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::allowed_cidrs::AllowedCidrs;
use super::permission::{Permission, PermissionSet};
use super::timestamp::Timestamp;
use super::Invalid;

const MAX_NAME_CHARS: usize = 255;
const MAX_DEVICE_ID_CHARS: usize = 255;
/// `expiresIn` is a whole number of days up to ten years.
pub const MAX_EXPIRES_IN_DAYS: u64 = 3650;
/// A rotated key may keep working for at most seven days.
pub const MAX_KEEP_OLD_SECONDS: u64 = 7 * 24 * 60 * 60;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyFace {
    /// `/api/email/api-keys`: `pk_live_` / `pk_test_` keys.
    Email,
    /// `/api/smtp-credentials`: `rm_` keys for the mail protocols.
    Smtp,
}

impl KeyFace {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyFace::Email => "email",
            KeyFace::Smtp => "smtp",
        }
    }

    pub fn parse(value: &str) -> Option<KeyFace> {
        [KeyFace::Email, KeyFace::Smtp].into_iter().find(|f| f.as_str() == value)
    }

    /// The permissions a key of this face may hold.
    pub fn vocabulary(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            KeyFace::Email => &[
                Send,
                Read,
                Webhooks,
                Admin,
                EmailProvidersRead,
                EmailProvidersWrite,
                ProviderCredentialsRead,
                ProviderCredentialsWrite,
            ],
            KeyFace::Smtp => &[Smtp, Pop3, Imap, ApiRead, ApiWrite, App, Internal],
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Ios,
    Android,
}

impl Platform {
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Ios => "ios",
            Platform::Android => "android",
        }
    }

    pub fn parse(value: &str) -> Option<Platform> {
        [Platform::Ios, Platform::Android].into_iter().find(|p| p.as_str() == value)
    }
}

/// The device a mobile key was made for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MobileDevice {
    pub platform: Platform,
    pub device_id: String,
}

/// A key name: trimmed, not empty, at most 255 characters.
pub fn key_name(raw: &str) -> Result<String, Invalid> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(Invalid::field("name", "name is required"));
    }
    super::check_display_text("name", name, MAX_NAME_CHARS)?;
    Ok(name.to_string())
}

/// Parses permission names against a face's vocabulary. The message lists
/// what is allowed rather than repeating what was sent.
pub fn face_permissions(face: KeyFace, field: &str, names: &[String]) -> Result<PermissionSet, Invalid> {
    let allowed = face.vocabulary();
    if names.is_empty() {
        return Err(Invalid::field(field, format!("{field} must not be empty")));
    }
    let parsed: Option<PermissionSet> =
        names.iter().map(|n| Permission::parse(n).filter(|p| allowed.contains(p))).collect();
    parsed.ok_or_else(|| {
        let known: Vec<&str> = allowed.iter().map(|p| p.as_str()).collect();
        Invalid::field(field, format!("{field} may only contain: {}", known.join(", ")))
    })
}

// ---- new keys and their changes ----

/// A validated new key of either face.
#[derive(Debug)]
pub struct NewKey {
    pub name: String,
    pub permissions: PermissionSet,
    pub expires_in_days: Option<u64>,
    pub device: Option<MobileDevice>,
    pub allowed_cidrs: AllowedCidrs,
}

/// The networks of a request's `allowedCidrs`; absent means anywhere.
fn allow_list(entries: Option<&[String]>) -> Result<AllowedCidrs, Invalid> {
    entries.map(AllowedCidrs::parse).transpose().map(Option::unwrap_or_default)
}

impl NewKey {
    /// An email API key: `send` and `read` unless `permissions` names
    /// others; `expires_in` whole days from 1 to 3650, none for a key that
    /// never expires.
    pub fn email(
        name: &str,
        permissions: Option<&[String]>,
        expires_in: Option<&serde_json::Number>,
        allowed_cidrs: Option<&[String]>,
    ) -> Result<NewKey, Invalid> {
        let name = key_name(name)?;
        let permissions = match permissions {
            None => [Permission::Send, Permission::Read].into_iter().collect(),
            Some(names) => face_permissions(KeyFace::Email, "permissions", names)?,
        };
        let expires_in_days = match expires_in {
            None => None,
            Some(days) => Some(days.as_u64().filter(|d| (1..=MAX_EXPIRES_IN_DAYS).contains(d)).ok_or_else(|| {
                Invalid::field(
                    "expiresIn",
                    format!("expiresIn must be a whole number of days from 1 to {MAX_EXPIRES_IN_DAYS}, or null"),
                )
            })?),
        };
        let allowed_cidrs = allow_list(allowed_cidrs)?;
        Ok(NewKey { name, permissions, expires_in_days, device: None, allowed_cidrs })
    }

    /// An SMTP credential of the given scopes (required).
    pub fn smtp(name: &str, scopes: Option<&[String]>, allowed_cidrs: Option<&[String]>) -> Result<NewKey, Invalid> {
        let name = key_name(name)?;
        let scopes = scopes.ok_or_else(|| Invalid::field("scopes", "scopes is required"))?;
        let permissions = face_permissions(KeyFace::Smtp, "scopes", scopes)?;
        let allowed_cidrs = allow_list(allowed_cidrs)?;
        Ok(NewKey { name, permissions, expires_in_days: None, device: None, allowed_cidrs })
    }

    /// A mobile device's key: the `app` scope (the mail protocols and the
    /// REST API, never `internal`).
    pub fn mobile(name: &str, platform: Platform, device_id: &str) -> Result<NewKey, Invalid> {
        let name = key_name(name)?;
        let device_id = device_id.trim();
        if device_id.is_empty() {
            return Err(Invalid::field("deviceId", "deviceId is required"));
        }
        super::check_display_text("deviceId", device_id, MAX_DEVICE_ID_CHARS)?;
        Ok(NewKey {
            name,
            permissions: [Permission::App].into_iter().collect(),
            expires_in_days: None,
            device: Some(MobileDevice { platform, device_id: device_id.to_string() }),
            // A phone moves between networks: its key is not bound to one.
            allowed_cidrs: AllowedCidrs::default(),
        })
    }
}

/// A validated key update; `None` keeps a field.
#[derive(Debug)]
pub struct KeyPatch {
    pub name: Option<String>,
    pub permissions: Option<PermissionSet>,
    pub allowed_cidrs: Option<AllowedCidrs>,
}

impl KeyPatch {
    /// An email API key's: name, permissions, allow-list.
    pub fn email(
        name: Option<&str>,
        permissions: Option<&[String]>,
        allowed_cidrs: Option<&[String]>,
    ) -> Result<KeyPatch, Invalid> {
        Ok(KeyPatch {
            name: name.map(key_name).transpose()?,
            permissions: permissions.map(|names| face_permissions(KeyFace::Email, "permissions", names)).transpose()?,
            allowed_cidrs: allowed_cidrs.map(AllowedCidrs::parse).transpose()?,
        })
    }

    /// An SMTP credential's: name and allow-list only (its scopes are fixed
    /// at creation).
    pub fn smtp(name: Option<&str>, allowed_cidrs: Option<&[String]>) -> Result<KeyPatch, Invalid> {
        Ok(KeyPatch {
            name: name.map(key_name).transpose()?,
            permissions: None,
            allowed_cidrs: allowed_cidrs.map(AllowedCidrs::parse).transpose()?,
        })
    }
}

/// How long a rotated key keeps working beside its replacement
/// (`keepOldForSeconds`): zero for a rotation that revokes it at once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Overlap(u64);

impl Overlap {
    pub const FIELD: &'static str = "keepOldForSeconds";

    /// Whole seconds from 0 to 604800 (seven days).
    pub fn seconds(value: &serde_json::Number) -> Result<Overlap, Invalid> {
        value.as_u64().filter(|s| *s <= MAX_KEEP_OLD_SECONDS).map(Overlap).ok_or_else(|| {
            Invalid::field(
                Self::FIELD,
                format!("{} must be a whole number of seconds from 0 to {MAX_KEEP_OLD_SECONDS}", Self::FIELD),
            )
        })
    }

    /// When the old key stops, rotated at `now`: `None` for at once.
    pub fn deadline(self, now: Timestamp) -> Option<Timestamp> {
        (self.0 > 0).then(|| now + time::Duration::seconds(self.0 as i64))
    }
}

/// The last use of a key: when, from which client address (API Gateway's,
/// or the client a mail server checked a login for) and for what (a
/// route's function name, or a mail protocol). Uses recorded before the
/// address and route were kept have neither.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyUse {
    pub at: Timestamp,
    pub from: Option<IpAddr>,
    pub used_for: Option<String>,
}

// ---- key check for the mail servers ----

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MailProtocol {
    Smtp,
    Pop3,
    Imap,
}

impl MailProtocol {
    pub fn as_str(self) -> &'static str {
        match self {
            MailProtocol::Smtp => "smtp",
            MailProtocol::Pop3 => "pop3",
            MailProtocol::Imap => "imap",
        }
    }

    pub fn permission(self) -> Permission {
        match self {
            MailProtocol::Smtp => Permission::Smtp,
            MailProtocol::Pop3 => Permission::Pop3,
            MailProtocol::Imap => Permission::Imap,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn email_key_defaults() {
        let key = NewKey::email("Production API Key", None, None, None).unwrap();
        assert_eq!(key.permissions.names(), ["send", "read"]);
        assert_eq!(key.expires_in_days, None);
        let key = NewKey::email("k", Some(&names(&["send", "read"])), Some(&365.into()), None).unwrap();
        assert_eq!(key.expires_in_days, Some(365));
    }

    #[test]
    fn email_key_rules() {
        let msg = |name: &str, permissions: Option<&[&str]>, days: Option<serde_json::Number>| {
            let permissions = permissions.map(names);
            NewKey::email(name, permissions.as_deref(), days.as_ref(), None).unwrap_err().message().to_string()
        };
        assert_eq!(msg(" ", None, None), "name is required");
        assert_eq!(msg("k", Some(&[]), None), "permissions must not be empty");
        assert!(msg("k", Some(&["send", "root"]), None).starts_with("permissions may only contain: send, read"));
        assert!(msg("k", Some(&["smtp"]), None).starts_with("permissions may only contain"));
        let bad: [serde_json::Number; 4] =
            [0.into(), (-1).into(), serde_json::Number::from_f64(1.5).unwrap(), 3651.into()];
        for days in bad {
            assert!(msg("k", None, Some(days)).starts_with("expiresIn must be a whole number"));
        }
    }

    #[test]
    fn smtp_scopes() {
        let ok = NewKey::smtp("Thunderbird", Some(&names(&["smtp", "pop3", "imap"])), None).unwrap();
        assert_eq!(ok.permissions.names(), ["smtp", "pop3", "imap"]);
        assert_eq!(NewKey::smtp("x", None, None).unwrap_err().message(), "scopes is required");
        assert_eq!(NewKey::smtp("x", Some(&[]), None).unwrap_err().message(), "scopes must not be empty");
        assert!(NewKey::smtp("x", Some(&names(&["admin"])), None)
            .unwrap_err()
            .message()
            .starts_with("scopes may only contain: smtp"));
    }

    #[test]
    fn overlaps() {
        let now = Timestamp::now();
        assert_eq!(Overlap::seconds(&0.into()).unwrap().deadline(now), None);
        assert_eq!(Overlap::seconds(&60.into()).unwrap().deadline(now), Some(now + time::Duration::minutes(1)));
        assert!(Overlap::seconds(&MAX_KEEP_OLD_SECONDS.into()).is_ok());
        let bad: [serde_json::Number; 3] =
            [(-1).into(), serde_json::Number::from_f64(1.5).unwrap(), (MAX_KEEP_OLD_SECONDS + 1).into()];
        for value in bad {
            assert_eq!(Overlap::seconds(&value).unwrap_err().field_name(), Some("keepOldForSeconds"));
        }
    }

    #[test]
    fn mobile_keys_get_app() {
        let key = NewKey::mobile("iPhone 15", Platform::Ios, "device-identifier").unwrap();
        assert_eq!(key.permissions.names(), ["app"]);
        assert_eq!(key.device.unwrap().platform, Platform::Ios);
        assert_eq!(NewKey::mobile("x", Platform::Android, "").unwrap_err().message(), "deviceId is required");
    }
}
