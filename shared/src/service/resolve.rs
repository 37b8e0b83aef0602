//! Resolving a credential for a trusted worker: the one way a stored secret
//! leaves besides a connectivity test. Every secret handed out is audited
//! first (fail-closed: no record, no secret); a worker that holds the
//! current version is told so without a KMS call or an audit record.

use crate::audit::{Actor, AuditEvent, AuditEventType};
use crate::auth::InternalScope;
use crate::domain::email_provider::ProviderCredentials as EmailProviderSecret;
use crate::domain::provider_credential::CredentialSecret;
use crate::domain::resolve::{HeldVersions, Resolve, ResolveKind, ResolveTarget};
use crate::store::email_providers::EmailProviderRecord;
use crate::store::provider_credentials::ProviderCredentialRecord;
use crate::store::Store;

use super::email_providers::{self, EmailProviders};
use super::provider_credentials::{self, ProviderCredentials};
use super::ServiceError;

const DISABLED: &str = "Provider is disabled";

/// The record a resolve names, read before its caller is known to be
/// allowed it.
#[derive(Debug)]
pub enum Fetched {
    EmailProvider(EmailProviderRecord),
    ProviderCredential(ProviderCredentialRecord),
}

fn not_found(resolve: &Resolve) -> ServiceError {
    ServiceError::NotFound(match resolve.kind {
        ResolveKind::EmailProvider => email_providers::NOT_FOUND,
        ResolveKind::ProviderCredential => provider_credentials::NOT_FOUND,
    })
}

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

    /// The record `resolve` names, read beside the caller's key check (so
    /// the two cost one round trip); [`Resolver::resolve`] uses it only for
    /// a caller allowed to see it.
    pub async fn fetch(&self, resolve: &Resolve) -> Result<Fetched, ServiceError> {
        let Some((account_id, target)) = &resolve.ids else { return Err(not_found(resolve)) };
        Ok(match target {
            ResolveTarget::EmailProvider(id) => {
                Fetched::EmailProvider(self.email_providers.get(account_id, *id).await?)
            }
            ResolveTarget::ProviderCredential(id) => {
                Fetched::ProviderCredential(self.provider_credentials.get(account_id, id).await?)
            }
        })
    }

    /// The credential `resolve` names, for a caller of `scope`. Another
    /// account's resource, or an unknown one, is "not found"; a disabled
    /// provider is not handed out. `held` is what the caller
    /// already holds (`If-None-Match`). The secret is opened (KMS) while
    /// the audit record is written; it leaves only when both succeeded.
    pub async fn resolve(
        &self,
        scope: &InternalScope,
        request_id: &str,
        resolve: &Resolve,
        fetched: Result<Fetched, ServiceError>,
        held: &HeldVersions,
    ) -> Result<Resolved, ServiceError> {
        let Some((account_id, _)) = resolve.ids.as_ref().filter(|(account, _)| scope.covers(account)) else {
            return Err(not_found(resolve));
        };
        let actor = Actor {
            account_id: account_id.clone(),
            key_id: scope.key_id().to_string(),
            request_id: request_id.to_string(),
        };
        match fetched? {
            Fetched::EmailProvider(record) => {
                if !record.is_active {
                    return Err(ServiceError::Conflict(DISABLED));
                }
                if held.holds(record.version) {
                    return Ok(Resolved::NotModified { version: record.version });
                }
                let (secret, audited) = tokio::join!(
                    self.email_providers.open(&record),
                    self.audit(&actor, email_providers::RESOURCE_TYPE, record.id, record.version, &resolve.purpose)
                );
                audited?;
                Ok(Resolved::Secret(Box::new(ResolvedSecret::EmailProvider { secret: secret?, record })))
            }
            Fetched::ProviderCredential(record) => {
                if held.holds(record.version) {
                    return Ok(Resolved::NotModified { version: record.version });
                }
                let (secret, audited) = tokio::join!(
                    self.provider_credentials.open_secret(&record),
                    self.audit(
                        &actor,
                        provider_credentials::RESOURCE_TYPE,
                        &record.id,
                        record.version,
                        &resolve.purpose
                    )
                );
                audited?;
                Ok(Resolved::Secret(Box::new(ResolvedSecret::ProviderCredential { secret: secret?, record })))
            }
        }
    }

    /// The record that must be written before the secret leaves.
    async fn audit(
        &self,
        actor: &Actor,
        resource_type: &str,
        id: impl std::fmt::Display,
        version: u64,
        purpose: &str,
    ) -> Result<(), ServiceError> {
        let event = AuditEvent::new(actor, AuditEventType::CredentialResolved, resource_type, id, version, Vec::new())
            .with_purpose(purpose);
        Ok(self.store.put_audit(&event).await?)
    }
}
