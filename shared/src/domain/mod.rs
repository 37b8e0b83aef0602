//! Types that are valid by construction, the masking rules and the
//! permission model. Nothing here talks to AWS.

pub mod connectivity;
pub mod email_provider;
pub mod host;
pub mod ids;
pub mod key;
pub mod masking;
pub mod permission;
pub mod provider_credential;

use std::fmt;

/// Input that breaks a rule. The message is shown to the caller as is, so it
/// names fields and rules, never submitted values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub String);

impl Invalid {
    pub fn new(message: impl Into<String>) -> Self {
        Invalid(message.into())
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Invalid {}
