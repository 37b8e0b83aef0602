//! Email providers: the request shapes, their validation into types that are
//! valid by construction, and the masked display form.

use super::host::{Host, HostError};
use super::masking::{mask_identifier, mask_username, HIDDEN};
use super::secret::{expose, expose_option, ExposeSecret, SecretString};
use super::Invalid;
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

const MAX_NAME_CHARS: usize = 255;
const MAX_REGION_CHARS: usize = 64;
const MAX_SECRET_CHARS: usize = 4096;

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

    fn block_name(self) -> &'static str {
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
            return Err(Invalid::new("Provider name cannot be empty"));
        }
        super::check_display_text("Provider name", name, MAX_NAME_CHARS)?;
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
            return Err(Invalid::new("Region cannot be empty"));
        }
        let well_formed = region.chars().count() <= MAX_REGION_CHARS
            && region.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !well_formed {
            return Err(Invalid::new("Region must be at most 64 letters, digits, '-' or '_'"));
        }
        Ok(Region(region.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

// ---- credential blocks as stored (inside the encrypted blob) ----

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
    fn redirects_from(&self, stored: &SmtpCredentials) -> bool {
        (&self.host, self.port, self.encryption) != (&stored.host, stored.port, stored.encryption)
            || (self.accept_invalid_certs && !stored.accept_invalid_certs)
    }

    /// A password never crosses an unencrypted connection.
    fn check(self) -> Result<SmtpCredentials, Invalid> {
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

// ---- credential blocks as submitted ----

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SesCredentialsInput {
    #[serde(default)]
    #[schema(required)]
    access_key_id: String,
    #[schema(required, write_only, value_type = String)]
    secret_access_key: Option<SecretString>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScalewayCredentialsInput {
    #[schema(required, write_only, value_type = String)]
    api_key: Option<SecretString>,
    #[serde(default)]
    #[schema(required)]
    project_id: String,
}

/// Tells a field sent as `null` (`Some(None)`) from one not sent (`None`).
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// The SMTP block. On update, `username` and `password` left out (or sent
/// empty) keep the stored values, and `null` removes them; on create, left
/// out means none.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmtpCredentialsInput {
    #[serde(default)]
    #[schema(required)]
    host: String,
    #[schema(required, minimum = 1, maximum = 65535)]
    port: Option<i64>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    username: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(write_only, value_type = Option<String>)]
    password: Option<Option<SecretString>>,
    #[serde(default)]
    encryption: SmtpEncryption,
    #[serde(default)]
    accept_invalid_certs: bool,
}

/// A required field kept in the blob but shown in part (masked) or whole:
/// no control characters.
fn required_text(block: &str, field: &str, value: &str) -> Result<String, Invalid> {
    check_required(block, field, value)?;
    super::check_no_control_characters(&format!("{block}.{field}"), value)?;
    Ok(value.to_string())
}

fn check_required(block: &str, field: &str, value: &str) -> Result<(), Invalid> {
    if value.trim().is_empty() {
        return Err(Invalid(format!("{block}.{field} is required")));
    }
    if value.chars().count() > MAX_SECRET_CHARS {
        return Err(Invalid(format!("{block}.{field} must be at most {MAX_SECRET_CHARS} characters")));
    }
    Ok(())
}

fn required_secret_value(block: &str, field: &str, value: Option<&SecretString>) -> Result<SecretString, Invalid> {
    let value = value.map(|v| v.expose_secret()).unwrap_or_default();
    check_required(block, field, value)?;
    Ok(SecretString::from(value))
}

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
    base: SmtpCredentials,
    username: Change<String>,
    password: Change<SecretString>,
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

impl SesCredentialsInput {
    fn validate(&self) -> Result<ProviderCredentials, Invalid> {
        let block = ProviderType::Ses.block_name();
        Ok(ProviderCredentials::Ses(SesCredentials {
            access_key_id: required_text(block, "access_key_id", self.access_key_id.trim())?,
            secret_access_key: required_secret_value(block, "secret_access_key", self.secret_access_key.as_ref())?,
        }))
    }
}

impl ScalewayCredentialsInput {
    fn validate(&self) -> Result<ProviderCredentials, Invalid> {
        let block = ProviderType::Scaleway.block_name();
        Ok(ProviderCredentials::Scaleway(ScalewayCredentials {
            api_key: required_secret_value(block, "api_key", self.api_key.as_ref())?,
            project_id: required_text(block, "project_id", self.project_id.trim())?,
        }))
    }
}

impl SmtpCredentialsInput {
    /// The block as an update: left out or empty keeps, `null` clears.
    fn validate_update(&self) -> Result<SmtpUpdate, Invalid> {
        let block = ProviderType::Smtp.block_name();
        let host = Host::parse(&self.host).map_err(|e| match e {
            HostError::Empty => Invalid(format!("{block}.host is required")),
            HostError::Invalid => {
                Invalid(format!("{block}.host must be a DNS name or IP address (no scheme, port, path or spaces)"))
            }
        })?;
        let port = match self.port {
            None => return Err(Invalid(format!("{block}.port is required"))),
            Some(p) if p <= 0 => return Err(Invalid(format!("{block}.port must be greater than 0"))),
            Some(p) => u16::try_from(p).map_err(|_| Invalid(format!("{block}.port must be at most 65535")))?,
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
struct CredentialBlocks<'a> {
    ses: Option<&'a SesCredentialsInput>,
    scaleway: Option<&'a ScalewayCredentialsInput>,
    smtp: Option<&'a SmtpCredentialsInput>,
}

impl CredentialBlocks<'_> {
    fn count(&self) -> usize {
        usize::from(self.ses.is_some()) + usize::from(self.scaleway.is_some()) + usize::from(self.smtp.is_some())
    }

    fn supplied_type(&self) -> Option<ProviderType> {
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

    fn validate(&self) -> Option<Result<ProviderCredentials, Invalid>> {
        self.ses
            .map(SesCredentialsInput::validate)
            .or_else(|| self.scaleway.map(ScalewayCredentialsInput::validate))
            .or_else(|| self.smtp.map(SmtpCredentialsInput::validate))
    }

    fn validate_update(&self) -> Option<Result<CredentialsUpdate, Invalid>> {
        match self.smtp {
            Some(smtp) => Some(smtp.validate_update().map(CredentialsUpdate::Smtp)),
            None => self.validate().map(|r| r.map(CredentialsUpdate::Replace)),
        }
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

// ---- create ----

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Transactional (SES)",
    "provider_type": "ses",
    "region": "eu-west-1",
    "ses_credentials": {"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
}))]
pub struct CreateEmailProviderRequest {
    #[serde(default)]
    #[schema(required, min_length = 1, max_length = 255)]
    pub name: String,
    pub provider_type: ProviderType,
    #[serde(default)]
    #[schema(required, pattern = "^[A-Za-z0-9_-]{1,64}$")]
    pub region: String,
    pub is_active: Option<bool>,
    pub ses_credentials: Option<SesCredentialsInput>,
    pub scaleway_credentials: Option<ScalewayCredentialsInput>,
    pub smtp_credentials: Option<SmtpCredentialsInput>,
}

/// A provider ready to be stored.
#[derive(Debug)]
pub struct NewEmailProvider {
    pub name: ProviderName,
    pub region: Region,
    pub is_active: bool,
    pub credentials: ProviderCredentials,
}

impl CreateEmailProviderRequest {
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
                return Err(Invalid(format!(
                    "{} is required for provider_type {}",
                    expected.block_name(),
                    expected.as_str()
                )))
            }
            Some(supplied) if supplied != expected => {
                return Err(Invalid(format!("Credential block does not match provider type ({})", expected.as_str())))
            }
            Some(_) => {}
        }
        let credentials = blocks.validate().expect("one block was supplied")?;
        Ok(NewEmailProvider { name, region, is_active: self.is_active.unwrap_or(true), credentials })
    }
}

// ---- update ----

/// `PATCH` body: every field optional. `provider_type` is accepted by the
/// parser only so that it can be refused with a message that says why.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Transactional (SES, Ireland)", "is_active": false}))]
pub struct UpdateEmailProviderRequest {
    #[schema(min_length = 1, max_length = 255)]
    pub name: Option<String>,
    #[schema(pattern = "^[A-Za-z0-9_-]{1,64}$")]
    pub region: Option<String>,
    pub is_active: Option<bool>,
    pub ses_credentials: Option<SesCredentialsInput>,
    pub scaleway_credentials: Option<ScalewayCredentialsInput>,
    pub smtp_credentials: Option<SmtpCredentialsInput>,
    #[schema(ignore)]
    provider_type: Option<IgnoredAny>,
}

/// A validated partial update.
#[derive(Debug, Default)]
pub struct EmailProviderPatch {
    pub name: Option<ProviderName>,
    pub region: Option<Region>,
    pub is_active: Option<bool>,
    pub credentials: Option<CredentialsUpdate>,
}

impl UpdateEmailProviderRequest {
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
        if self.provider_type.is_some() {
            return Err(Invalid::new("provider_type cannot be changed; delete the provider and create a new one"));
        }
        if self.blocks().count() > 1 {
            return Err(Invalid::new("Only one credential block (ses/scaleway/smtp) may be supplied per update"));
        }
        Ok(())
    }

    /// Validates against the stored provider's type, in the order the API
    /// documents: block/type mismatch, then name, then the block's fields.
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

    pub fn validate(&self, existing: ProviderType) -> Result<EmailProviderPatch, Invalid> {
        self.check_shape()?;
        let blocks = self.blocks();
        if let Some(supplied) = blocks.supplied_type() {
            if supplied != existing {
                return Err(Invalid(format!(
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

#[cfg(test)]
mod tests {
    use super::*;

    fn create(body: Value) -> Result<NewEmailProvider, Invalid> {
        serde_json::from_value::<CreateEmailProviderRequest>(body).unwrap().validate()
    }

    fn update(body: Value, existing: ProviderType) -> Result<EmailProviderPatch, Invalid> {
        serde_json::from_value::<UpdateEmailProviderRequest>(body).unwrap().validate(existing)
    }

    #[test]
    fn ses_masks_both_fields() {
        let p = create(json!({"name": "SES", "provider_type": "ses", "region": "eu-west-1",
            "ses_credentials": {"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}}))
        .unwrap();
        assert!(p.is_active);
        assert_eq!(p.credentials.masked(), json!({"access_key_id": "AKIA...MPLE", "secret_access_key": "***"}));
    }

    #[test]
    fn smtp_defaults_and_mask() {
        let p = create(json!({"name": "Relay", "provider_type": "smtp", "region": "local",
            "smtp_credentials": {"host": "smtp.example.com", "port": 587, "username": "mailer@example.com", "password": "pw"}}))
        .unwrap();
        assert_eq!(
            p.credentials.masked(),
            json!({"host": "smtp.example.com", "port": 587, "username": "m***@example.com", "password": "***",
                   "encryption": "starttls", "accept_invalid_certs": false})
        );
        let p = create(json!({"name": "Relay", "provider_type": "smtp", "region": "local",
            "smtp_credentials": {"host": "smtp.example.com", "port": 25, "encryption": "none"}}))
        .unwrap();
        assert_eq!(p.credentials.masked()["username"], Value::Null);
        assert_eq!(p.credentials.masked()["password"], Value::Null);
    }

    #[test]
    fn create_requires_the_matching_block() {
        let err = create(json!({"name": "x", "provider_type": "ses", "region": "eu-west-1"})).unwrap_err();
        assert_eq!(err.0, "ses_credentials is required for provider_type ses");
        let err = create(json!({"name": "x", "provider_type": "ses", "region": "eu-west-1",
            "scaleway_credentials": {"api_key": "k", "project_id": "p"}}))
        .unwrap_err();
        assert_eq!(err.0, "Credential block does not match provider type (ses)");
    }

    #[test]
    fn update_rules_in_documented_order() {
        let mismatch = json!({"name": " ", "smtp_credentials": {"host": "h.example.com", "port": 25}});
        assert_eq!(
            update(mismatch, ProviderType::Ses).unwrap_err().0,
            "Credential block does not match existing provider type (ses)"
        );
        assert_eq!(update(json!({"name": "  "}), ProviderType::Ses).unwrap_err().0, "Provider name cannot be empty");
        let two = json!({"ses_credentials": {}, "smtp_credentials": {}});
        assert_eq!(
            update(two, ProviderType::Ses).unwrap_err().0,
            "Only one credential block (ses/scaleway/smtp) may be supplied per update"
        );
        let no_host = json!({"smtp_credentials": {"host": "", "port": 25}});
        assert_eq!(update(no_host, ProviderType::Smtp).unwrap_err().0, "smtp_credentials.host is required");
        let port0 = json!({"smtp_credentials": {"host": "smtp.example.com", "port": 0}});
        assert_eq!(update(port0, ProviderType::Smtp).unwrap_err().0, "smtp_credentials.port must be greater than 0");
        let big = json!({"smtp_credentials": {"host": "smtp.example.com", "port": 70000}});
        assert_eq!(update(big, ProviderType::Smtp).unwrap_err().0, "smtp_credentials.port must be at most 65535");
    }

    #[test]
    fn provider_type_cannot_be_patched() {
        let err = update(json!({"provider_type": "smtp"}), ProviderType::Ses).unwrap_err();
        assert!(err.0.starts_with("provider_type cannot be changed"));
    }

    #[test]
    fn debug_never_shows_secrets() {
        let p = create(json!({"name": "S", "provider_type": "scaleway", "region": "fr-par",
            "scaleway_credentials": {"api_key": "scw-secret-value", "project_id": "proj"}}))
        .unwrap();
        assert!(!format!("{p:?}").contains("scw-secret-value"));
    }

    fn smtp_update(block: Value) -> SmtpUpdate {
        match update(json!({"smtp_credentials": block}), ProviderType::Smtp).unwrap().credentials {
            Some(CredentialsUpdate::Smtp(u)) => u,
            other => panic!("not an SMTP update: {other:?}"),
        }
    }

    fn stored() -> SmtpCredentials {
        SmtpCredentials {
            host: Host::parse("smtp.example.com").unwrap(),
            port: 587,
            username: Some("mailer@example.com".into()),
            password: Some(SecretString::from("stored-password")),
            encryption: SmtpEncryption::Starttls,
            accept_invalid_certs: false,
        }
    }

    #[test]
    fn a_kept_password_follows_only_its_destination() {
        let same = smtp_update(json!({"host": "smtp.example.com", "port": 587}));
        assert!(same.keeps_stored_values());
        let kept = same.apply(Some(stored())).unwrap();
        assert_eq!(kept.password.as_ref().map(|p| p.expose_secret().to_string()), Some("stored-password".into()));
        assert_eq!(kept.username.as_deref(), Some("mailer@example.com"));
        // Turning certificate checks back on keeps it too: the destination
        // only gets stricter.
        let lax = SmtpCredentials { accept_invalid_certs: true, ..stored() };
        let strict = smtp_update(json!({"host": "smtp.example.com", "port": 587, "accept_invalid_certs": false}));
        assert!(!strict.apply(Some(lax)).unwrap().accept_invalid_certs);
        for moved in [
            json!({"host": "smtp.example.com", "port": 587, "accept_invalid_certs": true}),
            json!({"host": "attacker.example.net", "port": 587}),
            json!({"host": "smtp.example.com", "port": 2525}),
            json!({"host": "smtp.example.com", "port": 587, "encryption": "tls"}),
            json!({"host": "smtp.example.com", "port": 587, "password": ""}),
        ] {
            let result = smtp_update(moved.clone()).apply(Some(stored()));
            if moved["password"] == "" {
                assert!(result.is_ok(), "same destination, blank password keeps it");
                continue;
            }
            assert!(result
                .unwrap_err()
                .0
                .starts_with("smtp_credentials.password is required when host, port or encryption changes"));
        }
        // With the password again, or with the password removed, it may move.
        let with_password =
            smtp_update(json!({"host": "other.example.net", "port": 465, "encryption": "tls", "password": "new"}));
        assert_eq!(with_password.apply(Some(stored())).unwrap().password.unwrap().expose_secret(), "new");
        let without = smtp_update(
            json!({"host": "relay.example.net", "port": 25, "encryption": "none", "username": null, "password": null}),
        );
        let relay = without.apply(Some(stored())).unwrap();
        assert!(relay.password.is_none() && relay.username.is_none());
    }

    #[test]
    fn no_password_over_an_unencrypted_connection() {
        let err = create(json!({"name": "Relay", "provider_type": "smtp", "region": "local",
            "smtp_credentials": {"host": "smtp.example.com", "port": 25, "encryption": "none", "username": "u", "password": "pw"}}))
        .unwrap_err();
        assert!(err.0.starts_with("smtp_credentials.password cannot be sent over encryption none"), "{}", err.0);
        // Downgrading a stored provider keeps its password, so it is refused too.
        let down =
            smtp_update(json!({"host": "smtp.example.com", "port": 587, "encryption": "none", "password": "pw"}));
        assert!(down.apply(Some(stored())).is_err());
    }
}
