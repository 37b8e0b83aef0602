//! The credential blocks as stored (inside the encrypted blob), and their
//! display forms.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::super::host::Host;
use super::super::masking::{mask_identifier, mask_username, HIDDEN};
use super::super::secret::{expose, expose_option, SecretString};
use super::super::Invalid;
use super::{ProviderType, SmtpEncryption};

#[derive(Clone, Serialize, Deserialize)]
pub struct SesCredentials {
    pub access_key_id: String,
    #[serde(serialize_with = "expose")]
    pub secret_access_key: SecretString,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct ScalewayCredentials {
    #[serde(serialize_with = "expose")]
    pub api_key: SecretString,
    pub project_id: String,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct SmtpCredentials {
    pub host: Host,
    pub port: u16,
    pub username: Option<String>,
    #[serde(serialize_with = "expose_option")]
    pub password: Option<SecretString>,
    pub encryption: SmtpEncryption,
    pub accept_invalid_certs: bool,
}

impl std::fmt::Debug for SmtpCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SmtpCredentials({}:{}, <redacted>)", self.host.as_str(), self.port)
    }
}

impl SmtpCredentials {
    /// Whether a password stored for `stored` would go elsewhere with these
    /// settings: another host, port or encryption, or certificate checks
    /// turned off (then any server that answers for the host receives it).
    /// Each needs the password again.
    pub(super) fn redirects_from(&self, stored: &SmtpCredentials) -> bool {
        (&self.host, self.port, self.encryption) != (&stored.host, stored.port, stored.encryption)
            || (self.accept_invalid_certs && !stored.accept_invalid_certs)
    }

    /// A password never crosses an unencrypted connection.
    pub(super) fn check(self) -> Result<SmtpCredentials, Invalid> {
        if self.encryption == SmtpEncryption::None && self.password.is_some() {
            return Err(Invalid::new(
                "smtp_credentials.password cannot be sent over encryption none; use starttls or tls, \
                 or remove the password for a relay without authentication",
            ));
        }
        Ok(self)
    }
}

/// Exactly one validated credential block. Serialized, it is the plaintext of
/// the encrypted blob; it is never shown.
#[derive(Clone, Serialize, Deserialize)]
#[serde(tag = "provider_type", rename_all = "lowercase")]
pub enum ProviderCredentials {
    Ses(SesCredentials),
    Scaleway(ScalewayCredentials),
    Smtp(SmtpCredentials),
}

impl std::fmt::Debug for ProviderCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ProviderCredentials::{}(<redacted>)", self.provider_type().as_str())
    }
}

impl ProviderCredentials {
    pub fn provider_type(&self) -> ProviderType {
        match self {
            ProviderCredentials::Ses(_) => ProviderType::Ses,
            ProviderCredentials::Scaleway(_) => ProviderType::Scaleway,
            ProviderCredentials::Smtp(_) => ProviderType::Smtp,
        }
    }

    /// The display form, computed at write time and stored beside the blob so
    /// that reads never decrypt.
    pub fn masked(&self) -> Value {
        match self {
            ProviderCredentials::Ses(c) => json!({
                "access_key_id": mask_identifier(&c.access_key_id),
                "secret_access_key": HIDDEN,
            }),
            ProviderCredentials::Scaleway(c) => json!({
                "api_key": HIDDEN,
                "project_id": c.project_id,
            }),
            ProviderCredentials::Smtp(c) => json!({
                "host": c.host.as_str(),
                "port": c.port,
                "username": c.username.as_deref().map(mask_username),
                "password": c.password.as_ref().map(|_| HIDDEN),
                "encryption": c.encryption,
                "accept_invalid_certs": c.accept_invalid_certs,
            }),
        }
    }
}
