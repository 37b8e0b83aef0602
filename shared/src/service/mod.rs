//! Business rules: what each operation does, in terms of the domain types,
//! the envelope and the store. One error type, mapped to HTTP in `http`.

pub mod accounts;
pub mod audit;
pub mod email_providers;
pub mod exposure;
pub mod health;
pub mod keys;
pub mod page;
pub mod provider_credentials;
pub mod rate_limit;
pub mod reminders;
pub mod resolve;
pub mod scanning_keys;
mod webhook_events;
pub mod webhooks;

use crate::crypto::CryptoError;
use crate::domain::Invalid;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    Invalid(#[from] Invalid),
    /// The resource does not exist in the caller's account; the message is
    /// the documented one for its kind.
    #[error("{0}")]
    NotFound(&'static str),
    /// The caller may not do this; the message says why.
    #[error("{0}")]
    Forbidden(&'static str),
    /// A concurrent change kept winning; the caller may retry.
    #[error("{0}")]
    Conflict(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}
