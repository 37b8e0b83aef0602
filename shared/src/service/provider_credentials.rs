//! Provider credentials: create, read, search, update, rotate, delete, and
//! the stored outcome of connectivity tests.

use crate::audit::{Actor, AuditEvent, AuditEventType};
use crate::connectivity::{Connectivity, Login, Probe, Protocol, Security};
use crate::crypto::{DataKey, Destination, Envelope, KeyScope, SealedSecret, SecretContext};
use crate::domain::connectivity::{TestOutcome, TestStatus};
use crate::domain::provider_credential::{
    AuthKind, CredentialSearch, CredentialSecret, Endpoint, EndpointPatch, EndpointUpdate, NewCredentialInput,
    ProviderKind, Rotation, SecurityMode, TestStatusFilter,
};
use crate::domain::secret::{ExposeSecret, SecretString};
use crate::domain::timestamp::Timestamp;
use crate::domain::Invalid;
use crate::store::provider_credentials::ProviderCredentialRecord;
use crate::store::{Store, StoreError};

use super::page::{page_limit, Page};
use super::ServiceError;
use crate::domain::ids::{AccountId, ProviderCredentialId};

pub const RESOURCE_TYPE: &str = "provider_credential";
pub const NOT_FOUND: &str = "Provider credential not found";
pub const ACCOUNT_NOT_FOUND: &str = "Account not found";
const CONFLICT: &str = "The credential was changed by another request at the same time; retry";

#[derive(Clone, Debug)]
pub struct ProviderCredentials {
    store: Store,
    envelope: Envelope,
    connectivity: Connectivity,
}

/// A page of credentials; `next_cursor` continues after the last one.
pub type CredentialPage = Page<ProviderCredentialRecord>;

/// The blob is bound to its row and to where its secret is delivered: a
/// host, port or security mode edited in the table makes it unreadable.
fn context(account_id: &AccountId, id: &ProviderCredentialId, endpoint: &Endpoint) -> SecretContext {
    SecretContext {
        account_id: account_id.to_string(),
        resource_type: RESOURCE_TYPE,
        resource_id: id.to_string(),
        destination: Some(Destination {
            host: endpoint.host.as_str().to_string(),
            port: endpoint.port,
            security: endpoint.security_mode.as_str(),
        }),
    }
}

fn not_found(err: StoreError) -> ServiceError {
    match err {
        StoreError::NotFound => ServiceError::NotFound(NOT_FOUND),
        StoreError::ConditionFailed { .. } => ServiceError::Conflict(CONFLICT),
        other => other.into(),
    }
}

/// A cursor is the id of the last credential of the previous page.
pub fn page_cursor(raw: Option<&str>) -> Result<Option<ProviderCredentialId>, Invalid> {
    super::page::page_cursor(raw, ProviderCredentialId::parse)
}

fn paginate(items: Vec<ProviderCredentialRecord>, limit: usize) -> CredentialPage {
    super::page::paginate(items, limit, |c| c.id.to_string())
}

fn endpoint_changes(old: &Endpoint, new: &Endpoint) -> Vec<String> {
    let mut fields = Vec::new();
    if old.provider_kind != new.provider_kind {
        fields.push("provider_kind");
    }
    if old.host != new.host {
        fields.push("host");
    }
    if old.port != new.port {
        fields.push("port");
    }
    if old.security_mode != new.security_mode {
        fields.push("security_mode");
    }
    if old.auth_kind != new.auth_kind {
        fields.push("auth_kind");
    }
    fields.into_iter().map(String::from).collect()
}

impl ProviderCredentials {
    pub fn new(store: Store, envelope: Envelope, connectivity: Connectivity) -> Self {
        ProviderCredentials { store, envelope, connectivity }
    }

    /// Decrypts the secret in memory, talks to the server, and stores the
    /// outcome on the record (audited with the outcome only).
    pub async fn test(&self, actor: &Actor, id: &ProviderCredentialId) -> Result<TestOutcome, ServiceError> {
        let record = self.get(&actor.account_id, id).await?;
        let secret = self.open_secret(&record).await?;
        let endpoint = &record.endpoint;
        let login = match endpoint.auth_kind {
            AuthKind::Password => {
                Login::Password { username: secret.username.expose_secret(), password: secret.secret.expose_secret() }
            }
            AuthKind::Oauth2 => {
                Login::OAuth2 { username: secret.username.expose_secret(), access_token: secret.secret.expose_secret() }
            }
        };
        let probe = Probe {
            protocol: match endpoint.provider_kind {
                ProviderKind::Imap => Protocol::Imap,
                ProviderKind::Smtp => Protocol::Smtp,
            },
            host: &endpoint.host,
            port: endpoint.port,
            security: match endpoint.security_mode {
                SecurityMode::SslTls => Security::Implicit,
                SecurityMode::Starttls => Security::StartTls,
                SecurityMode::None => Security::Plain,
            },
            login,
            accept_invalid_certs: false,
            message: None,
        };
        let outcome = self.connectivity.run(&probe).await;
        self.record_test(actor, id, record.version, &outcome).await?;
        Ok(outcome)
    }

    async fn seal(
        &self,
        account_id: &AccountId,
        id: &ProviderCredentialId,
        endpoint: &Endpoint,
        secret: &CredentialSecret,
    ) -> Result<SealedSecret, ServiceError> {
        Ok(self.envelope.seal_json(&context(account_id, id, endpoint), secret).await?)
    }

    /// The credential, and a fresh data key asked for at the same time: a
    /// data key is bound to the account and the kind, not to the row, so a
    /// secret write waits for one round trip, not two.
    async fn get_beside_data_key(
        &self,
        account_id: &AccountId,
        id: &ProviderCredentialId,
    ) -> Result<(ProviderCredentialRecord, DataKey), ServiceError> {
        let scope = KeyScope { account_id: account_id.to_string(), resource_type: RESOURCE_TYPE };
        let (current, data_key) = tokio::join!(self.get(account_id, id), self.envelope.data_key(scope));
        // A missing row answers 404 whatever KMS said.
        Ok((current?, data_key?))
    }

    /// The stored username and secret, decrypted in memory, for the
    /// destination stored beside them.
    pub async fn open_secret(&self, record: &ProviderCredentialRecord) -> Result<CredentialSecret, ServiceError> {
        let context = context(&record.account_id, &record.id, &record.endpoint);
        Ok(self.envelope.open_json(&context, &record.secret).await?)
    }

    pub async fn create(
        &self,
        actor: &Actor,
        request: &NewCredentialInput<'_>,
    ) -> Result<ProviderCredentialRecord, ServiceError> {
        let (endpoint, secret) = request.validate()?;
        let id = ProviderCredentialId::new();
        let sealed = self.seal(&actor.account_id, &id, &endpoint, &secret).await?;
        let now = Timestamp::now();
        let record = ProviderCredentialRecord {
            id: id.clone(),
            account_id: actor.account_id.clone(),
            endpoint,
            username_masked: secret.username_masked(),
            secret: sealed,
            last_test: None,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let fields = ["provider_kind", "host", "port", "security_mode", "auth_kind", "username", "secret"];
        let event = AuditEvent::new(
            actor,
            AuditEventType::ProviderCredentialCreated,
            RESOURCE_TYPE,
            &id,
            1,
            fields.map(String::from).to_vec(),
        );
        self.store.insert_provider_credential(&record, &event).await?;
        Ok(record)
    }

    pub async fn get(
        &self,
        account_id: &AccountId,
        id: &ProviderCredentialId,
    ) -> Result<ProviderCredentialRecord, ServiceError> {
        self.store.get_provider_credential(account_id, id).await.map_err(not_found)
    }

    pub async fn list(
        &self,
        account_id: &AccountId,
        limit: usize,
        after: Option<&ProviderCredentialId>,
    ) -> Result<CredentialPage, ServiceError> {
        Ok(paginate(self.store.page_provider_credentials(account_id, limit + 1, after, None).await?, limit))
    }

    pub async fn search(
        &self,
        account_id: &AccountId,
        filter: &CredentialSearch,
    ) -> Result<CredentialPage, ServiceError> {
        let limit = page_limit(filter.limit)?;
        let after = page_cursor(filter.cursor.as_deref())?;
        let host = filter.host.as_deref().map(|h| h.trim().to_ascii_lowercase());
        let matches = |r: &ProviderCredentialRecord| {
            filter.provider_kind.is_none_or(|k| r.endpoint.provider_kind == k)
                && host.as_deref().is_none_or(|h| r.endpoint.host.as_str() == h)
                && filter.security_mode.is_none_or(|m| r.endpoint.security_mode == m)
                && filter.auth_kind.is_none_or(|a| r.endpoint.auth_kind == a)
                && match filter.last_test_status {
                    None => true,
                    Some(TestStatusFilter::Never) => r.last_test.is_none(),
                    Some(TestStatusFilter::Ok) => r.last_test.as_ref().is_some_and(|t| t.status == TestStatus::Ok),
                    Some(TestStatusFilter::Failed) => {
                        r.last_test.as_ref().is_some_and(|t| t.status == TestStatus::Failed)
                    }
                }
        };
        let found = self.store.page_provider_credentials(account_id, limit + 1, after.as_ref(), Some(&matches)).await?;
        Ok(paginate(found, limit))
    }

    /// Changes the endpoint. The blob stays as it is, unless the secret
    /// moves to another host, port or security mode: then the request
    /// carries the secret, which is sealed under a fresh data key for the
    /// new destination (a secret write, audited as `secret`).
    pub async fn update(
        &self,
        actor: &Actor,
        id: &ProviderCredentialId,
        request: &EndpointPatch,
    ) -> Result<ProviderCredentialRecord, ServiceError> {
        // A PATCH that carries a secret (allowed only with a new
        // destination) gets its data key while the row is read.
        let (current, data_key) = match request.carries_secret() {
            true => self.get_beside_data_key(&actor.account_id, id).await.map(|(c, key)| (c, Some(key)))?,
            false => (self.get(&actor.account_id, id).await?, None),
        };
        let EndpointUpdate { endpoint, secret } = request.apply(&current.endpoint)?;
        let mut fields = endpoint_changes(&current.endpoint, &endpoint);
        if fields.is_empty() {
            return Ok(current);
        }
        let sealed = match secret {
            None => current.secret.clone(),
            Some(secret) => {
                // The username is only in the blob: opened here, in memory.
                let username = self.open_secret(&current).await?.username;
                fields.push("secret".to_string());
                let secret = CredentialSecret { username, secret };
                // `apply` gives a secret only from the request's own.
                let key = data_key.ok_or(ServiceError::Invalid(Invalid::new("no secret was sent")))?;
                key.seal_json(&context(&actor.account_id, id, &endpoint), &secret)?
            }
        };
        let updated = ProviderCredentialRecord {
            endpoint,
            secret: sealed,
            updated_at: Timestamp::now(),
            version: current.version + 1,
            ..current.clone()
        };
        let event = AuditEvent::new(
            actor,
            AuditEventType::ProviderCredentialUpdated,
            RESOURCE_TYPE,
            id,
            updated.version,
            fields,
        );
        self.store.replace_provider_credential(&current, &updated, &event).await.map_err(not_found)?;
        Ok(updated)
    }

    /// Replaces the secret (and optionally the username and auth kind) under
    /// a fresh data key.
    pub async fn rotate(
        &self,
        actor: &Actor,
        id: &ProviderCredentialId,
        request: &Rotation,
    ) -> Result<ProviderCredentialRecord, ServiceError> {
        let (current, data_key) = self.get_beside_data_key(&actor.account_id, id).await?;
        // The current username is kept unless a new one is given; it is only
        // in the blob, so it is opened here, in memory.
        let current_username = match request.username {
            Some(_) => SecretString::from(""),
            None => self.open_secret(&current).await?.username,
        };
        let (auth_kind, secret) = request.validate(current.endpoint.auth_kind, &current_username)?;
        let endpoint = Endpoint { auth_kind, ..current.endpoint.clone() };
        let mut fields = vec!["secret".to_string()];
        if request.username.is_some() {
            fields.push("username".to_string());
        }
        fields.extend(endpoint_changes(&current.endpoint, &endpoint));
        let sealed = data_key.seal_json(&context(&actor.account_id, id, &endpoint), &secret)?;
        let updated = ProviderCredentialRecord {
            endpoint,
            username_masked: secret.username_masked(),
            secret: sealed,
            updated_at: Timestamp::now(),
            version: current.version + 1,
            ..current.clone()
        };
        let event = AuditEvent::new(
            actor,
            AuditEventType::ProviderCredentialRotated,
            RESOURCE_TYPE,
            id,
            updated.version,
            fields,
        );
        self.store.replace_provider_credential(&current, &updated, &event).await.map_err(not_found)?;
        Ok(updated)
    }

    /// Deletes the credential as its last version (see
    /// [`super::email_providers::EmailProviders::delete`]).
    pub async fn delete(&self, actor: &Actor, id: &ProviderCredentialId) -> Result<(), ServiceError> {
        for _ in 0..super::email_providers::DELETE_ATTEMPTS {
            let current = self.get(&actor.account_id, id).await?;
            let event = AuditEvent::new(
                actor,
                AuditEventType::ProviderCredentialDeleted,
                RESOURCE_TYPE,
                id,
                current.version + 1,
                Vec::new(),
            );
            match self.store.delete_provider_credential(&actor.account_id, id, current.version, &event).await {
                Err(StoreError::ConditionFailed { .. }) => continue,
                other => return other.map_err(not_found),
            }
        }
        Err(ServiceError::Conflict(CONFLICT))
    }

    /// Stores the outcome of a test of the credential at `version`.
    async fn record_test(
        &self,
        actor: &Actor,
        id: &ProviderCredentialId,
        version: u64,
        outcome: &TestOutcome,
    ) -> Result<(), ServiceError> {
        let event = AuditEvent::new(
            actor,
            AuditEventType::ProviderCredentialTested,
            RESOURCE_TYPE,
            id,
            version,
            vec!["last_test".into()],
        )
        .with_outcome(outcome.status.as_str());
        self.store.record_provider_credential_test(&actor.account_id, id, outcome, &event).await.map_err(not_found)
    }
}
