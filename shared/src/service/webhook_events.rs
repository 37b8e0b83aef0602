//! What a tenant is told of an audit record: its event type and payload.
//! The payload holds ids, prefixes, changed field names and where an
//! exposed key was found — what the record holds, which is never a secret.

use serde_json::{json, Map, Value};

use crate::audit::{AuditEvent, AuditEventType};
use crate::domain::ids::AccountId;
use crate::domain::key::KeyFace;
use crate::domain::webhook::EventType;

use super::webhooks::{event_body, event_id_for};

/// One event of one account, ready to be fanned out to its endpoints.
#[derive(Clone, Debug, PartialEq)]
pub struct TenantEvent {
    pub account_id: AccountId,
    pub event_type: EventType,
    /// The `webhook-id`, the same however often the record is read.
    pub event_id: String,
    pub at: crate::domain::timestamp::Timestamp,
    /// What the record says (the fan-out adds the resource's name).
    pub data: Value,
}

impl TenantEvent {
    pub fn body(&self) -> String {
        event_body(self.event_type, self.at, &self.data)
    }

    /// The resource the event is about, when it has a name to show: an
    /// email API key or SMTP credential, or an email provider.
    pub fn named_resource(&self) -> Option<NamedResource> {
        let id = self.data["id"].as_str()?;
        let kind = self.event_type.as_str().split('.').next()?;
        match kind {
            "api_key" | "smtp_credential" => crate::domain::ids::KeyId::parse(id).map(NamedResource::Key),
            "email_provider" => crate::domain::ids::EmailProviderId::parse(id).map(NamedResource::EmailProvider),
            _ => None,
        }
    }
}

/// A resource whose name an event shows.
#[derive(Clone, Debug, PartialEq)]
pub enum NamedResource {
    Key(crate::domain::ids::KeyId),
    EmailProvider(crate::domain::ids::EmailProviderId),
}

/// The event type of a record, if a tenant is told of it.
fn event_type(audit: &AuditEvent) -> Option<EventType> {
    use AuditEventType as A;
    use EventType as E;
    let smtp = audit.key_face.as_deref() == Some(KeyFace::Smtp.as_str());
    let key = |email: E, smtp_credential: E| Some(if smtp { smtp_credential } else { email });
    let failed = audit.outcome.as_deref() == Some("failed");
    match AuditEventType::parse(&audit.event_type)? {
        A::ApiKeyCreated => key(E::ApiKeyCreated, E::SmtpCredentialCreated),
        A::ApiKeyUpdated => key(E::ApiKeyUpdated, E::SmtpCredentialUpdated),
        A::ApiKeyRotated => key(E::ApiKeyRotated, E::SmtpCredentialRotated),
        A::ApiKeyRevoked => key(E::ApiKeyRevoked, E::SmtpCredentialRevoked),
        A::ApiKeyExposed => key(E::ApiKeyExposed, E::SmtpCredentialExposed),
        A::ApiKeyExpiring => key(E::ApiKeyExpiring, E::SmtpCredentialExpiring),
        A::EmailProviderCreated => Some(E::EmailProviderCreated),
        A::EmailProviderUpdated => Some(E::EmailProviderUpdated),
        A::EmailProviderDeleted => Some(E::EmailProviderDeleted),
        A::EmailProviderTested if failed => Some(E::EmailProviderTestFailed),
        A::ProviderCredentialCreated => Some(E::ProviderCredentialCreated),
        A::ProviderCredentialUpdated => Some(E::ProviderCredentialUpdated),
        A::ProviderCredentialRotated => Some(E::ProviderCredentialRotated),
        A::ProviderCredentialDeleted => Some(E::ProviderCredentialDeleted),
        A::ProviderCredentialTested if failed => Some(E::ProviderCredentialTestFailed),
        A::CredentialResolved => Some(E::CredentialResolved),
        A::EmailProviderTested
        | A::ProviderCredentialTested
        | A::AccountCreated
        | A::WebhookCreated
        | A::WebhookUpdated
        | A::WebhookSecretRotated
        | A::WebhookDeleted
        | A::WebhookDisabled => None,
    }
}

/// The event's `data`: the resource's id (both on a rotation), and what the
/// record says of it.
fn data(audit: &AuditEvent, event_type: EventType) -> Value {
    let mut data = Map::new();
    data.insert("id".into(), json!(audit.resource_id));
    data.insert("account_id".into(), json!(audit.account_id));
    if event_type == EventType::CredentialResolved {
        data.insert("resource_type".into(), json!(audit.resource_type));
    }
    let optional = [
        ("prefix", audit.key_prefix.clone().map(Value::from)),
        ("new_id", audit.related_resource_id.clone().map(Value::from)),
        ("old_key_expires_at", audit.old_key_expires_at.map(|t| Value::from(t.to_string()))),
        ("expires_at", audit.expires_at.map(|t| Value::from(t.to_string()))),
        ("url", audit.url.clone().map(Value::from)),
        ("source", audit.source.clone().map(Value::from)),
        ("purpose", audit.purpose.clone().map(Value::from)),
        // The resource's version: a receiver orders a resource's events by it.
        ("version", audit.version.map(Value::from)),
    ];
    data.extend(optional.into_iter().filter_map(|(name, value)| Some((name.to_string(), value?))));
    if !audit.changed_fields.is_empty() && matches!(event_type.as_str().rsplit('.').next(), Some("updated" | "created"))
    {
        data.insert("changed_fields".into(), json!(audit.changed_fields));
    }
    // Who acted: a key id, or the name of the service's own actor.
    data.insert("actor".into(), json!(audit.actor_key_id));
    Value::Object(data)
}

/// The event a tenant is told of `audit`, if any (records of the platform's
/// own keys and of webhook changes are not told).
pub fn tenant_event(audit: &AuditEvent) -> Option<TenantEvent> {
    let account_id = AccountId::parse(&audit.account_id)?;
    let event_type = event_type(audit)?;
    Some(TenantEvent {
        account_id,
        event_type,
        event_id: event_id_for(&audit.event_id),
        at: audit.created_at,
        data: data(audit, event_type),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Actor;

    fn actor() -> Actor {
        Actor { account_id: AccountId::new(), key_id: "key_x".into(), request_id: "r".into() }
    }

    #[test]
    fn keys_are_told_by_their_face_and_rotations_carry_both_ids() {
        let actor = actor();
        let rotated =
            AuditEvent::new(&actor, AuditEventType::ApiKeyRotated, "api_key", "key_old", 2, vec!["key".into()])
                .with_key("mk_smtp_…", KeyFace::Smtp)
                .with_related_resource("key_new");
        let event = tenant_event(&rotated).unwrap();
        assert_eq!(event.event_type, EventType::SmtpCredentialRotated);
        let body: Value = serde_json::from_str(&event.body()).unwrap();
        assert_eq!(body["type"], "smtp_credential.rotated");
        assert_eq!((body["data"]["id"].as_str(), body["data"]["new_id"].as_str()), (Some("key_old"), Some("key_new")));
        assert_eq!(event.event_id, format!("evt_{}", rotated.event_id.to_lowercase()));
        let older = AuditEvent::new(&actor, AuditEventType::ApiKeyRevoked, "api_key", "key_a", 2, vec![]);
        assert_eq!(tenant_event(&older).unwrap().event_type, EventType::ApiKeyRevoked, "no face: an email API key");
    }

    #[test]
    fn only_failed_tests_and_no_platform_or_webhook_records_are_told() {
        let actor = actor();
        let passed = AuditEvent::new(&actor, AuditEventType::EmailProviderTested, "email_provider", "1", 1, vec![])
            .with_outcome("ok");
        assert!(tenant_event(&passed).is_none());
        assert_eq!(
            tenant_event(&passed.clone().with_outcome("failed")).unwrap().event_type,
            EventType::EmailProviderTestFailed
        );
        let platform = AuditEvent::of_platform(AuditEventType::ApiKeyCreated, "service_key", "key_s", 1, vec![]);
        assert!(tenant_event(&platform).is_none());
        let webhook = AuditEvent::new(&actor, AuditEventType::WebhookCreated, "webhook", "wh_x", 1, vec![]);
        assert!(tenant_event(&webhook).is_none());
    }
}
