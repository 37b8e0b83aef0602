//! Webhook endpoints (create, read, change, rotate the secret, test,
//! delete), the events told to them, and their delivery: signed per the
//! Standard Webhooks specification, attempted by the dispatcher, recorded.

use serde::{Deserialize, Serialize};

use crate::audit::{Actor, AuditEvent, AuditEventType, WEBHOOK_DISPATCHER_ACTOR};
use crate::connectivity::webhook::{Sent, WebhookSender};
use crate::crypto::{Envelope, SealedSecret, SecretContext};
use crate::domain::ids::{AccountId, DeliveryId, WebhookId};
use crate::domain::secret::SecretString;
use crate::domain::timestamp::Timestamp;
use crate::domain::webhook::{
    check_description, retry_delay, EventSelection, EventType, NewWebhook, SigningSecret, WebhookPatch, WebhookUrl,
    DISABLE_AFTER, MAX_ENDPOINTS_PER_ACCOUNT, PREVIOUS_SECRET_HOURS,
};
use crate::domain::Invalid;
use crate::store::webhooks::{DeliveryRecord, WebhookRecord};
use crate::store::{Store, StoreError};

use super::page::{paginate, Page};
pub use super::webhook_events::{tenant_event, NamedResource, TenantEvent};
use super::ServiceError;

pub const RESOURCE_TYPE: &str = "webhook";
pub const NOT_FOUND: &str = "Webhook endpoint not found";
const TOO_MANY: &str = "An account has at most 10 webhook endpoints; delete one first";
const CONFLICT: &str = "The webhook endpoint was changed by another request at the same time; retry";

/// One event for one endpoint, as queued: the body is made once, so every
/// attempt sends the same bytes under the same `webhook-id`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookMessage {
    pub account_id: AccountId,
    pub endpoint_id: WebhookId,
    /// The `webhook-id`: `evt_` and the audit record's id.
    pub event_id: String,
    pub event_type: EventType,
    pub body: String,
}

/// What to do with a queued message after an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Delivered, or never to be (the endpoint is gone, disabled, no longer
    /// subscribed, or the last attempt failed).
    Done,
    /// Failed; attempt again after this long.
    RetryAfter(std::time::Duration),
}

/// A page of delivery attempts, newest first.
pub type DeliveryPage = Page<DeliveryRecord>;

#[derive(Clone, Debug)]
pub struct Webhooks {
    store: Store,
    envelope: Envelope,
    sender: WebhookSender,
    /// `live`: only https URLs.
    https_only: bool,
}

/// A new endpoint and its signing secret, shown this once.
#[derive(Debug)]
pub struct CreatedWebhook {
    pub record: WebhookRecord,
    pub secret: SigningSecret,
}

/// A signing secret goes to no server of its own: its endpoint's URL may
/// change (each delivery re-reads it and checks it with the guard).
fn context(account_id: &AccountId, id: &WebhookId) -> SecretContext {
    SecretContext::of_row(account_id, RESOURCE_TYPE, id)
}

fn not_found(err: StoreError) -> ServiceError {
    match err {
        StoreError::NotFound => ServiceError::NotFound(NOT_FOUND),
        StoreError::ConditionFailed { .. } => ServiceError::Conflict(CONFLICT),
        other => other.into(),
    }
}

/// The `webhook-id` of the event told for audit record `audit_event_id`.
pub fn event_id_for(audit_event_id: &str) -> String {
    format!("evt_{}", audit_event_id.to_lowercase())
}

/// A list's cursor is the id of the last endpoint of the previous page.
pub fn page_cursor(raw: Option<&str>) -> Result<Option<WebhookId>, Invalid> {
    super::page::page_cursor(raw, WebhookId::parse)
}

/// A delivery cursor is the id of the last attempt of the previous page.
pub fn delivery_cursor(raw: Option<&str>) -> Result<Option<DeliveryId>, Invalid> {
    super::page::page_cursor(raw, DeliveryId::parse)
}

/// The JSON body of an event: `{"type", "timestamp", "data"}`.
pub fn event_body(event_type: EventType, at: Timestamp, data: &serde_json::Value) -> String {
    serde_json::json!({"type": event_type.as_str(), "timestamp": at.to_string(), "data": data}).to_string()
}

impl Webhooks {
    pub fn new(store: Store, envelope: Envelope, sender: WebhookSender, https_only: bool) -> Self {
        Webhooks { store, envelope, sender, https_only }
    }

    /// A URL that parses under the stage's rule and that the guard allows now.
    async fn url(&self, raw: &str) -> Result<WebhookUrl, ServiceError> {
        let url = WebhookUrl::parse(raw, self.https_only)?;
        self.sender.check(&url).await.map_err(|why| Invalid::field("url", format!("url is not allowed: {why}")))?;
        Ok(url)
    }

    async fn seal(
        &self,
        account_id: &AccountId,
        id: &WebhookId,
        secret: &SigningSecret,
    ) -> Result<SealedSecret, ServiceError> {
        use crate::domain::secret::ExposeSecret;
        Ok(self.envelope.seal(&context(account_id, id), secret.value().expose_secret().as_bytes()).await?)
    }

    async fn open(&self, record: &WebhookRecord, sealed: &SealedSecret) -> Result<SigningSecret, ServiceError> {
        let plaintext = self.envelope.open(&context(&record.account_id, &record.id), sealed).await?;
        let text = std::str::from_utf8(&plaintext).map_err(|_| crate::crypto::CryptoError::Shape)?;
        SigningSecret::from_stored(SecretString::from(text))
            .ok_or(ServiceError::Crypto(crate::crypto::CryptoError::Shape))
    }

    pub async fn create(&self, actor: &Actor, new: &NewWebhook<'_>) -> Result<CreatedWebhook, ServiceError> {
        let events = EventSelection::parse(new.events)?;
        let description = new.description.unwrap_or_default();
        check_description(description)?;
        let url = self.url(new.url).await?;
        let id = WebhookId::new();
        let secret = SigningSecret::generate();
        let sealed = self.seal(&actor.account_id, &id, &secret).await?;
        let now = Timestamp::now();
        let record = WebhookRecord {
            id: id.clone(),
            account_id: actor.account_id.clone(),
            url,
            events,
            description: description.to_string(),
            enabled: true,
            disabled_reason: None,
            failing_since: None,
            secret: sealed,
            previous_secret: None,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let fields = ["url", "events", "description", "enabled", "secret"].map(String::from).to_vec();
        let event = AuditEvent::new(actor, AuditEventType::WebhookCreated, RESOURCE_TYPE, &id, 1, fields);
        match self.store.insert_webhook(&record, &event).await {
            Err(StoreError::ConditionFailed { index: 0 }) => Err(ServiceError::Conflict(TOO_MANY)),
            other => other.map_err(ServiceError::from),
        }?;
        const { assert!(MAX_ENDPOINTS_PER_ACCOUNT == 10, "the message says 10") };
        Ok(CreatedWebhook { record, secret })
    }

    pub async fn get(&self, account_id: &AccountId, id: &WebhookId) -> Result<WebhookRecord, ServiceError> {
        self.store.get_webhook(account_id, id).await.map_err(not_found)
    }

    /// One page of the account's endpoints, oldest first (cursor: the id of
    /// the previous page's last).
    pub async fn list(
        &self,
        account_id: &AccountId,
        limit: usize,
        after: Option<&WebhookId>,
    ) -> Result<Page<WebhookRecord>, ServiceError> {
        let all = self.store.list_webhooks(account_id).await?;
        let rest: Vec<WebhookRecord> = all.into_iter().filter(|w| after.is_none_or(|after| &w.id > after)).collect();
        Ok(paginate(rest, limit, |w| w.id.to_string()))
    }

    pub async fn update(
        &self,
        actor: &Actor,
        id: &WebhookId,
        patch: &WebhookPatch<'_>,
    ) -> Result<WebhookRecord, ServiceError> {
        let events = patch.events.map(EventSelection::parse).transpose()?;
        if let Some(description) = patch.description {
            check_description(description)?;
        }
        let url = match patch.url {
            Some(raw) => Some(self.url(raw).await?),
            None => None,
        };
        let old = self.get(&actor.account_id, id).await?;
        let mut new = old.clone();
        let mut fields = Vec::new();
        if let Some(url) = url.filter(|u| *u != old.url) {
            new.url = url;
            fields.push("url");
        }
        if let Some(events) = events.filter(|e| *e != old.events) {
            new.events = events;
            fields.push("events");
        }
        if let Some(description) = patch.description.filter(|d| *d != old.description) {
            new.description = description.to_string();
            fields.push("description");
        }
        if let Some(enabled) = patch.enabled.filter(|e| *e != old.enabled) {
            new.enabled = enabled;
            fields.push("enabled");
            // Turned on again by its owner: it starts with a clean record.
            new.disabled_reason = None;
            new.failing_since = None;
        }
        if fields.is_empty() {
            return Ok(old);
        }
        new.version = old.version + 1;
        new.updated_at = Timestamp::now();
        let fields = fields.into_iter().map(String::from).collect();
        let event = AuditEvent::new(actor, AuditEventType::WebhookUpdated, RESOURCE_TYPE, id, new.version, fields);
        self.store.replace_webhook(&old, &new, &event).await.map_err(not_found)?;
        Ok(new)
    }

    /// A new signing secret; the old one keeps signing beside it for 24 hours.
    pub async fn rotate_secret(&self, actor: &Actor, id: &WebhookId) -> Result<CreatedWebhook, ServiceError> {
        let old = self.get(&actor.account_id, id).await?;
        let secret = SigningSecret::generate();
        let now = Timestamp::now();
        let mut new = old.clone();
        new.secret = self.seal(&actor.account_id, id, &secret).await?;
        new.previous_secret = Some((old.secret.clone(), now + time::Duration::hours(PREVIOUS_SECRET_HOURS)));
        new.version = old.version + 1;
        new.updated_at = now;
        let event = AuditEvent::new(
            actor,
            AuditEventType::WebhookSecretRotated,
            RESOURCE_TYPE,
            id,
            new.version,
            vec!["secret".to_string()],
        );
        self.store.replace_webhook(&old, &new, &event).await.map_err(not_found)?;
        Ok(CreatedWebhook { record: new, secret })
    }

    pub async fn delete(&self, actor: &Actor, id: &WebhookId) -> Result<(), ServiceError> {
        let current = self.get(&actor.account_id, id).await?;
        let event =
            AuditEvent::new(actor, AuditEventType::WebhookDeleted, RESOURCE_TYPE, id, current.version + 1, Vec::new());
        self.store.delete_webhook(&actor.account_id, id, current.version, &event).await.map_err(not_found)
    }

    /// Sends a `webhook.test` event now (enabled or not) and says what the
    /// receiver answered; the attempt is listed with the others.
    pub async fn test(&self, actor: &Actor, id: &WebhookId) -> Result<Sent, ServiceError> {
        let endpoint = self.get(&actor.account_id, id).await?;
        let now = Timestamp::now();
        let data = serde_json::json!({"id": id, "account_id": actor.account_id});
        let message = WebhookMessage {
            account_id: actor.account_id.clone(),
            endpoint_id: id.clone(),
            event_id: event_id_for(&ulid::Ulid::new().to_string()),
            event_type: EventType::WebhookTest,
            body: event_body(EventType::WebhookTest, now, &data),
        };
        self.attempt(&endpoint, &message, 1, now).await
    }

    pub async fn deliveries(
        &self,
        account_id: &AccountId,
        id: &WebhookId,
        limit: usize,
        before: Option<&DeliveryId>,
    ) -> Result<DeliveryPage, ServiceError> {
        self.get(account_id, id).await?;
        let found = self.store.page_deliveries(id, limit + 1, before).await?;
        Ok(paginate(found, limit, |d| d.id.to_string()))
    }

    /// The queued messages for `events` (records of any accounts): one per
    /// event and enabled endpoint of its account that subscribes to it.
    /// Reads each account's endpoints once.
    pub async fn fan_out(&self, events: &[TenantEvent]) -> Result<Vec<WebhookMessage>, ServiceError> {
        let mut endpoints: std::collections::HashMap<AccountId, Vec<WebhookRecord>> = Default::default();
        let mut messages = Vec::new();
        for event in events {
            if !endpoints.contains_key(&event.account_id) {
                endpoints.insert(event.account_id.clone(), self.store.list_webhooks(&event.account_id).await?);
            }
            let subscribed: Vec<&WebhookRecord> = endpoints[&event.account_id]
                .iter()
                .filter(|endpoint| endpoint.enabled && endpoint.events.includes(event.event_type))
                .collect();
            if subscribed.is_empty() {
                continue;
            }
            let body = self.named(event).await?.body();
            messages.extend(subscribed.into_iter().map(|endpoint| WebhookMessage {
                account_id: event.account_id.clone(),
                endpoint_id: endpoint.id.clone(),
                event_id: event.event_id.clone(),
                event_type: event.event_type,
                body: body.clone(),
            }));
        }
        Ok(messages)
    }

    /// `event` with its resource's name as it is now, when it has one and
    /// still exists (names are not in audit records, which hold no values).
    async fn named(&self, event: &TenantEvent) -> Result<TenantEvent, ServiceError> {
        let name = match event.named_resource() {
            Some(NamedResource::Key(id)) => match self.store.get_key(&event.account_id, &id).await {
                Ok(key) => Some(key.name),
                Err(StoreError::NotFound) => None,
                Err(other) => return Err(other.into()),
            },
            Some(NamedResource::EmailProvider(id)) => {
                match self.store.get_email_provider(&event.account_id, id).await {
                    Ok(provider) => Some(provider.name),
                    Err(StoreError::NotFound) => None,
                    Err(other) => return Err(other.into()),
                }
            }
            None => None,
        };
        let mut named = event.clone();
        if let Some(name) = name {
            named.data["name"] = name.into();
        }
        Ok(named)
    }

    /// Attempt `attempt` of a queued message, at `now`: delivered, retried
    /// later, or given up; recorded either way. An endpoint that has failed
    /// for [`DISABLE_AFTER`] is disabled, audited, with the reason shown.
    pub async fn deliver(
        &self,
        message: &WebhookMessage,
        attempt: u32,
        now: Timestamp,
    ) -> Result<Verdict, ServiceError> {
        let endpoint = match self.store.get_webhook(&message.account_id, &message.endpoint_id).await {
            Ok(endpoint) => endpoint,
            Err(StoreError::NotFound) => return Ok(Verdict::Done),
            Err(other) => return Err(other.into()),
        };
        if !endpoint.enabled || !endpoint.events.includes(message.event_type) {
            return Ok(Verdict::Done);
        }
        let sent = self.attempt(&endpoint, message, attempt, now).await?;
        if sent.delivered() {
            if endpoint.failing_since.is_some() {
                self.store.note_webhook_working(&endpoint.account_id, &endpoint.id).await?;
            }
            return Ok(Verdict::Done);
        }
        match endpoint.failing_since {
            Some(since) if now.as_offset_date_time() - since.as_offset_date_time() >= DISABLE_AFTER => {
                self.disable(&endpoint, now).await?;
                return Ok(Verdict::Done);
            }
            Some(_) => {}
            None => self.store.note_webhook_failing(&endpoint.account_id, &endpoint.id, now).await?,
        }
        Ok(match retry_delay(attempt) {
            Some(delay) => Verdict::RetryAfter(delay),
            None => Verdict::Done,
        })
    }

    async fn disable(&self, endpoint: &WebhookRecord, now: Timestamp) -> Result<(), ServiceError> {
        let mut new = endpoint.clone();
        new.enabled = false;
        new.disabled_reason = Some(format!(
            "Disabled automatically on {now}: every delivery since {} failed. Fix the receiver, then enable it again.",
            endpoint.failing_since.unwrap_or(now)
        ));
        new.version = endpoint.version + 1;
        new.updated_at = now;
        let actor = Actor {
            account_id: endpoint.account_id.clone(),
            key_id: WEBHOOK_DISPATCHER_ACTOR.to_string(),
            request_id: ulid::Ulid::new().to_string(),
        };
        let fields = vec!["enabled".to_string()];
        let event =
            AuditEvent::new(&actor, AuditEventType::WebhookDisabled, RESOURCE_TYPE, &endpoint.id, new.version, fields);
        match self.store.replace_webhook(endpoint, &new, &event).await {
            // Changed meanwhile (by its owner, most likely): theirs stands.
            Err(StoreError::ConditionFailed { .. }) => Ok(()),
            other => Ok(other?),
        }
    }

    /// Signs and sends one attempt, and records it.
    async fn attempt(
        &self,
        endpoint: &WebhookRecord,
        message: &WebhookMessage,
        attempt: u32,
        now: Timestamp,
    ) -> Result<Sent, ServiceError> {
        let timestamp = now.as_offset_date_time().unix_timestamp();
        let mut signatures = vec![self.open(endpoint, &endpoint.secret).await?.sign(
            &message.event_id,
            timestamp,
            message.body.as_bytes(),
        )];
        if let Some((previous, until)) = &endpoint.previous_secret {
            if *until > now {
                let previous = self.open(endpoint, previous).await?;
                signatures.push(previous.sign(&message.event_id, timestamp, message.body.as_bytes()));
            }
        }
        let headers = [
            ("webhook-id", message.event_id.clone()),
            ("webhook-timestamp", timestamp.to_string()),
            ("webhook-signature", signatures.join(" ")),
        ];
        let sent = self.sender.send(&endpoint.url, &headers, message.body.as_bytes()).await;
        let record = DeliveryRecord {
            id: DeliveryId::new(),
            event_id: message.event_id.clone(),
            event_type: message.event_type.as_str().to_string(),
            attempt,
            status_code: sent.status_code,
            error: sent.error.clone(),
            at: now,
        };
        self.store.put_delivery(&endpoint.id, &record).await?;
        Ok(sent)
    }
}
