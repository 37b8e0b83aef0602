//! Keys as the two documented faces see them: email API keys
//! (`/api/email/api-keys`) and SMTP credentials (`/api/smtp-credentials`).
//! One kind of key underneath; each face has its own vocabulary and shapes.

use serde::{Deserialize, Serialize};

use super::permission::{Permission, PermissionSet};
use super::Invalid;

const MAX_NAME_CHARS: usize = 255;
const MAX_DEVICE_ID_CHARS: usize = 255;
/// `expiresIn` is a whole number of days up to ten years.
pub const MAX_EXPIRES_IN_DAYS: u64 = 3650;

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
}

impl NewKey {
    /// An email API key: `send` and `read` unless `permissions` names
    /// others; `expires_in` whole days from 1 to 3650, none for a key that
    /// never expires.
    pub fn email(
        name: &str,
        permissions: Option<&[String]>,
        expires_in: Option<&serde_json::Number>,
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
        Ok(NewKey { name, permissions, expires_in_days, device: None })
    }

    /// An SMTP credential of the given scopes (required).
    pub fn smtp(name: &str, scopes: Option<&[String]>) -> Result<NewKey, Invalid> {
        let name = key_name(name)?;
        let scopes = scopes.ok_or_else(|| Invalid::field("scopes", "scopes is required"))?;
        let permissions = face_permissions(KeyFace::Smtp, "scopes", scopes)?;
        Ok(NewKey { name, permissions, expires_in_days: None, device: None })
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
        })
    }
}

/// A validated email API key update; `None` keeps a field.
#[derive(Debug)]
pub struct KeyPatch {
    pub name: Option<String>,
    pub permissions: Option<PermissionSet>,
}

impl KeyPatch {
    pub fn email(name: Option<&str>, permissions: Option<&[String]>) -> Result<KeyPatch, Invalid> {
        Ok(KeyPatch {
            name: name.map(key_name).transpose()?,
            permissions: permissions.map(|names| face_permissions(KeyFace::Email, "permissions", names)).transpose()?,
        })
    }
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
        let key = NewKey::email("Production API Key", None, None).unwrap();
        assert_eq!(key.permissions.names(), ["send", "read"]);
        assert_eq!(key.expires_in_days, None);
        let key = NewKey::email("k", Some(&names(&["send", "read"])), Some(&365.into())).unwrap();
        assert_eq!(key.expires_in_days, Some(365));
    }

    #[test]
    fn email_key_rules() {
        let msg = |name: &str, permissions: Option<&[&str]>, days: Option<serde_json::Number>| {
            let permissions = permissions.map(names);
            NewKey::email(name, permissions.as_deref(), days.as_ref()).unwrap_err().message().to_string()
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
        let ok = NewKey::smtp("Thunderbird", Some(&names(&["smtp", "pop3", "imap"]))).unwrap();
        assert_eq!(ok.permissions.names(), ["smtp", "pop3", "imap"]);
        assert_eq!(NewKey::smtp("x", None).unwrap_err().message(), "scopes is required");
        assert_eq!(NewKey::smtp("x", Some(&[])).unwrap_err().message(), "scopes must not be empty");
        assert!(NewKey::smtp("x", Some(&names(&["admin"])))
            .unwrap_err()
            .message()
            .starts_with("scopes may only contain: smtp"));
    }

    #[test]
    fn mobile_keys_get_app() {
        let key = NewKey::mobile("iPhone 15", Platform::Ios, "device-identifier").unwrap();
        assert_eq!(key.permissions.names(), ["app"]);
        assert_eq!(key.device.unwrap().platform, Platform::Ios);
        assert_eq!(NewKey::mobile("x", Platform::Android, "").unwrap_err().message(), "deviceId is required");
    }
}
