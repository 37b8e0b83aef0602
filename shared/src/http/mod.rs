//! HTTP: thin handlers, extractors, and the error mapping.

pub mod api_keys;
pub mod audit_events;
pub mod email_providers;
pub mod error;
pub mod exposure;
pub mod extract;
pub mod observe;
pub mod openapi;
pub mod page;
pub mod provider_credentials;
pub mod rate_limit;
pub mod request;
pub mod resolve;
pub mod routes;
mod schema;
pub mod smtp_credentials;
pub mod verify_key;
pub mod webhooks;
pub mod whoami;

pub use error::ApiError;
pub use routes::{api_router, route, Function};
