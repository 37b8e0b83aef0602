//! The resolve route's body as the wire has it.

use serde::Deserialize;

use crate::domain::resolve::Resolve;
use crate::domain::Invalid;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"account_id": "acc_01jdx7m3k9q2w8e4r5t6y7u8i9", "email_provider_id": 1, "purpose": "send"}))]
pub struct ResolveCredentialRequest {
    /// Whose credential: a body without it is malformed (400), not a
    /// credential that is not found.
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

impl TryFrom<&ResolveCredentialRequest> for Resolve {
    type Error = Invalid;
    fn try_from(request: &ResolveCredentialRequest) -> Result<Resolve, Invalid> {
        Resolve::new(
            &request.account_id,
            request.email_provider_id,
            request.provider_credential_id.as_deref(),
            &request.purpose,
        )
    }
}
