//! The create and PATCH of an email provider as submitted (the HTTP edge
//! converts its wire shapes into these), and what they validate into.

use super::super::Invalid;
use super::input::CredentialBlocks;
use super::input::{ScalewayBlock, SesBlock, SmtpBlock};
use super::update::CredentialsUpdate;
use super::{ProviderCredentials, ProviderName, ProviderType, Region};

// ---- create ----

/// A create as submitted.
pub struct NewEmailProviderInput {
    pub name: String,
    pub provider_type: ProviderType,
    pub region: String,
    pub is_active: Option<bool>,
    pub ses_credentials: Option<SesBlock>,
    pub scaleway_credentials: Option<ScalewayBlock>,
    pub smtp_credentials: Option<SmtpBlock>,
}

/// A provider ready to be stored.
#[derive(Debug)]
pub struct NewEmailProvider {
    pub name: ProviderName,
    pub region: Region,
    pub is_active: bool,
    pub credentials: ProviderCredentials,
}

impl NewEmailProviderInput {
    fn blocks(&self) -> CredentialBlocks<'_> {
        CredentialBlocks {
            ses: self.ses_credentials.as_ref(),
            scaleway: self.scaleway_credentials.as_ref(),
            smtp: self.smtp_credentials.as_ref(),
        }
    }

    pub fn validate(&self) -> Result<NewEmailProvider, Invalid> {
        let name = ProviderName::parse(&self.name)?;
        let region = Region::parse(&self.region)?;
        let blocks = self.blocks();
        if blocks.count() > 1 {
            return Err(Invalid::new("Only one credential block (ses/scaleway/smtp) may be supplied"));
        }
        let expected = self.provider_type;
        match blocks.supplied_type() {
            None => {
                return Err(Invalid::new(format!(
                    "{} is required for provider_type {}",
                    expected.block_name(),
                    expected.as_str()
                )))
            }
            Some(supplied) if supplied != expected => {
                return Err(Invalid::new(format!(
                    "Credential block does not match provider type ({})",
                    expected.as_str()
                )))
            }
            Some(_) => {}
        }
        let credentials = blocks.validate().expect("one block was supplied")?;
        Ok(NewEmailProvider { name, region, is_active: self.is_active.unwrap_or(true), credentials })
    }
}

// ---- update ----

/// A `PATCH` as submitted: every field optional. `provider_type_sent` says
/// the body named a type, which is refused with a message that says why.
#[derive(Default)]
pub struct EmailProviderUpdate {
    pub name: Option<String>,
    pub region: Option<String>,
    pub is_active: Option<bool>,
    pub ses_credentials: Option<SesBlock>,
    pub scaleway_credentials: Option<ScalewayBlock>,
    pub smtp_credentials: Option<SmtpBlock>,
    pub provider_type_sent: bool,
}

/// A validated partial update.
#[derive(Debug, Default)]
pub struct EmailProviderPatch {
    pub name: Option<ProviderName>,
    pub region: Option<Region>,
    pub is_active: Option<bool>,
    pub credentials: Option<CredentialsUpdate>,
}

impl EmailProviderUpdate {
    fn blocks(&self) -> CredentialBlocks<'_> {
        CredentialBlocks {
            ses: self.ses_credentials.as_ref(),
            scaleway: self.scaleway_credentials.as_ref(),
            smtp: self.smtp_credentials.as_ref(),
        }
    }

    /// The rules that need no stored state; checked before the provider is
    /// loaded.
    pub fn check_shape(&self) -> Result<(), Invalid> {
        if self.provider_type_sent {
            return Err(Invalid::field(
                "provider_type",
                "provider_type cannot be changed; delete the provider and create a new one",
            ));
        }
        if self.blocks().count() > 1 {
            return Err(Invalid::new("Only one credential block (ses/scaleway/smtp) may be supplied per update"));
        }
        Ok(())
    }

    /// The credentials of a block that is whole and valid on its own (SES,
    /// Scaleway, or SMTP naming its own username and password): what a PATCH
    /// may seal while the stored provider is still being read. Whether it
    /// fits that provider is checked by [`Self::validate`] all the same.
    pub fn whole_block(&self) -> Option<ProviderCredentials> {
        let supplied = self.blocks().supplied_type()?;
        match self.validate(supplied).ok()?.credentials? {
            CredentialsUpdate::Replace(credentials) => Some(credentials),
            CredentialsUpdate::Smtp(update) if !update.keeps_stored_values() => {
                update.apply(None).ok().map(ProviderCredentials::Smtp)
            }
            CredentialsUpdate::Smtp(_) => None,
        }
    }

    /// Validates against the stored provider's type, in the order the API
    /// documents: block/type mismatch, then name, then the block's fields.
    pub fn validate(&self, existing: ProviderType) -> Result<EmailProviderPatch, Invalid> {
        self.check_shape()?;
        let blocks = self.blocks();
        if let Some(supplied) = blocks.supplied_type() {
            if supplied != existing {
                return Err(Invalid::new(format!(
                    "Credential block does not match existing provider type ({})",
                    existing.as_str()
                )));
            }
        }
        Ok(EmailProviderPatch {
            name: self.name.as_deref().map(ProviderName::parse).transpose()?,
            region: self.region.as_deref().map(Region::parse).transpose()?,
            is_active: self.is_active,
            credentials: blocks.validate_update().transpose()?,
        })
    }
}
