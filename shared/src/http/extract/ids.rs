//! The one id of a path, parsed and checked for shape before any store call.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;

use super::super::error::ApiError;
use crate::domain::ids::{AccountId, EmailProviderId, KeyId, ProviderCredentialId, WebhookId};

/// An id that a path may hold, and what a caller is told when the path's
/// id cannot be one (`NOT_FOUND`, as for an unknown one).
pub trait IdKind: Sized + Send + Sync + 'static {
    const NOT_FOUND: &'static str;
    fn parse_path(raw: &str) -> Option<Self>;
}

impl IdKind for EmailProviderId {
    const NOT_FOUND: &'static str = crate::service::email_providers::NOT_FOUND;
    fn parse_path(raw: &str) -> Option<Self> {
        EmailProviderId::parse(raw)
    }
}

impl IdKind for ProviderCredentialId {
    const NOT_FOUND: &'static str = crate::service::provider_credentials::NOT_FOUND;
    fn parse_path(raw: &str) -> Option<Self> {
        ProviderCredentialId::parse(raw)
    }
}

impl IdKind for KeyId {
    const NOT_FOUND: &'static str = crate::service::keys::NOT_FOUND;
    fn parse_path(raw: &str) -> Option<Self> {
        KeyId::parse(raw)
    }
}

impl IdKind for WebhookId {
    const NOT_FOUND: &'static str = crate::service::webhooks::NOT_FOUND;
    fn parse_path(raw: &str) -> Option<Self> {
        WebhookId::parse(raw)
    }
}

impl IdKind for AccountId {
    const NOT_FOUND: &'static str = crate::service::provider_credentials::ACCOUNT_NOT_FOUND;
    fn parse_path(raw: &str) -> Option<Self> {
        AccountId::parse(raw)
    }
}

/// The one id of a path, checked for shape before any store call: an id
/// that cannot be ours (too long, another prefix, other characters) is
/// answered 404 at once, and a path that is not UTF-8 400, both in the
/// error body.
pub struct IdPath<K: IdKind>(pub K);

impl<K: IdKind, S: Send + Sync> FromRequestParts<S> for IdPath<K> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::bad_request("The request path is not valid UTF-8"))?;
        K::parse_path(&raw).map(IdPath).ok_or_else(|| ApiError::not_found(K::NOT_FOUND))
    }
}
