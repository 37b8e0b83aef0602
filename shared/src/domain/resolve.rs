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

/// A validated resolve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolve {
    pub account_id: String,
    pub target: ResolveTarget,
    pub purpose: String,
}

impl Resolve {
    /// Whether the ids can be ours at all: if not, the answer is "not
    /// found" without a store call.
    pub fn has_our_shape(&self) -> bool {
        is_account_id(&self.account_id)
            && match &self.target {
                ResolveTarget::EmailProvider(_) => true,
                ResolveTarget::ProviderCredential(id) => is_provider_credential_id(id),
            }
    }
}

impl ResolveCredentialRequest {
    pub fn validate(&self) -> Result<Resolve, Invalid> {
        let target = match (self.email_provider_id, &self.provider_credential_id) {
            (Some(id), None) => ResolveTarget::EmailProvider(id),
            (None, Some(id)) => ResolveTarget::ProviderCredential(id.clone()),
            _ => return Err(Invalid::new("exactly one of email_provider_id and provider_credential_id is required")),
        };
        let purpose = self.purpose.trim();
        if purpose.is_empty() || super::check_display_text("purpose", purpose, MAX_PURPOSE_CHARS).is_err() {
            return Err(Invalid::new("purpose must be 1 to 64 printable characters"));
        }
        Ok(Resolve { account_id: self.account_id.clone(), target, purpose: purpose.to_string() })
    }
}
