//! HTTP: thin handlers, extractors, and the error mapping.

pub mod audit_events;
pub mod email_providers;
pub mod error;
pub mod extract;
pub mod routes;

pub use error::ApiError;
pub use routes::{api_router, Function};
