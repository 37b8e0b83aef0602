//! Email providers: the request shapes, their validation into types that are
//! valid by construction, and the masked display form. By job:
//! [`stored`] (the credential blocks inside the blob, and their masks),
//! [`input`] (the blocks as submitted, and their validation), [`update`]
//! (what a PATCH's block does to what is stored) and [`request`] (the
//! create and PATCH bodies).

mod input;
mod request;
mod stored;
mod update;

pub use input::{ScalewayBlock, SesBlock, SmtpBlock};
pub use request::{EmailProviderPatch, EmailProviderUpdate, NewEmailProvider, NewEmailProviderInput};
pub use stored::{ProviderCredentials, ScalewayCredentials, SesCredentials, SmtpCredentials};
pub use update::{Change, CredentialsUpdate, SmtpUpdate};

use super::Invalid;
use serde::{Deserialize, Serialize};

const MAX_NAME_CHARS: usize = 255;
const MAX_REGION_CHARS: usize = 64;
pub(crate) const MAX_SECRET_CHARS: usize = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProviderType {
    Ses,
    Scaleway,
    Smtp,
}

impl ProviderType {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderType::Ses => "ses",
            ProviderType::Scaleway => "scaleway",
            ProviderType::Smtp => "smtp",
        }
    }

    pub fn parse(value: &str) -> Option<ProviderType> {
        [ProviderType::Ses, ProviderType::Scaleway, ProviderType::Smtp].into_iter().find(|t| t.as_str() == value)
    }

    pub(crate) fn block_name(self) -> &'static str {
        match self {
            ProviderType::Ses => "ses_credentials",
            ProviderType::Scaleway => "scaleway_credentials",
            ProviderType::Smtp => "smtp_credentials",
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SmtpEncryption {
    #[default]
    Starttls,
    Tls,
    None,
}

/// A display name: trimmed, not empty, at most 255 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderName(String);

impl ProviderName {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(Invalid::field("name", "Provider name cannot be empty"));
        }
        super::check_display_text("Provider name", name, MAX_NAME_CHARS).map_err(|e| e.at("name"))?;
        Ok(ProviderName(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A cloud region such as `eu-west-1` or `fr-par`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region(String);

impl Region {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let region = raw.trim();
        if region.is_empty() {
            return Err(Invalid::field("region", "Region cannot be empty"));
        }
        let well_formed = region.chars().count() <= MAX_REGION_CHARS
            && region.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !well_formed {
            return Err(Invalid::field("region", "Region must be at most 64 letters, digits, '-' or '_'"));
        }
        Ok(Region(region.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
