//! Request bodies as the wire has them (serde and OpenAPI attributes), one
//! module per area, each converting into the domain's inputs (`TryFrom`):
//! the rules stay in the domain, the shapes of the wire here.

pub mod email_providers;
pub mod exposure;
pub mod keys;
pub mod provider_credentials;
pub mod resolve;
pub mod webhooks;
