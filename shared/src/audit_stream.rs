//! The audit stream consumer: a function subscribed to the audit table's
//! DynamoDB stream that writes each audit record as one structured JSON log
//! line (target `mailkeys::audit`), for a log pipeline to ship on.
//!
//! Redelivery is harmless: the line for a record is the same every time and
//! carries the record's `event_id` (a ULID) for downstream de-duplication.
//! A record that cannot be read is reported as a partial batch failure, and
//! nothing after it in the batch is logged (Lambda redelivers from there);
//! the template's retry limit and batch bisection keep one bad record from
//! blocking the shard.

use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use serde::Deserialize;

/// An audit item as the stream carries it (`NEW_IMAGE`).
#[derive(Debug, Deserialize)]
struct AuditImage {
    event_id: String,
    account_id: String,
    event_type: String,
    resource_type: String,
    resource_id: String,
    changed_fields: Vec<String>,
    actor_key_id: String,
    request_id: String,
    created_at: String,
    key_prefix: Option<String>,
    related_resource_id: Option<String>,
    outcome: Option<String>,
}

/// Logs every record of a batch; the answer lists the first record that
/// could not be read, if any.
pub fn consume(event: &Event) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    for record in &event.records {
        // Audit records are only ever inserted.
        if record.event_name != "INSERT" {
            continue;
        }
        match serde_dynamo::from_item::<_, AuditImage>(record.change.new_image.clone()) {
            Ok(audit) => tracing::info!(
                target: "mailkeys::audit",
                event_id = %audit.event_id,
                event_type = %audit.event_type,
                account_id = %audit.account_id,
                resource_type = %audit.resource_type,
                resource_id = %audit.resource_id,
                changed_fields = ?audit.changed_fields,
                actor_key_id = %audit.actor_key_id,
                request_id = %audit.request_id,
                created_at = %audit.created_at,
                key_prefix = audit.key_prefix.as_deref(),
                related_resource_id = audit.related_resource_id.as_deref(),
                outcome = audit.outcome.as_deref(),
                "audit"
            ),
            Err(err) => {
                tracing::error!(error = %err, sequence_number = ?record.change.sequence_number, "unreadable audit record");
                let mut failure = DynamoDbBatchItemFailure::default();
                failure.item_identifier = record.change.sequence_number.clone();
                response.batch_item_failures.push(failure);
                break;
            }
        }
    }
    response
}

/// The function's `main`.
pub async fn run() -> Result<(), lambda_http::Error> {
    crate::logging::init();
    lambda_http::lambda_runtime::run(lambda_http::service_fn(|event: lambda_http::LambdaEvent<Event>| async move {
        Ok::<_, lambda_http::Error>(consume(&event.payload))
    }))
    .await
}
