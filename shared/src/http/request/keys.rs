//! The keys' request bodies as the wire has them, and what they convert
//! into (the rules are the domain's).

use serde::Deserialize;

use crate::domain::key::{KeyPatch, MailProtocol, NewKey, Overlap, Platform};
use crate::domain::secret::SecretString;
use crate::domain::Invalid;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"name": "Newsletter sender", "permissions": ["send", "read"], "expiresIn": 90, "allowedCidrs": ["203.0.113.0/24"]}))]
pub struct CreateApiKeyRequest {
    #[serde(default)]
    #[schema(required, min_length = 1, max_length = 255)]
    pub name: String,
    pub permissions: Option<Vec<String>>,
    /// Days until the key expires.
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 3650)]
    pub expires_in: Option<serde_json::Number>,
    /// The networks the key may be used from; absent or `[]` for anywhere.
    #[schema(max_items = 20)]
    pub allowed_cidrs: Option<Vec<String>>,
}

impl TryFrom<&CreateApiKeyRequest> for NewKey {
    type Error = Invalid;
    fn try_from(request: &CreateApiKeyRequest) -> Result<NewKey, Invalid> {
        NewKey::email(
            &request.name,
            request.permissions.as_deref(),
            request.expires_in.as_ref(),
            request.allowed_cidrs.as_deref(),
        )
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Newsletter sender (read only)", "permissions": ["read"]}))]
pub struct UpdateApiKeyRequest {
    #[schema(min_length = 1, max_length = 255)]
    pub name: Option<String>,
    pub permissions: Option<Vec<String>>,
    /// The networks the key may be used from; `[]` for anywhere.
    #[serde(rename = "allowedCidrs")]
    #[schema(max_items = 20)]
    pub allowed_cidrs: Option<Vec<String>>,
}

impl TryFrom<&UpdateApiKeyRequest> for KeyPatch {
    type Error = Invalid;
    fn try_from(request: &UpdateApiKeyRequest) -> Result<KeyPatch, Invalid> {
        KeyPatch::email(request.name.as_deref(), request.permissions.as_deref(), request.allowed_cidrs.as_deref())
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Office printer", "scopes": ["smtp"]}))]
pub struct CreateSmtpCredentialRequest {
    #[serde(default)]
    #[schema(required, min_length = 1, max_length = 255)]
    pub name: String,
    #[schema(required)]
    pub scopes: Option<Vec<String>>,
    /// The networks the key may be used from; absent or `[]` for anywhere.
    #[serde(rename = "allowedCidrs")]
    #[schema(max_items = 20)]
    pub allowed_cidrs: Option<Vec<String>>,
}

impl TryFrom<&CreateSmtpCredentialRequest> for NewKey {
    type Error = Invalid;
    fn try_from(request: &CreateSmtpCredentialRequest) -> Result<NewKey, Invalid> {
        NewKey::smtp(&request.name, request.scopes.as_deref(), request.allowed_cidrs.as_deref())
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"name": "Office printer", "allowedCidrs": ["192.0.2.0/24"]}))]
pub struct UpdateSmtpCredentialRequest {
    #[schema(min_length = 1, max_length = 255)]
    pub name: Option<String>,
    /// The networks the key may be used from; `[]` for anywhere.
    #[schema(max_items = 20)]
    pub allowed_cidrs: Option<Vec<String>>,
}

impl TryFrom<&UpdateSmtpCredentialRequest> for KeyPatch {
    type Error = Invalid;
    fn try_from(request: &UpdateSmtpCredentialRequest) -> Result<KeyPatch, Invalid> {
        KeyPatch::smtp(request.name.as_deref(), request.allowed_cidrs.as_deref())
    }
}

/// A rotation's options (the body is optional: none rotates at once).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"keepOldForSeconds": 86400}))]
pub struct RotateKeyRequest {
    /// How long the old key keeps working beside the new one: 0 (the
    /// default) stops it at once; at most 604800 (seven days).
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 604800)]
    pub keep_old_for_seconds: Option<serde_json::Number>,
}

impl TryFrom<&RotateKeyRequest> for Overlap {
    type Error = Invalid;
    fn try_from(request: &RotateKeyRequest) -> Result<Overlap, Invalid> {
        request.keep_old_for_seconds.as_ref().map(Overlap::seconds).transpose().map(Option::unwrap_or_default)
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

impl TryFrom<&CreateMobileKeyRequest> for NewKey {
    type Error = Invalid;
    fn try_from(request: &CreateMobileKeyRequest) -> Result<NewKey, Invalid> {
        NewKey::mobile(&request.name, request.platform, &request.device_id)
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
