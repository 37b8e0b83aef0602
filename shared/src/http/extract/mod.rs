//! Extractors, by job: [`auth`] (the authenticated caller, checked before
//! the body is read), [`ids`] (the one id of a path, checked for shape) and
//! [`json`] (JSON bodies whose errors never echo what was sent).

mod auth;
mod ids;
mod json;

pub use auth::*;
pub use ids::*;
pub use json::*;
