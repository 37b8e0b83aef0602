//! Keys as the two documented faces see them: email API keys
//! (`/api/email/api-keys`) and SMTP credentials (`/api/smtp-credentials`).
//! One kind of key underneath; each face has its own vocabulary and shapes.

use serde::{Deserialize, Serialize};

use super::permission::{Permission, PermissionSet};
use super::secret::SecretString;
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

// ---- email API keys ----

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"name": "Newsletter sender", "permissions": ["send", "read"], "expiresIn": 90}))]
pub struct CreateApiKeyRequest {
    #[serde(default)]
    #[schema(required, min_length = 1, max_length = 255)]
    pub name: String,
    pub permissions: Option<Vec<String>>,
    /// Days until the key expires.
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 3650)]
    pub expires_in: Option<serde_json::Number>,
}

/// A validated email API key request.
#[derive(Debug)]
pub struct NewKey {
    pub name: String,
    pub permissions: PermissionSet,
    pub expires_in_days: Option<u64>,
    pub device: Option<MobileDevice>,
}

impl CreateApiKeyRequest {
    pub fn validate(&self) -> Result<NewKey, Invalid> {
        let name = key_name(&self.name)?;
        let permissions = match &self.permissions {
            None => [Permission::Send, Permission::Read].into_iter().collect(),
            Some(names) => face_permissions(KeyFace::Email, "permissions", names)?,
        };
        let expires_in_days = match &self.expires_in {
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
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Newsletter sender (read only)", "permissions": ["read"]}))]
pub struct UpdateApiKeyRequest {
    #[schema(min_length = 1, max_length = 255)]
    pub name: Option<String>,
    pub permissions: Option<Vec<String>>,
}

/// A validated email API key update; `None` keeps a field.
#[derive(Debug)]
pub struct KeyPatch {
    pub name: Option<String>,
    pub permissions: Option<PermissionSet>,
}

impl UpdateApiKeyRequest {
    pub fn validate(&self) -> Result<KeyPatch, Invalid> {
        Ok(KeyPatch {
            name: self.name.as_deref().map(key_name).transpose()?,
            permissions: self
                .permissions
                .as_deref()
                .map(|names| face_permissions(KeyFace::Email, "permissions", names))
                .transpose()?,
        })
    }
}

// ---- SMTP credentials ----

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Office printer", "scopes": ["smtp"]}))]
pub struct CreateSmtpCredentialRequest {
    #[serde(default)]
    #[schema(required, min_length = 1, max_length = 255)]
    pub name: String,
    #[schema(required)]
    pub scopes: Option<Vec<String>>,
}

impl CreateSmtpCredentialRequest {
    pub fn validate(&self) -> Result<NewKey, Invalid> {
        let name = key_name(&self.name)?;
        let scopes = self.scopes.as_deref().ok_or_else(|| Invalid::field("scopes", "scopes is required"))?;
        let permissions = face_permissions(KeyFace::Smtp, "scopes", scopes)?;
        Ok(NewKey { name, permissions, expires_in_days: None, device: None })
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"name": "Ada's phone", "platform": "ios", "deviceId": "5F3C2B1A-8D4E-4F6A-9B7C-0E1D2C3B4A59"}))]
pub struct CreateMobileKeyRequest {
    #[serde(default)]
    #[schema(required, min_length = 1, max_length = 255)]
    pub name: String,
    pub platform: Platform,
    #[serde(default)]
    #[schema(required, min_length = 1, max_length = 255)]
    pub device_id: String,
}

impl CreateMobileKeyRequest {
    /// Mobile keys get the `app` scope: the mail protocols and the REST API,
    /// never `internal`.
    pub fn validate(&self) -> Result<NewKey, Invalid> {
        let name = key_name(&self.name)?;
        let device_id = self.device_id.trim();
        if device_id.is_empty() {
            return Err(Invalid::field("deviceId", "deviceId is required"));
        }
        super::check_display_text("deviceId", device_id, MAX_DEVICE_ID_CHARS)?;
        Ok(NewKey {
            name,
            permissions: [Permission::App].into_iter().collect(),
            expires_in_days: None,
            device: Some(MobileDevice { platform: self.platform, device_id: device_id.to_string() }),
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

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"apiKey": "pk_test_REPLACE_WITH_A_KEY", "protocol": "imap", "sourceIp": "198.51.100.7"}))]
pub struct VerifyKeyRequest {
    /// Required: a check without a key is a malformed request, not a failed
    /// key.
    #[schema(write_only, value_type = String)]
    pub api_key: SecretString,
    pub protocol: MailProtocol,
    /// The mail client's address, as the mail server saw it; failures are
    /// throttled per source.
    pub source_ip: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn create(body: serde_json::Value) -> Result<NewKey, Invalid> {
        serde_json::from_value::<CreateApiKeyRequest>(body).unwrap().validate()
    }

    #[test]
    fn email_key_defaults() {
        let key = create(json!({"name": "Production API Key"})).unwrap();
        assert_eq!(key.permissions.names(), ["send", "read"]);
        assert_eq!(key.expires_in_days, None);
        let key = create(json!({"name": "k", "permissions": ["send", "read"], "expiresIn": 365})).unwrap();
        assert_eq!(key.expires_in_days, Some(365));
        assert_eq!(create(json!({"name": "k", "expiresIn": null})).unwrap().expires_in_days, None);
    }

    #[test]
    fn email_key_rules() {
        let msg = |body| create(body).unwrap_err().message().to_string();
        assert_eq!(msg(json!({"name": " "})), "name is required");
        assert_eq!(msg(json!({"name": "k", "permissions": []})), "permissions must not be empty");
        assert!(msg(json!({"name": "k", "permissions": ["send", "root"]}))
            .starts_with("permissions may only contain: send, read"));
        assert!(msg(json!({"name": "k", "permissions": ["smtp"]})).starts_with("permissions may only contain"));
        for bad in [json!(0), json!(-1), json!(1.5), json!(3651)] {
            assert!(msg(json!({"name": "k", "expiresIn": bad})).starts_with("expiresIn must be a whole number"));
        }
    }

    #[test]
    fn smtp_scopes() {
        let parse = |body| serde_json::from_value::<CreateSmtpCredentialRequest>(body).unwrap().validate();
        let ok = parse(json!({"name": "Thunderbird", "scopes": ["smtp", "pop3", "imap"]})).unwrap();
        assert_eq!(ok.permissions.names(), ["smtp", "pop3", "imap"]);
        assert_eq!(parse(json!({"name": "x"})).unwrap_err().message(), "scopes is required");
        assert_eq!(parse(json!({"name": "x", "scopes": []})).unwrap_err().message(), "scopes must not be empty");
        assert!(parse(json!({"name": "x", "scopes": ["admin"]}))
            .unwrap_err()
            .message()
            .starts_with("scopes may only contain: smtp"));
    }

    #[test]
    fn mobile_keys_get_app() {
        let parse = |body| serde_json::from_value::<CreateMobileKeyRequest>(body).unwrap().validate();
        let key = parse(json!({"name": "iPhone 15", "platform": "ios", "deviceId": "device-identifier"})).unwrap();
        assert_eq!(key.permissions.names(), ["app"]);
        assert_eq!(key.device.unwrap().platform, Platform::Ios);
        assert_eq!(
            parse(json!({"name": "x", "platform": "android", "deviceId": ""})).unwrap_err().message(),
            "deviceId is required"
        );
    }
}
