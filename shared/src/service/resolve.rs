//! Resolving a credential for a trusted worker: the one way a stored secret
//! leaves besides a connectivity test. Every secret handed out is audited
//! first (fail-closed: no record, no secret); a worker that holds the
//! current version is told so without a KMS call or an audit record.

use crate::audit::{Actor, AuditEvent, AuditEventType};
use crate::auth::InternalScope;
use crate::domain::email_provider::ProviderCredentials as EmailProviderSecret;
use crate::domain::provider_credential::CredentialSecret;
use crate::domain::resolve::{Resolve, ResolveTarget};
use crate::store::email_providers::EmailProviderRecord;
use crate::store::provider_credentials::ProviderCredentialRecord;
use crate::store::Store;

use super::email_providers::{self, EmailProviders};
use super::provider_credentials::{self, ProviderCredentials};
use super::ServiceError;

const DISABLED: &str = "Provider is disabled";

/// What a resolve found.
#[derive(Debug)]
pub enum Resolved {
    /// The caller's version is current: nothing is sent.
    NotModified {
        version: u64,
    },
    Secret(Box<ResolvedSecret>),
}

/// A credential with its secret, audited and ready to leave.
#[derive(Debug)]
pub enum ResolvedSecret {
    EmailProvider { record: EmailProviderRecord, secret: EmailProviderSecret },
    ProviderCredential { record: ProviderCredentialRecord, secret: CredentialSecret },
}

#[derive(Clone, Debug)]
pub struct Resolver {
    store: Store,
    email_providers: EmailProviders,
    provider_credentials: ProviderCredentials,
}

impl Resolver {
    pub fn new(store: Store, email_providers: EmailProviders, provider_credentials: ProviderCredentials) -> Self {
        Resolver { store, email_providers, provider_credentials }
    }

    /// The credential `resolve` names, for a caller of `scope`. Another
    /// account's resource, or an unknown one, is "not found"; a disabled
    /// provider is not handed out. `current` is the version the caller
    /// already holds (`If-None-Match`).
    pub async fn resolve(
        &self,
        scope: &InternalScope,
        request_id: &str,
        resolve: &Resolve,
        current: Option<u64>,
    ) -> Result<Resolved, ServiceError> {
        let not_found = match resolve.target {
            ResolveTarget::EmailProvider(_) => email_providers::NOT_FOUND,
            ResolveTarget::ProviderCredential(_) => provider_credentials::NOT_FOUND,
        };
        if !resolve.has_our_shape() || !scope.covers(&resolve.account_id) {
            return Err(ServiceError::NotFound(not_found));
        }
        let account_id = &resolve.account_id;
        let actor = Actor {
            account_id: account_id.clone(),
            key_id: scope.key_id().to_string(),
            request_id: request_id.to_string(),
        };
        match &resolve.target {
            ResolveTarget::EmailProvider(id) => {
                let record = self.email_providers.get(account_id, *id).await?;
                if !record.is_active {
                    return Err(ServiceError::Conflict(DISABLED));
                }
                if current == Some(record.version) {
                    return Ok(Resolved::NotModified { version: record.version });
                }
                let secret = self.email_providers.open(&record).await?;
                self.audit(&actor, email_providers::RESOURCE_TYPE, &id.to_string(), &resolve.purpose).await?;
                Ok(Resolved::Secret(Box::new(ResolvedSecret::EmailProvider { record, secret })))
            }
            ResolveTarget::ProviderCredential(id) => {
                let record = self.provider_credentials.get(account_id, id).await?;
                if current == Some(record.version) {
                    return Ok(Resolved::NotModified { version: record.version });
                }
                let secret = self.provider_credentials.open_secret(&record).await?;
                self.audit(&actor, provider_credentials::RESOURCE_TYPE, id, &resolve.purpose).await?;
                Ok(Resolved::Secret(Box::new(ResolvedSecret::ProviderCredential { record, secret })))
            }
        }
    }

    /// The record that must be written before the secret leaves.
    async fn audit(&self, actor: &Actor, resource_type: &str, id: &str, purpose: &str) -> Result<(), ServiceError> {
        let event = AuditEvent::new(actor, AuditEventType::CredentialResolved, resource_type, id, Vec::new())
            .with_purpose(purpose);
        Ok(self.store.put_audit(&event).await?)
    }
}
