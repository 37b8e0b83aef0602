//! The audit stream consumer: a function subscribed to the audit table's
//! DynamoDB stream that writes each audit record as one structured JSON log
//! line (target `mailkeys::audit`), for a log pipeline to ship on, and, when
//! `MAILKEYS_AUDIT_EVENT_BUS` names an EventBridge bus, puts it there too.
//!
//! Redelivery is harmless: the line and the event for a record are the same
//! every time and carry the record's `event_id` (a ULID) for downstream
//! de-duplication (neither logs nor EventBridge de-duplicate by themselves).
//! A record that cannot be read or forwarded is reported as a partial batch
//! failure, and nothing after it in the batch is logged or forwarded (Lambda
//! redelivers from there); the template's retry limit and batch bisection
//! keep one bad record from blocking the shard.
//!
//! With `MAILKEYS_WEBHOOK_QUEUE_URL` it also queues the webhook messages of
//! the batch's records ([`crate::webhook_queue`]): when that fails, the whole
//! batch is redelivered, and the events keep their `webhook-id`s.

use crate::domain::timestamp::Timestamp;
use aws_config::SdkConfig;
use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use serde::{Deserialize, Serialize};

/// The EventBridge `source` of forwarded audit events.
pub const EVENT_SOURCE: &str = "mailkeys.audit";
/// PutEvents takes at most this many entries per call.
const PUT_EVENTS_MAX_ENTRIES: usize = 10;

/// An audit item as the stream carries it (`NEW_IMAGE`), and the `detail`
/// of the event forwarded for it. Audit items hold no secret by construction.
#[derive(Debug, Deserialize, Serialize)]
struct AuditImage {
    event_id: String,
    account_id: String,
    event_type: String,
    resource_type: String,
    resource_id: String,
    changed_fields: Vec<String>,
    actor_key_id: String,
    request_id: String,
    created_at: Timestamp,
    key_prefix: Option<String>,
    key_face: Option<String>,
    expires_at: Option<Timestamp>,
    related_resource_id: Option<String>,
    old_key_expires_at: Option<Timestamp>,
    url: Option<String>,
    source: Option<String>,
    outcome: Option<String>,
    purpose: Option<String>,
    /// The resource's version the record is about: downstream consumers
    /// order a resource's events by it and drop one they have seen.
    version: Option<u64>,
}

/// An EventBridge bus that receives every audit record.
#[derive(Clone, Debug)]
pub struct AuditForwarder {
    client: aws_sdk_eventbridge::Client,
    bus: String,
}

impl AuditForwarder {
    pub fn new(sdk: &SdkConfig, bus: impl Into<String>) -> Self {
        AuditForwarder { client: aws_sdk_eventbridge::Client::new(sdk), bus: bus.into() }
    }

    /// From `MAILKEYS_AUDIT_EVENT_BUS`; none when unset.
    pub fn from_env(sdk: &SdkConfig) -> Option<Self> {
        crate::config::audit_event_bus().map(|bus| Self::new(sdk, bus))
    }

    /// Puts the records in order; the index of the first one the bus did not
    /// take, if any.
    async fn put(&self, records: &[AuditImage]) -> Option<usize> {
        for (chunk_index, chunk) in records.chunks(PUT_EVENTS_MAX_ENTRIES).enumerate() {
            let first = chunk_index * PUT_EVENTS_MAX_ENTRIES;
            let entries = chunk
                .iter()
                .map(|audit| {
                    PutEventsRequestEntry::builder()
                        .event_bus_name(&self.bus)
                        .source(EVENT_SOURCE)
                        .detail_type(&audit.event_type)
                        .detail(serde_json::to_string(audit).expect("an audit record serializes"))
                        .build()
                })
                .collect();
            match self.client.put_events().set_entries(Some(entries)).send().await {
                Err(err) => {
                    tracing::error!(error = %aws_sdk_eventbridge::error::DisplayErrorContext(&err), "PutEvents failed");
                    return Some(first);
                }
                Ok(out) if out.failed_entry_count() > 0 => {
                    let failed = out.entries().iter().position(|e| e.error_code().is_some()).unwrap_or(0);
                    let code = out.entries().get(failed).and_then(|e| e.error_code()).unwrap_or("unknown");
                    tracing::error!(error_code = code, "EventBridge refused an audit event");
                    return Some(first + failed);
                }
                Ok(_) => {}
            }
        }
        None
    }
}

impl AuditImage {
    fn to_event(&self) -> crate::audit::AuditEvent {
        crate::audit::AuditEvent {
            event_id: self.event_id.clone(),
            account_id: self.account_id.clone(),
            event_type: self.event_type.clone(),
            resource_type: self.resource_type.clone(),
            resource_id: self.resource_id.clone(),
            changed_fields: self.changed_fields.clone(),
            key_prefix: self.key_prefix.clone(),
            key_face: self.key_face.clone(),
            expires_at: self.expires_at,
            related_resource_id: self.related_resource_id.clone(),
            old_key_expires_at: self.old_key_expires_at,
            outcome: self.outcome.clone(),
            url: self.url.clone(),
            source: self.source.clone(),
            purpose: self.purpose.clone(),
            version: self.version,
            actor_key_id: self.actor_key_id.clone(),
            request_id: self.request_id.clone(),
            created_at: self.created_at,
        }
    }
}

/// Where the records' webhook events go: the endpoints (to find who
/// subscribes) and the queue.
#[derive(Clone, Debug)]
pub struct WebhookFanOut {
    pub webhooks: crate::service::webhooks::Webhooks,
    pub queue: crate::webhook_queue::WebhookQueue,
}

impl WebhookFanOut {
    /// Queues the webhook messages of `audits`.
    async fn queue(&self, audits: &[AuditImage]) -> Result<(), String> {
        let events: Vec<_> =
            audits.iter().filter_map(|a| crate::service::webhooks::tenant_event(&a.to_event())).collect();
        if events.is_empty() {
            return Ok(());
        }
        let messages = self.webhooks.fan_out(&events).await.map_err(|e| e.to_string())?;
        self.queue.send(&messages).await
    }
}

/// Logs (and forwards) every record of a batch; the answer names the first
/// record that could not be read or forwarded, if any.
pub async fn consume(event: &Event, forwarder: Option<&AuditForwarder>) -> DynamoDbEventResponse {
    consume_with(event, forwarder, None).await
}

/// [`consume`], queueing the records' webhook messages too.
pub async fn consume_with(
    event: &Event,
    forwarder: Option<&AuditForwarder>,
    fan_out: Option<&WebhookFanOut>,
) -> DynamoDbEventResponse {
    // Readable records in order, with their sequence numbers beside them.
    let mut audits = Vec::new();
    let mut sequence_numbers = Vec::new();
    let mut failed_at = None;
    // Audit records are only ever inserted.
    for record in event.records.iter().filter(|r| r.event_name == "INSERT") {
        let sequence_number = record.change.sequence_number.clone();
        match serde_dynamo::from_item::<_, AuditImage>(record.change.new_image.clone()) {
            Ok(audit) => {
                audits.push(audit);
                sequence_numbers.push(sequence_number);
            }
            Err(err) => {
                tracing::error!(error = %err, ?sequence_number, "unreadable audit record");
                failed_at = Some(sequence_number);
                break;
            }
        }
    }
    if let Some(refused) = deliver(&audits, forwarder, fan_out).await {
        failed_at = Some(sequence_numbers[refused].clone());
        audits.truncate(refused);
    }
    audits.iter().for_each(log);
    let mut response = DynamoDbEventResponse::default();
    if let Some(sequence_number) = failed_at {
        let mut failure = DynamoDbBatchItemFailure::default();
        failure.item_identifier = sequence_number;
        response.batch_item_failures.push(failure);
    }
    response
}

/// Forwards `audits` and queues their webhook messages: the index of the
/// first record that did not get through, if any.
async fn deliver(
    audits: &[AuditImage],
    forwarder: Option<&AuditForwarder>,
    fan_out: Option<&WebhookFanOut>,
) -> Option<usize> {
    let mut refused = match forwarder {
        Some(forwarder) => forwarder.put(audits).await,
        None => None,
    };
    if let Some(fan_out) = fan_out {
        let through = &audits[..refused.unwrap_or(audits.len())];
        if let Err(err) = fan_out.queue(through).await {
            tracing::error!(error = %err, "could not queue the batch's webhook messages");
            refused = Some(0);
        }
    }
    refused.filter(|_| !audits.is_empty())
}

/// Locally: reads the audit table's stream as Lambda would and does what
/// the consumer does with each batch, until the process ends. Shards are
/// read from their newest record when it starts; shards that open later,
/// from their first.
pub async fn tail_stream(
    ddb: &aws_sdk_dynamodb::Client,
    streams: &aws_sdk_dynamodbstreams::Client,
    audit_table: &str,
    forwarder: Option<AuditForwarder>,
    fan_out: Option<WebhookFanOut>,
    ready: tokio::sync::oneshot::Sender<()>,
) {
    let mut ready = Some(ready);
    use aws_sdk_dynamodbstreams::types::ShardIteratorType;
    let pause = || tokio::time::sleep(std::time::Duration::from_millis(200));
    let arn = loop {
        match ddb.describe_table().table_name(audit_table).send().await {
            Ok(out) => match out.table().and_then(|t| t.latest_stream_arn()) {
                Some(arn) => break arn.to_string(),
                None => return tracing::error!("the audit table has no stream"),
            },
            Err(_) => pause().await,
        }
    };
    let mut iterators: std::collections::HashMap<String, Option<String>> = Default::default();
    let mut first_pass = true;
    loop {
        if let Ok(description) = streams.describe_stream().stream_arn(&arn).send().await {
            for shard in description.stream_description().map(|d| d.shards()).unwrap_or_default() {
                let Some(id) = shard.shard_id() else { continue };
                if iterators.contains_key(id) {
                    continue;
                }
                let start = match first_pass {
                    true => ShardIteratorType::Latest,
                    false => ShardIteratorType::TrimHorizon,
                };
                let iterator = streams
                    .get_shard_iterator()
                    .stream_arn(&arn)
                    .shard_id(id)
                    .shard_iterator_type(start)
                    .send()
                    .await
                    .ok()
                    .and_then(|o| o.shard_iterator);
                iterators.insert(id.to_string(), iterator);
            }
            first_pass = false;
            // Everything written from now on is read.
            if let Some(ready) = ready.take() {
                let _ = ready.send(());
            }
        }
        for iterator in iterators.values_mut() {
            let Some(current) = iterator.clone() else { continue };
            let Ok(out) = streams.get_records().shard_iterator(&current).send().await else { continue };
            let audits: Vec<AuditImage> = out
                .records()
                .iter()
                .filter_map(|r| r.dynamodb().and_then(|d| d.new_image()))
                .filter_map(|image| serde_dynamo::aws_sdk_dynamodbstreams_1::from_item(image.clone()).ok())
                .collect();
            // Redelivered as Lambda would: the same records again.
            if deliver(&audits, forwarder.as_ref(), fan_out.as_ref()).await.is_some() {
                continue;
            }
            audits.iter().for_each(log);
            *iterator = out.next_shard_iterator;
        }
        pause().await;
    }
}

/// The record as one JSON log line, in the shape of the service's other
/// lines (`timestamp`, `level`, `target`, `fields`), its `changed_fields` a
/// JSON array. Written by hand: the tracing formatter writes every field as
/// a scalar.
fn audit_line(audit: &AuditImage) -> String {
    let mut fields = serde_json::to_value(audit).unwrap_or_default();
    if let Some(fields) = fields.as_object_mut() {
        fields.retain(|_, value| !value.is_null());
        fields.insert("message".to_string(), "audit".into());
    }
    let timestamp =
        time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    serde_json::json!({"timestamp": timestamp, "level": "INFO", "target": "mailkeys::audit", "fields": fields})
        .to_string()
}

fn log(audit: &AuditImage) {
    use std::io::Write;
    // One write per line, so that lines of concurrent writers never mix.
    let _ = writeln!(std::io::stdout().lock(), "{}", audit_line(audit));
}

/// The function's `main`.
pub async fn run() -> Result<(), lambda_http::Error> {
    crate::logging::init();
    let sdk = crate::aws::function_sdk_config();
    let forwarder = AuditForwarder::from_env(&sdk);
    let forwarder = forwarder.as_ref();
    let fan_out = match crate::webhook_queue::WebhookQueue::from_env(&sdk) {
        Some(queue) => Some(WebhookFanOut { webhooks: crate::app::AppState::from_env().await?.webhooks, queue }),
        None => None,
    };
    let fan_out = fan_out.as_ref();
    lambda_http::lambda_runtime::run(lambda_http::service_fn(|event: lambda_http::LambdaEvent<Event>| async move {
        Ok::<_, lambda_http::Error>(consume_with(&event.payload, forwarder, fan_out).await)
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_audit_line_carries_changed_fields_as_an_array() {
        let audit = AuditImage {
            event_id: "01J".into(),
            account_id: "acc_1".into(),
            event_type: "EMAIL_PROVIDER_UPDATED".into(),
            resource_type: "email_provider".into(),
            resource_id: "1".into(),
            changed_fields: vec!["name".into(), "credentials".into()],
            actor_key_id: "key_1".into(),
            request_id: "r".into(),
            created_at: Timestamp::parse("2026-11-24T10:00:00Z").unwrap(),
            key_prefix: None,
            key_face: None,
            expires_at: None,
            related_resource_id: None,
            old_key_expires_at: None,
            url: Some("https://github.com/octo-org/octo-repo/blob/main/.env".into()),
            source: Some("content".into()),
            outcome: None,
            purpose: None,
            version: Some(3),
        };
        let line: serde_json::Value = serde_json::from_str(&audit_line(&audit)).unwrap();
        assert_eq!(line["target"], "mailkeys::audit");
        assert_eq!(line["fields"]["changed_fields"], serde_json::json!(["name", "credentials"]));
        assert_eq!(line["fields"]["event_type"], "EMAIL_PROVIDER_UPDATED");
        assert!(line["fields"].get("outcome").is_none());
        assert_eq!(line["fields"]["version"], 3, "consumers order and de-duplicate by it");
        assert_eq!(line["fields"]["source"], "content", "where an exposed key was found travels on");
    }
}
