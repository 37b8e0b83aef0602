//! Webhook delivery off the request path. The audit stream consumer turns
//! records into events and queues one message per subscribed endpoint
//! (SQS); the dispatcher function attempts each and, on a failure, makes
//! the message visible again after the retry delay (SQS's visibility
//! timeout, up to 12 hours), so every attempt is the same message, its
//! attempt number SQS's receive count. Locally ([`run_local`]) one task
//! tails the audit table's stream and another polls the queue, doing what
//! the two functions do in AWS.

use std::time::Duration;

use aws_config::SdkConfig;
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use aws_sdk_sqs::types::{MessageSystemAttributeName, SendMessageBatchRequestEntry};

use crate::domain::timestamp::Timestamp;
use crate::service::webhooks::{Verdict, WebhookMessage, Webhooks};

/// SendMessageBatch takes at most this many entries per call.
const SEND_BATCH_MAX: usize = 10;

/// The queue of webhook messages (`MAILKEYS_WEBHOOK_QUEUE_URL`).
#[derive(Clone, Debug)]
pub struct WebhookQueue {
    client: aws_sdk_sqs::Client,
    url: String,
}

/// A message as received, with what is needed to answer for it.
#[derive(Debug)]
pub struct Received {
    pub receipt_handle: String,
    pub attempt: u32,
    pub message: Option<WebhookMessage>,
}

impl WebhookQueue {
    pub fn new(sdk: &SdkConfig, url: impl Into<String>) -> Self {
        WebhookQueue { client: aws_sdk_sqs::Client::new(sdk), url: url.into() }
    }

    pub fn from_env(sdk: &SdkConfig) -> Option<Self> {
        crate::config::webhook_queue_url().map(|url| Self::new(sdk, url))
    }

    /// Queues every message; an error when any was not taken (the caller
    /// retries the batch: receivers de-duplicate on `webhook-id`).
    pub async fn send(&self, messages: &[WebhookMessage]) -> Result<(), String> {
        for chunk in messages.chunks(SEND_BATCH_MAX) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_body(serde_json::to_string(m).expect("a message serializes"))
                        .build()
                        .expect("id and body set")
                })
                .collect();
            let out = self
                .client
                .send_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| aws_sdk_sqs::error::DisplayErrorContext(&e).to_string())?;
            if !out.failed().is_empty() {
                return Err(format!("the queue refused {} webhook messages", out.failed().len()));
            }
        }
        Ok(())
    }

    /// Makes a received message visible again after `delay`.
    pub async fn retry_later(&self, receipt_handle: &str, delay: Duration) -> Result<(), String> {
        let seconds = i32::try_from(delay.as_secs()).unwrap_or(i32::MAX).min(12 * 3600);
        self.client
            .change_message_visibility()
            .queue_url(&self.url)
            .receipt_handle(receipt_handle)
            .visibility_timeout(seconds)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_sdk_sqs::error::DisplayErrorContext(&e).to_string())
    }

    /// Up to ten messages, waiting up to `wait` for the first (local only:
    /// in AWS, Lambda receives).
    pub async fn receive(&self, wait: Duration) -> Result<Vec<Received>, String> {
        let out = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(10)
            .wait_time_seconds(i32::try_from(wait.as_secs()).unwrap_or(1))
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .map_err(|e| aws_sdk_sqs::error::DisplayErrorContext(&e).to_string())?;
        Ok(out
            .messages()
            .iter()
            .map(|m| Received {
                receipt_handle: m.receipt_handle().unwrap_or_default().to_string(),
                attempt: m
                    .attributes()
                    .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(1),
                message: m.body().and_then(|b| serde_json::from_str(b).ok()),
            })
            .collect())
    }

    pub async fn delete(&self, receipt_handle: &str) -> Result<(), String> {
        self.client
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(receipt_handle)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_sdk_sqs::error::DisplayErrorContext(&e).to_string())
    }
}

/// What became of one received message.
#[derive(Debug, PartialEq, Eq)]
enum Handled {
    /// Delivered or dropped: remove it from the queue.
    Finished,
    /// To be received again (after the retry delay, already set).
    Again,
}

/// One attempt of one received message.
async fn handle(webhooks: &Webhooks, queue: &WebhookQueue, received: &Received) -> Handled {
    let Some(message) = &received.message else {
        // Not one of ours: retrying cannot help.
        tracing::error!("unreadable webhook message dropped");
        return Handled::Finished;
    };
    match webhooks.deliver(message, received.attempt, Timestamp::now()).await {
        Ok(Verdict::Done) => Handled::Finished,
        Ok(Verdict::RetryAfter(delay)) => {
            if let Err(err) = queue.retry_later(&received.receipt_handle, delay).await {
                tracing::warn!(error = %err, "could not set a webhook retry's delay; the queue's own applies");
            }
            Handled::Again
        }
        Err(err) => {
            // Our own dependency failed (DynamoDB, KMS): the queue's
            // visibility timeout brings it back.
            tracing::error!(error = %err, endpoint_id = %message.endpoint_id, "webhook delivery could not be attempted");
            Handled::Again
        }
    }
}

/// The dispatcher function's work on one batch: every message attempted
/// at once (one slow receiver does not hold up another's), the ones to be
/// received again reported as failures.
pub async fn dispatch(webhooks: &Webhooks, queue: &WebhookQueue, event: &SqsEvent) -> SqsBatchResponse {
    let attempts = event.records.iter().map(|record| async move {
        let received = Received {
            receipt_handle: record.receipt_handle.clone().unwrap_or_default(),
            attempt: record.attributes.get("ApproximateReceiveCount").and_then(|n| n.parse().ok()).unwrap_or(1),
            message: record.body.as_deref().and_then(|b| serde_json::from_str(b).ok()),
        };
        (record.message_id.clone().unwrap_or_default(), handle(webhooks, queue, &received).await)
    });
    let mut response = SqsBatchResponse::default();
    for (message_id, handled) in futures_util::future::join_all(attempts).await {
        if handled == Handled::Again {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = message_id;
            response.batch_item_failures.push(failure);
        }
    }
    response
}

/// The dispatcher function's `main`.
pub async fn run_dispatcher() -> Result<(), lambda_http::Error> {
    crate::logging::init();
    let state = crate::app::AppState::from_env().await?;
    let queue =
        WebhookQueue::from_env(&crate::aws::function_sdk_config()).ok_or("MAILKEYS_WEBHOOK_QUEUE_URL is not set")?;
    let (webhooks, queue) = (&state.webhooks, &queue);
    lambda_http::lambda_runtime::run(lambda_http::service_fn(|event: lambda_http::LambdaEvent<SqsEvent>| async move {
        Ok::<_, lambda_http::Error>(dispatch(webhooks, queue, &event.payload).await)
    }))
    .await
}

/// Locally: polls the queue and attempts what it receives, each message on
/// its own task, until the process ends.
pub async fn poll_queue(webhooks: Webhooks, queue: WebhookQueue) {
    loop {
        // Short polls (a local emulator's long poll holds its answer for
        // the whole wait), a tenth of a second apart when there is nothing.
        let received = match queue.receive(Duration::ZERO).await {
            Ok(received) if received.is_empty() => {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            Ok(received) => received,
            Err(err) => {
                tracing::warn!(error = %err, "could not receive from the webhook queue");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        for received in received {
            let (webhooks, queue) = (webhooks.clone(), queue.clone());
            tokio::spawn(async move {
                if handle(&webhooks, &queue, &received).await == Handled::Finished {
                    let _ = queue.delete(&received.receipt_handle).await;
                }
            });
        }
    }
}

/// Locally (`mailkeys-local`, the tests): the consumer's and the
/// dispatcher's work on tasks of this process, for `state`'s tables and
/// `queue`. Returns once every change from now on will be told.
pub async fn spawn_local(state: &crate::app::AppState, streams: aws_sdk_dynamodbstreams::Client, queue: WebhookQueue) {
    let fan_out = crate::audit_stream::WebhookFanOut { webhooks: state.webhooks.clone(), queue: queue.clone() };
    let (ddb, table) = (state.store.client().clone(), state.settings.tables.audit.clone());
    let (ready, started) = tokio::sync::oneshot::channel();
    tokio::spawn(
        async move { crate::audit_stream::tail_stream(&ddb, &streams, &table, None, Some(fan_out), ready).await },
    );
    tokio::spawn(poll_queue(state.webhooks.clone(), queue));
    let _ = started.await;
}

/// Creates the local queue named `name` (once; it is kept if it exists)
/// and returns its URL: what `make dev` and the tests use.
pub async fn create_local_queue(sdk: &SdkConfig, name: &str) -> Result<String, String> {
    let out = aws_sdk_sqs::Client::new(sdk)
        .create_queue()
        .queue_name(name)
        // Longer than an attempt takes (5 s), so a message being attempted
        // is not received again meanwhile.
        .attributes(aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout, "60")
        .send()
        .await
        .map_err(|e| aws_sdk_sqs::error::DisplayErrorContext(&e).to_string())?;
    out.queue_url.ok_or_else(|| "the queue has no URL".to_string())
}
