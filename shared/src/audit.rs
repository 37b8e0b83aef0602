//! Audit records: who changed what, by field name only. A record never holds
//! the value of anything it describes.

use crate::domain::ids::AccountId;
use crate::domain::timestamp::Timestamp;
use serde::Serialize;

/// Every kind of change that is audited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditEventType {
    AccountCreated,
    ApiKeyCreated,
    ApiKeyUpdated,
    ApiKeyRevoked,
    ApiKeyRotated,
    ApiKeyExposed,
    EmailProviderCreated,
    EmailProviderUpdated,
    EmailProviderDeleted,
    EmailProviderTested,
    ProviderCredentialCreated,
    ProviderCredentialUpdated,
    ProviderCredentialRotated,
    ProviderCredentialDeleted,
    ProviderCredentialTested,
    CredentialResolved,
    /// A reminder that a key expires soon (7 days, then 1 day, before).
    ApiKeyExpiring,
    WebhookCreated,
    WebhookUpdated,
    WebhookSecretRotated,
    WebhookDeleted,
    /// Turned off by the dispatcher after failing for days.
    WebhookDisabled,
}

impl AuditEventType {
    pub const ALL: [AuditEventType; 22] = [
        AuditEventType::AccountCreated,
        AuditEventType::ApiKeyCreated,
        AuditEventType::ApiKeyUpdated,
        AuditEventType::ApiKeyRevoked,
        AuditEventType::ApiKeyRotated,
        AuditEventType::ApiKeyExposed,
        AuditEventType::EmailProviderCreated,
        AuditEventType::EmailProviderUpdated,
        AuditEventType::EmailProviderDeleted,
        AuditEventType::EmailProviderTested,
        AuditEventType::ProviderCredentialCreated,
        AuditEventType::ProviderCredentialUpdated,
        AuditEventType::ProviderCredentialRotated,
        AuditEventType::ProviderCredentialDeleted,
        AuditEventType::ProviderCredentialTested,
        AuditEventType::CredentialResolved,
        AuditEventType::ApiKeyExpiring,
        AuditEventType::WebhookCreated,
        AuditEventType::WebhookUpdated,
        AuditEventType::WebhookSecretRotated,
        AuditEventType::WebhookDeleted,
        AuditEventType::WebhookDisabled,
    ];

    pub fn parse(name: &str) -> Option<AuditEventType> {
        AuditEventType::ALL.into_iter().find(|t| t.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AuditEventType::AccountCreated => "ACCOUNT_CREATED",
            AuditEventType::ApiKeyCreated => "API_KEY_CREATED",
            AuditEventType::ApiKeyUpdated => "API_KEY_UPDATED",
            AuditEventType::ApiKeyRevoked => "API_KEY_REVOKED",
            AuditEventType::ApiKeyRotated => "API_KEY_ROTATED",
            AuditEventType::ApiKeyExposed => "API_KEY_EXPOSED",
            AuditEventType::EmailProviderCreated => "EMAIL_PROVIDER_CREATED",
            AuditEventType::EmailProviderUpdated => "EMAIL_PROVIDER_UPDATED",
            AuditEventType::EmailProviderDeleted => "EMAIL_PROVIDER_DELETED",
            AuditEventType::EmailProviderTested => "EMAIL_PROVIDER_TESTED",
            AuditEventType::ProviderCredentialCreated => "PROVIDER_CREDENTIAL_CREATED",
            AuditEventType::ProviderCredentialUpdated => "PROVIDER_CREDENTIAL_UPDATED",
            AuditEventType::ProviderCredentialRotated => "PROVIDER_CREDENTIAL_ROTATED",
            AuditEventType::ProviderCredentialDeleted => "PROVIDER_CREDENTIAL_DELETED",
            AuditEventType::ProviderCredentialTested => "PROVIDER_CREDENTIAL_TESTED",
            AuditEventType::CredentialResolved => "CREDENTIAL_RESOLVED",
            AuditEventType::ApiKeyExpiring => "API_KEY_EXPIRING",
            AuditEventType::WebhookCreated => "WEBHOOK_CREATED",
            AuditEventType::WebhookUpdated => "WEBHOOK_UPDATED",
            AuditEventType::WebhookSecretRotated => "WEBHOOK_SECRET_ROTATED",
            AuditEventType::WebhookDeleted => "WEBHOOK_DELETED",
            AuditEventType::WebhookDisabled => "WEBHOOK_DISABLED",
        }
    }
}

/// Who is acting: the account and key of the caller, and the request.
#[derive(Clone, Debug)]
pub struct Actor {
    pub account_id: AccountId,
    /// The acting key's id, or the operator's tool ([`ADMIN_TOOL_ACTOR`]).
    pub key_id: String,
    pub request_id: String,
}

/// The actor recorded for changes made with the operator's tool.
pub const ADMIN_TOOL_ACTOR: &str = "mailkeys-admin";
/// The actors of revocations of exposed keys: GitHub's secret scanning
/// report, and anyone holding the key (`POST /api/public/keys/revoke`).
pub const GITHUB_SCANNING_ACTOR: &str = "github-secret-scanning";
pub const PUBLIC_REVOCATION_ACTOR: &str = "public-revocation";
/// The actors of the scheduled expiry reminders and of the webhook
/// dispatcher (which disables an endpoint that keeps failing).
pub const EXPIRY_REMINDER_ACTOR: &str = "expiry-reminders";
pub const WEBHOOK_DISPATCHER_ACTOR: &str = "webhook-dispatcher";
/// Where the operator's changes to platform service keys are audited (no
/// account id has this shape, so no tenant can list them).
pub const PLATFORM: &str = "platform";

/// One audit record, as written and as read back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AuditEvent {
    /// A ULID: sorts by time.
    #[serde(skip)]
    pub event_id: String,
    #[serde(skip)]
    pub account_id: String,
    pub event_type: String,
    pub resource_type: String,
    pub resource_id: String,
    pub changed_fields: Vec<String>,
    /// For key events: the display prefix of the key (never the key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_prefix: Option<String>,
    /// For key events: which face the key has (`email` for an email API
    /// key, `smtp` for an SMTP credential), so that what is told of it uses
    /// its own name. Older records have none (email API keys then).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_face: Option<String>,
    /// For an expiry reminder: when the key expires.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    /// For rotations: the id of the key that replaced this one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related_resource_id: Option<String>,
    /// For a rotation with overlap: when the old key stops working (not a
    /// write of its own: the trail shows it from here).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_key_expires_at: Option<Timestamp>,
    /// For connectivity tests: `ok` or `failed`, nothing more.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// For exposed keys: where the key was found (the report's `url` and
    /// `source`, such as `commit`), never the key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// For resolves: why the worker asked, as it said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// The resource's version this record is about: the one its change
    /// wrote (in the same transaction, under the condition that the one
    /// before was current, so a resource's changes number 1, 2, 3, … in the
    /// order they were committed), or, for a record of use (a test, a
    /// resolve), the one that was used. Records written before versions
    /// were recorded have none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    pub actor_key_id: String,
    pub request_id: String,
    pub created_at: Timestamp,
}

impl AuditEvent {
    /// A record of `event_type` on the resource at `version` (see
    /// [`AuditEvent::version`]), in the actor's account.
    pub fn new(
        actor: &Actor,
        event_type: AuditEventType,
        resource_type: &str,
        resource_id: impl std::fmt::Display,
        version: u64,
        changed_fields: Vec<String>,
    ) -> Self {
        let who = (actor.account_id.to_string(), actor.key_id.clone(), actor.request_id.clone());
        Self::record(who, event_type, resource_type, resource_id, version, changed_fields)
    }

    /// A record of the operator's change to something of the platform's
    /// own (a service key), in no account.
    pub fn of_platform(
        event_type: AuditEventType,
        resource_type: &str,
        resource_id: impl std::fmt::Display,
        version: u64,
        changed_fields: Vec<String>,
    ) -> Self {
        let request_id = ulid::Ulid::new().to_string();
        Self::of_platform_by(
            ADMIN_TOOL_ACTOR,
            &request_id,
            event_type,
            resource_type,
            resource_id,
            version,
            changed_fields,
        )
    }

    /// A record of a change to a platform service key by someone else than
    /// the operator (`actor`, in request `request_id`).
    pub fn of_platform_by(
        actor: &str,
        request_id: &str,
        event_type: AuditEventType,
        resource_type: &str,
        resource_id: impl std::fmt::Display,
        version: u64,
        changed_fields: Vec<String>,
    ) -> Self {
        let who = (PLATFORM.to_string(), actor.to_string(), request_id.to_string());
        Self::record(who, event_type, resource_type, resource_id, version, changed_fields)
    }

    /// `(owner, actor key id, request id)`: whose trail, who acted, in which request.
    fn record(
        (account_id, actor_key_id, request_id): (String, String, String),
        event_type: AuditEventType,
        resource_type: &str,
        resource_id: impl std::fmt::Display,
        version: u64,
        changed_fields: Vec<String>,
    ) -> Self {
        AuditEvent {
            event_id: ulid::Ulid::new().to_string(),
            account_id,
            event_type: event_type.as_str().to_string(),
            resource_type: resource_type.to_string(),
            resource_id: resource_id.to_string(),
            version: Some(version),
            changed_fields,
            key_prefix: None,
            key_face: None,
            expires_at: None,
            related_resource_id: None,
            old_key_expires_at: None,
            url: None,
            source: None,
            outcome: None,
            purpose: None,
            actor_key_id,
            request_id,
            created_at: Timestamp::now(),
        }
    }

    pub fn with_key_prefix(mut self, prefix: &str) -> Self {
        self.key_prefix = Some(prefix.to_string());
        self
    }

    /// The display prefix and face of the key the record is about.
    pub fn with_key(self, prefix: &str, face: crate::domain::key::KeyFace) -> Self {
        let mut event = self.with_key_prefix(prefix);
        event.key_face = Some(face.as_str().to_string());
        event
    }

    pub fn with_expires_at(mut self, at: Timestamp) -> Self {
        self.expires_at = Some(at);
        self
    }

    /// Where an exposed key was found.
    pub fn with_exposure(mut self, url: Option<&str>, source: Option<&str>) -> Self {
        self.url = url.map(str::to_string);
        self.source = source.map(str::to_string);
        self
    }

    pub fn with_outcome(mut self, outcome: &str) -> Self {
        self.outcome = Some(outcome.to_string());
        self
    }

    pub fn with_purpose(mut self, purpose: &str) -> Self {
        self.purpose = Some(purpose.to_string());
        self
    }

    pub fn with_old_key_expires_at(mut self, at: Timestamp) -> Self {
        self.old_key_expires_at = Some(at);
        self
    }

    pub fn with_related_resource(mut self, resource_id: impl std::fmt::Display) -> Self {
        self.related_resource_id = Some(resource_id.to_string());
        self
    }
}
