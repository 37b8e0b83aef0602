//! `POST /api/internal/credentials/resolve`: what a worker asks for.

use serde::Deserialize;

use super::ids::{is_account_id, is_provider_credential_id};
use super::Invalid;

const MAX_PURPOSE_CHARS: usize = 64;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"account_id": "acc_01jdx7m3k9q2w8e4r5t6y7u8i9", "email_provider_id": 1, "purpose": "send"}))]
pub struct ResolveCredentialRequest {
    #[serde(default)]
    #[schema(required)]
    pub account_id: String,
    /// Exactly one of `email_provider_id` and `provider_credential_id`.
    #[schema(minimum = 1)]
    pub email_provider_id: Option<u64>,
    pub provider_credential_id: Option<String>,
    /// Why the worker needs it (`send`, `sync`, ...): 1 to 64 printable
    /// characters, recorded in the audit record.
    #[serde(default)]
    #[schema(required, min_length = 1, max_length = 64)]
    pub purpose: String,
}

/// Which credential a resolve names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResolveTarget {
    EmailProvider(u64),
    ProviderCredential(String),
}

/// A validated resolve. `account_id` is `None` when it cannot be an account
/// of ours (answered as an unknown resource).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolve {
    pub account_id: Option<String>,
    pub target: ResolveTarget,
    pub purpose: String,
}

impl ResolveCredentialRequest {
    pub fn validate(&self) -> Result<Resolve, Invalid> {
        let target = match (self.email_provider_id, &self.provider_credential_id) {
            (Some(id), None) => ResolveTarget::EmailProvider(id),
            (None, Some(id)) => ResolveTarget::ProviderCredential(id.clone()),
            _ => return Err(Invalid::new("exactly one of email_provider_id and provider_credential_id is required")),
        };
        let purpose = self.purpose.trim();
        let printable = !purpose.is_empty()
            && purpose.chars().count() <= MAX_PURPOSE_CHARS
            && super::check_display_text("purpose", purpose, MAX_PURPOSE_CHARS).is_ok();
        if !printable {
            return Err(Invalid::new("purpose must be 1 to 64 printable characters"));
        }
        let shaped = |id: &str| is_account_id(id).then(|| id.to_string());
        let target = match target {
            ResolveTarget::ProviderCredential(id) if !is_provider_credential_id(&id) => {
                ResolveTarget::ProviderCredential(String::new())
            }
            other => other,
        };
        Ok(Resolve { account_id: shaped(&self.account_id), target, purpose: purpose.to_string() })
    }
}
