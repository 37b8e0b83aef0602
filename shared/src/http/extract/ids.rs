//! The one id of a path, parsed and checked for shape before any store call.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;

use super::super::error::ApiError;
use crate::domain::ids;

/// What a kind of id in a path is, and what a caller is told when an id
/// cannot be one (`NOT_FOUND`, as for an unknown one).
pub trait IdKind: Send + Sync + 'static {
    type Id: Send;
    const NOT_FOUND: &'static str;
    fn parse(raw: &str) -> Option<Self::Id>;
}

pub struct EmailProviderId;
impl IdKind for EmailProviderId {
    type Id = u64;
    const NOT_FOUND: &'static str = crate::service::email_providers::NOT_FOUND;
    fn parse(raw: &str) -> Option<u64> {
        ids::parse_email_provider_id(raw)
    }
}

pub struct ProviderCredentialId;
impl IdKind for ProviderCredentialId {
    type Id = String;
    const NOT_FOUND: &'static str = crate::service::provider_credentials::NOT_FOUND;
    fn parse(raw: &str) -> Option<String> {
        ids::is_provider_credential_id(raw).then(|| raw.to_string())
    }
}

pub struct KeyId;
impl IdKind for KeyId {
    type Id = String;
    const NOT_FOUND: &'static str = crate::service::keys::NOT_FOUND;
    fn parse(raw: &str) -> Option<String> {
        ids::is_key_id(raw).then(|| raw.to_string())
    }
}

pub struct AccountId;
impl IdKind for AccountId {
    type Id = String;
    const NOT_FOUND: &'static str = crate::service::provider_credentials::ACCOUNT_NOT_FOUND;
    fn parse(raw: &str) -> Option<String> {
        ids::is_account_id(raw).then(|| raw.to_string())
    }
}

/// The one id of a path, checked for shape before any store call: an id
/// that cannot be ours (too long, another prefix, other characters) is
/// answered 404 at once, and a path that is not UTF-8 400, both in the
/// error body.
pub struct IdPath<K: IdKind>(pub K::Id);

impl<K: IdKind, S: Send + Sync> FromRequestParts<S> for IdPath<K> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::bad_request("The request path is not valid UTF-8"))?;
        K::parse(&raw).map(IdPath).ok_or_else(|| ApiError::not_found(K::NOT_FOUND))
    }
}
