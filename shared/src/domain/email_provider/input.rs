//! The credential blocks as submitted (the HTTP edge converts its wire
//! shapes into these), and their validation.

use super::super::host::{Host, HostError};
use super::super::secret::{ExposeSecret, SecretString};
use super::super::Invalid;
use super::update::{Change, CredentialsUpdate, SmtpUpdate};
use super::{
    ProviderCredentials, ProviderType, ScalewayCredentials, SesCredentials, SmtpCredentials, SmtpEncryption,
    MAX_SECRET_CHARS,
};

/// An SES block as submitted.
pub struct SesBlock {
    pub access_key_id: String,
    pub secret_access_key: Option<SecretString>,
}

/// A Scaleway block as submitted.
pub struct ScalewayBlock {
    pub api_key: Option<SecretString>,
    pub project_id: String,
}

/// An SMTP block as submitted. On update, `username` and `password` left
/// out (`None`) or sent empty keep the stored values, and `null`
/// (`Some(None)`) removes them; on create, left out means none.
pub struct SmtpBlock {
    pub host: String,
    pub port: Option<i64>,
    pub username: Option<Option<String>>,
    pub password: Option<Option<SecretString>>,
    pub encryption: SmtpEncryption,
    pub accept_invalid_certs: bool,
}

/// A required field kept in the blob but shown in part (masked) or whole:
/// no control characters.
fn required_text(block: &str, field: &str, value: &str) -> Result<String, Invalid> {
    check_required(block, field, value)?;
    super::super::check_no_control_characters(&format!("{block}.{field}"), value)?;
    Ok(value.to_string())
}

fn check_required(block: &str, field: &str, value: &str) -> Result<(), Invalid> {
    if value.trim().is_empty() {
        return Err(Invalid::field(format!("{block}.{field}"), format!("{block}.{field} is required")));
    }
    if value.chars().count() > MAX_SECRET_CHARS {
        return Err(Invalid::field(
            format!("{block}.{field}"),
            format!("{block}.{field} must be at most {MAX_SECRET_CHARS} characters"),
        ));
    }
    Ok(())
}

fn required_secret_value(block: &str, field: &str, value: Option<&SecretString>) -> Result<SecretString, Invalid> {
    let value = value.map(|v| v.expose_secret()).unwrap_or_default();
    check_required(block, field, value)?;
    Ok(SecretString::from(value))
}

impl SesBlock {
    fn validate(&self) -> Result<ProviderCredentials, Invalid> {
        let block = ProviderType::Ses.block_name();
        Ok(ProviderCredentials::Ses(SesCredentials {
            access_key_id: required_text(block, "access_key_id", self.access_key_id.trim())?,
            secret_access_key: required_secret_value(block, "secret_access_key", self.secret_access_key.as_ref())?,
        }))
    }
}

impl ScalewayBlock {
    fn validate(&self) -> Result<ProviderCredentials, Invalid> {
        let block = ProviderType::Scaleway.block_name();
        Ok(ProviderCredentials::Scaleway(ScalewayCredentials {
            api_key: required_secret_value(block, "api_key", self.api_key.as_ref())?,
            project_id: required_text(block, "project_id", self.project_id.trim())?,
        }))
    }
}

impl SmtpBlock {
    /// The block as an update: left out or empty keeps, `null` clears.
    fn validate_update(&self) -> Result<SmtpUpdate, Invalid> {
        let block = ProviderType::Smtp.block_name();
        let host = Host::parse(&self.host).map_err(|e| match e {
            HostError::Empty => Invalid::field(format!("{block}.host"), format!("{block}.host is required")),
            HostError::Invalid => Invalid::field(
                format!("{block}.host"),
                format!("{block}.host must be a DNS name or IP address (no scheme, port, path or spaces)"),
            ),
        })?;
        let port = match self.port {
            None => return Err(Invalid::field(format!("{block}.port"), format!("{block}.port is required"))),
            Some(p) if p <= 0 => {
                return Err(Invalid::field(format!("{block}.port"), format!("{block}.port must be greater than 0")))
            }
            Some(p) => u16::try_from(p)
                .map_err(|_| Invalid::field(format!("{block}.port"), format!("{block}.port must be at most 65535")))?,
        };
        let username = match &self.username {
            None => Change::Keep,
            Some(None) => Change::Clear,
            Some(Some(u)) if u.is_empty() => Change::Keep,
            Some(Some(u)) => Change::Set(required_text(block, "username", u)?),
        };
        let password = match &self.password {
            None => Change::Keep,
            Some(None) => Change::Clear,
            Some(Some(p)) if p.expose_secret().is_empty() => Change::Keep,
            Some(Some(p)) => Change::Set(required_secret_value(block, "password", Some(p))?),
        };
        let base = SmtpCredentials {
            host,
            port,
            username: None,
            password: None,
            encryption: self.encryption,
            accept_invalid_certs: self.accept_invalid_certs,
        };
        Ok(SmtpUpdate { base, username, password })
    }

    /// The block as created: nothing stored to keep.
    fn validate(&self) -> Result<ProviderCredentials, Invalid> {
        self.validate_update()?.apply(None).map(ProviderCredentials::Smtp)
    }
}

/// The three optional credential blocks of a request.
pub struct CredentialBlocks<'a> {
    pub ses: Option<&'a SesBlock>,
    pub scaleway: Option<&'a ScalewayBlock>,
    pub smtp: Option<&'a SmtpBlock>,
}

impl CredentialBlocks<'_> {
    pub(super) fn count(&self) -> usize {
        usize::from(self.ses.is_some()) + usize::from(self.scaleway.is_some()) + usize::from(self.smtp.is_some())
    }

    pub(super) fn supplied_type(&self) -> Option<ProviderType> {
        if self.ses.is_some() {
            Some(ProviderType::Ses)
        } else if self.scaleway.is_some() {
            Some(ProviderType::Scaleway)
        } else if self.smtp.is_some() {
            Some(ProviderType::Smtp)
        } else {
            None
        }
    }

    pub(super) fn validate(&self) -> Option<Result<ProviderCredentials, Invalid>> {
        self.ses
            .map(SesBlock::validate)
            .or_else(|| self.scaleway.map(ScalewayBlock::validate))
            .or_else(|| self.smtp.map(SmtpBlock::validate))
    }

    pub(super) fn validate_update(&self) -> Option<Result<CredentialsUpdate, Invalid>> {
        match self.smtp {
            Some(smtp) => Some(smtp.validate_update().map(CredentialsUpdate::Smtp)),
            None => self.validate().map(|r| r.map(CredentialsUpdate::Replace)),
        }
    }
}
