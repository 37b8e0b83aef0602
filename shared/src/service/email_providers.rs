//! Email providers: create, read, partial update, delete.

use crate::audit::{Actor, AuditEvent, AuditEventType};
use crate::connectivity::{Connectivity, Login, Probe, Protocol, ScalewayCheck, Security, SesCheck, TestMessage};
use crate::crypto::{Envelope, KeyScope, SealedSecret, SecretContext};
use crate::domain::connectivity::TestOutcome;
use crate::domain::email_provider::{
    CredentialsUpdate, EmailProviderPatch, EmailProviderUpdate, NewEmailProviderInput, ProviderCredentials,
    SmtpCredentials, SmtpEncryption,
};
use crate::domain::secret::ExposeSecret;
use crate::domain::timestamp::Timestamp;
use crate::store::email_providers::{EmailProviderChanges, EmailProviderRecord};
use crate::store::{Store, StoreError};

use super::page::{paginate, Page};
use super::ServiceError;
use crate::domain::ids::{AccountId, EmailProviderId};

pub const RESOURCE_TYPE: &str = "email_provider";
pub const NOT_FOUND: &str = "Provider not found";
const CONFLICT: &str = "The provider was changed by another request at the same time; retry";

/// How often an update re-reads and re-applies itself after losing a race
/// before it answers 409. A PATCH names only the fields it sets, so applying
/// it again on the newer version loses nothing.
const UPDATE_ATTEMPTS: usize = 3;
/// A deletion wants the same whatever changed meanwhile, so it tries longer
/// (each failed try means another writer's change was committed).
pub(crate) const DELETE_ATTEMPTS: usize = 10;

#[derive(Clone, Debug)]
pub struct EmailProviders {
    store: Store,
    envelope: Envelope,
    connectivity: Connectivity,
    /// The shared AWS configuration (HTTP client) that SES tests build on.
    aws: aws_config::SdkConfig,
}

/// An SMTP provider's destination (host, port, encryption) is inside its
/// sealed block, so the context names no destination of its own.
fn secret_context(account_id: &AccountId, id: EmailProviderId) -> SecretContext {
    SecretContext::of_row(account_id, RESOURCE_TYPE, id)
}

fn not_found(err: StoreError) -> ServiceError {
    match err {
        StoreError::NotFound => ServiceError::NotFound(NOT_FOUND),
        other => other.into(),
    }
}

/// The changes `patch` makes to `current`, and their field names for the
/// audit record. A supplied credential block always counts as a change: it
/// is re-encrypted under a fresh data key.
fn diff(
    current: &EmailProviderRecord,
    patch: &EmailProviderPatch,
    sealed: Option<&(serde_json::Value, SealedSecret)>,
) -> (EmailProviderChanges, Vec<String>) {
    let mut changes = EmailProviderChanges::default();
    let mut fields = Vec::new();
    if let Some(name) = patch.name.as_ref().filter(|n| n.as_str() != current.name) {
        changes.name = Some(name.as_str().to_string());
        fields.push("name".to_string());
    }
    if let Some(region) = patch.region.as_ref().filter(|r| r.as_str() != current.region) {
        changes.region = Some(region.as_str().to_string());
        fields.push("region".to_string());
    }
    if let Some(active) = patch.is_active.filter(|a| *a != current.is_active) {
        changes.is_active = Some(active);
        fields.push("is_active".to_string());
    }
    if let Some(sealed) = sealed {
        changes.credentials = Some(sealed.clone());
        fields.push("credentials".to_string());
    }
    (changes, fields)
}

fn apply(mut record: EmailProviderRecord, changes: EmailProviderChanges, updated_at: Timestamp) -> EmailProviderRecord {
    if let Some(name) = changes.name {
        record.name = name;
    }
    if let Some(region) = changes.region {
        record.region = region;
    }
    if let Some(active) = changes.is_active {
        record.is_active = active;
    }
    if let Some((masked, sealed)) = changes.credentials {
        record.credentials_masked = masked;
        record.secret = sealed;
    }
    record.version += 1;
    record.updated_at = updated_at;
    record
}

impl EmailProviders {
    pub fn new(store: Store, envelope: Envelope, connectivity: Connectivity, aws: aws_config::SdkConfig) -> Self {
        EmailProviders { store, envelope, connectivity, aws }
    }

    /// Decrypts the credentials in memory and talks to the provider; with
    /// `to`, sends one real test message. The outcome is stored and audited
    /// (outcome only).
    pub async fn test(
        &self,
        actor: &Actor,
        id: EmailProviderId,
        to: Option<lettre::Address>,
    ) -> Result<TestOutcome, ServiceError> {
        let record = self.get(&actor.account_id, id).await?;
        let credentials = self.open(&record).await?;
        // SES and Scaleway send from an address they accept: the recipient's.
        let self_addressed = |to: Option<lettre::Address>| to.map(|to| TestMessage { from: to.clone(), to });
        let outcome = match &credentials {
            ProviderCredentials::Smtp(smtp) => self.test_smtp(smtp, to).await,
            ProviderCredentials::Ses(ses) => {
                let check = SesCheck {
                    region: &record.region,
                    access_key_id: &ses.access_key_id,
                    secret_access_key: ses.secret_access_key.expose_secret(),
                    message: self_addressed(to),
                };
                self.connectivity.run_ses(&self.aws, check).await
            }
            ProviderCredentials::Scaleway(scw) => {
                let check = ScalewayCheck {
                    region: &record.region,
                    api_key: scw.api_key.expose_secret(),
                    project_id: &scw.project_id,
                    message: self_addressed(to),
                };
                self.connectivity.run_scaleway(check).await
            }
        };
        let event = AuditEvent::new(
            actor,
            AuditEventType::EmailProviderTested,
            RESOURCE_TYPE,
            id.to_string(),
            record.version,
            vec!["last_test".into()],
        )
        .with_outcome(outcome.status.as_str());
        self.store.record_email_provider_test(&actor.account_id, id, &outcome, &event).await.map_err(not_found)?;
        Ok(outcome)
    }

    async fn seal(
        &self,
        account_id: &AccountId,
        id: EmailProviderId,
        credentials: &ProviderCredentials,
    ) -> Result<SealedSecret, ServiceError> {
        Ok(self.envelope.seal_json(&secret_context(account_id, id), credentials).await?)
    }

    pub async fn create(
        &self,
        actor: &Actor,
        request: &NewEmailProviderInput,
    ) -> Result<EmailProviderRecord, ServiceError> {
        let new = request.validate()?;
        // The data key does not depend on the new id (only the sealed
        // blob's associated data does): both are fetched at once.
        let scope = KeyScope { account_id: actor.account_id.to_string(), resource_type: RESOURCE_TYPE };
        let (id, data_key) = tokio::try_join!(
            async { Ok::<_, ServiceError>(self.store.next_email_provider_id(&actor.account_id).await?) },
            async { Ok(self.envelope.data_key(scope).await?) },
        )?;
        let secret = data_key.seal_json(&secret_context(&actor.account_id, id), &new.credentials)?;
        let now = Timestamp::now();
        let record = EmailProviderRecord {
            id,
            account_id: actor.account_id.clone(),
            name: new.name.as_str().to_string(),
            provider_type: new.credentials.provider_type(),
            region: new.region.as_str().to_string(),
            is_active: new.is_active,
            credentials_masked: new.credentials.masked(),
            secret,
            version: 1,
            created_at: now,
            updated_at: now,
            last_test: None,
        };
        let fields = ["name", "provider_type", "region", "is_active", "credentials"].map(String::from).to_vec();
        let event =
            AuditEvent::new(actor, AuditEventType::EmailProviderCreated, RESOURCE_TYPE, id.to_string(), 1, fields);
        self.store.insert_email_provider(&record, &event).await?;
        Ok(record)
    }

    async fn test_smtp(&self, smtp: &SmtpCredentials, to: Option<lettre::Address>) -> TestOutcome {
        let login = match (&smtp.username, &smtp.password) {
            (Some(username), Some(password)) => Login::Password { username, password: password.expose_secret() },
            _ => Login::None,
        };
        // The test message comes from the SMTP username when it is an
        // address (what the relay expects), else from the recipient.
        let message = to.map(|to| TestMessage {
            from: smtp.username.as_deref().and_then(|u| u.parse().ok()).unwrap_or_else(|| to.clone()),
            to,
        });
        let probe = Probe {
            protocol: Protocol::Smtp,
            host: &smtp.host,
            port: smtp.port,
            security: match smtp.encryption {
                SmtpEncryption::Tls => Security::Implicit,
                SmtpEncryption::Starttls => Security::StartTls,
                SmtpEncryption::None => Security::Plain,
            },
            login,
            accept_invalid_certs: smtp.accept_invalid_certs,
            message,
        };
        self.connectivity.run_smtp(&probe).await
    }

    pub async fn get(&self, account_id: &AccountId, id: EmailProviderId) -> Result<EmailProviderRecord, ServiceError> {
        self.store.get_email_provider(account_id, id).await.map_err(not_found)
    }

    /// A page of the account's providers by id, after the id `after`.
    pub async fn list(
        &self,
        account_id: &AccountId,
        limit: usize,
        after: Option<EmailProviderId>,
    ) -> Result<Page<EmailProviderRecord>, ServiceError> {
        let found = self.store.page_email_providers(account_id, limit + 1, after).await?;
        Ok(paginate(found, limit, |p| p.id.to_string()))
    }

    /// Applies a partial update. Nothing is written (and nothing audited)
    /// when the update changes nothing; the stored blob is left byte for byte
    /// as it was unless a credential block is supplied.
    pub async fn update(
        &self,
        actor: &Actor,
        id: EmailProviderId,
        request: &EmailProviderUpdate,
    ) -> Result<EmailProviderRecord, ServiceError> {
        request.check_shape()?;
        // A whole new block is sealed (KMS) while the provider is read: one
        // round trip for both. Its blob is used only when the block fits.
        let whole = request.whole_block();
        let (current, presealed) = tokio::join!(self.get(&actor.account_id, id), async {
            match &whole {
                Some(credentials) => Some(self.seal(&actor.account_id, id, credentials).await),
                None => None,
            }
        });
        let mut current = current?;
        let patch = request.validate(current.provider_type)?;
        // An SMTP block that keeps the stored username or password is merged
        // with what is stored, so it is merged (and sealed) again whenever
        // a concurrent change makes this update start over.
        let merges_stored = matches!(&patch.credentials, Some(CredentialsUpdate::Smtp(u)) if u.keeps_stored_values());
        let mut sealed = match (whole, presealed, &patch.credentials, merges_stored) {
            (Some(credentials), Some(blob), Some(_), false) => Some((credentials.masked(), blob?)),
            _ => None,
        };
        for _ in 0..UPDATE_ATTEMPTS {
            if sealed.is_none() || merges_stored {
                sealed = match &patch.credentials {
                    None => None,
                    Some(update) => {
                        let credentials = self.updated_credentials(&current, update).await?;
                        Some((credentials.masked(), self.seal(&actor.account_id, id, &credentials).await?))
                    }
                };
            }
            let (changes, fields) = diff(&current, &patch, sealed.as_ref());
            if fields.is_empty() {
                return Ok(current);
            }
            let now = Timestamp::now();
            let event = AuditEvent::new(
                actor,
                AuditEventType::EmailProviderUpdated,
                RESOURCE_TYPE,
                id.to_string(),
                current.version + 1,
                fields,
            );
            match self.store.update_email_provider(&actor.account_id, id, current.version, &changes, now, &event).await
            {
                Ok(()) => return Ok(apply(current, changes, now)),
                Err(StoreError::ConditionFailed { .. }) => current = self.get(&actor.account_id, id).await?,
                Err(other) => return Err(other.into()),
            }
        }
        Err(ServiceError::Conflict(CONFLICT))
    }

    /// The credentials an update's block leaves stored.
    async fn updated_credentials(
        &self,
        current: &EmailProviderRecord,
        update: &CredentialsUpdate,
    ) -> Result<ProviderCredentials, ServiceError> {
        Ok(match update {
            CredentialsUpdate::Replace(credentials) => credentials.clone(),
            CredentialsUpdate::Smtp(smtp) => {
                let stored = match smtp.keeps_stored_values() {
                    true => match self.open(current).await? {
                        ProviderCredentials::Smtp(stored) => Some(stored),
                        _ => None,
                    },
                    false => None,
                };
                ProviderCredentials::Smtp(smtp.clone().apply(stored)?)
            }
        })
    }

    /// The stored credentials, decrypted in memory.
    pub(crate) async fn open(&self, record: &EmailProviderRecord) -> Result<ProviderCredentials, ServiceError> {
        Ok(self.envelope.open_json(&secret_context(&record.account_id, record.id), &record.secret).await?)
    }

    /// Deletes the provider as its last version: it is read, then deleted
    /// on the condition that no other change came in between (else read
    /// again), so its audit record comes after every change it undoes.
    pub async fn delete(&self, actor: &Actor, id: EmailProviderId) -> Result<(), ServiceError> {
        for _ in 0..DELETE_ATTEMPTS {
            let current = self.get(&actor.account_id, id).await?;
            let event = AuditEvent::new(
                actor,
                AuditEventType::EmailProviderDeleted,
                RESOURCE_TYPE,
                id.to_string(),
                current.version + 1,
                Vec::new(),
            );
            match self.store.delete_email_provider(&actor.account_id, id, current.version, &event).await {
                Err(StoreError::ConditionFailed { .. }) => continue,
                other => return other.map_err(Into::into),
            }
        }
        Err(ServiceError::Conflict(CONFLICT))
    }
}
