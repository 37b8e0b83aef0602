//! What a PATCH's credential block does to what is stored.

use super::super::secret::SecretString;
use super::super::Invalid;
use super::{ProviderCredentials, SmtpCredentials};

/// What an update does to a stored optional field.
#[derive(Clone, Debug)]
pub enum Change<T> {
    Keep,
    Clear,
    Set(T),
}

impl<T> Change<T> {
    fn apply(self, current: Option<T>) -> Option<T> {
        match self {
            Change::Keep => current,
            Change::Clear => None,
            Change::Set(value) => Some(value),
        }
    }
}

/// A validated SMTP block of an update: everything but the username and
/// password is replaced; those two may be kept.
#[derive(Clone)]
pub struct SmtpUpdate {
    pub(super) base: SmtpCredentials,
    pub(super) username: Change<String>,
    pub(super) password: Change<SecretString>,
}

impl SmtpUpdate {
    /// Whether the stored blob must be opened to apply this update.
    pub fn keeps_stored_values(&self) -> bool {
        matches!(self.username, Change::Keep) || matches!(self.password, Change::Keep)
    }

    /// The block after this update. A kept password follows only an
    /// unchanged destination (host, port, encryption, certificate checks
    /// on): anyone who may edit a provider could otherwise send its stored
    /// password to a server of their own.
    pub fn apply(self, current: Option<SmtpCredentials>) -> Result<SmtpCredentials, Invalid> {
        let (username, password) = match &current {
            Some(c) => (c.username.clone(), c.password.clone()),
            None => (None, None),
        };
        let keeps_password = matches!(self.password, Change::Keep) && password.is_some();
        let moved = current.as_ref().is_none_or(|c| self.base.redirects_from(c));
        if keeps_password && moved {
            return Err(Invalid::new(
                "smtp_credentials.password is required when host, port or encryption changes \
                 or certificate checks are turned off: a stored password only goes to the server it was given for",
            ));
        }
        SmtpCredentials {
            username: self.username.apply(username),
            password: self.password.apply(password),
            ..self.base
        }
        .check()
    }
}

impl std::fmt::Debug for SmtpUpdate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SmtpUpdate(<redacted>)")
    }
}

/// A credential block of an update.
#[derive(Debug)]
pub enum CredentialsUpdate {
    /// SES and Scaleway blocks are whole: they replace what is stored.
    Replace(ProviderCredentials),
    /// An SMTP block may keep the stored username and password.
    Smtp(SmtpUpdate),
}
