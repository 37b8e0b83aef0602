//! `/api/webhooks[...]`: an account's webhook endpoints.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;

use super::error::{ApiError, ErrorBody};
use super::extract::{Authorized, IdPath, JsonBody, ManageWebhooks};
use super::page::PageQuery;
use super::request::webhooks::{CreateWebhookRequest, UpdateWebhookRequest};
use super::routes::Function;
use crate::app::AppState;
use crate::domain::ids::WebhookId;
use crate::domain::secret::ExposeSecret;
use crate::domain::timestamp::Timestamp;
use crate::service::webhooks::{delivery_cursor, page_cursor, CreatedWebhook};
use crate::store::webhooks::{DeliveryRecord, WebhookRecord};

/// An endpoint as shown: never its signing secret.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookResponse {
    pub id: WebhookId,
    pub url: String,
    #[schema(value_type = Vec<super::schema::EventName>, example = json!(["*"]))]
    pub events: Vec<String>,
    pub description: String,
    pub enabled: bool,
    /// Why the dispatcher disabled it, when it did.
    pub disabled_reason: Option<String>,
    /// Since when every delivery has failed, when they do.
    pub failing_since: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<WebhookRecord> for WebhookResponse {
    fn from(r: WebhookRecord) -> Self {
        WebhookResponse {
            id: r.id,
            url: r.url.to_string(),
            events: r.events.names(),
            description: r.description,
            enabled: r.enabled,
            disabled_reason: r.disabled_reason,
            failing_since: r.failing_since,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// An endpoint with its signing secret, shown once (create, rotate-secret).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookWithSecret {
    #[serde(flatten)]
    pub endpoint: WebhookResponse,
    /// `whsec_` and base64: verify deliveries with it. Shown only now.
    #[schema(example = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD")]
    pub secret: String,
}

impl From<CreatedWebhook> for WebhookWithSecret {
    fn from(created: CreatedWebhook) -> Self {
        let secret = created.secret.value().expose_secret().to_string();
        WebhookWithSecret { endpoint: created.record.into(), secret }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookList {
    pub items: Vec<WebhookResponse>,
    pub next_cursor: Option<String>,
}

/// What the receiver said to a test event.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookTestResult {
    /// Whether it answered 2xx.
    pub delivered: bool,
    pub status_code: Option<u16>,
    /// Why not, in words (never the receiver's body).
    pub error: Option<String>,
}

/// One delivery attempt; never a body, sent or received.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryResponse {
    /// The `webhook-id` header: the same on every attempt of one event.
    pub event_id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub at: Timestamp,
}

impl From<DeliveryRecord> for DeliveryResponse {
    fn from(d: DeliveryRecord) -> Self {
        DeliveryResponse {
            event_id: d.event_id,
            event_type: d.event_type,
            attempt: d.attempt,
            status_code: d.status_code,
            error: d.error,
            at: d.at,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryList {
    pub items: Vec<DeliveryResponse>,
    pub next_cursor: Option<String>,
}

#[utoipa::path(
    post,
    path = Function::WebhooksCreate.path(),
    operation_id = Function::WebhooksCreate.name(),
    tag = "webhooks",
    request_body = CreateWebhookRequest,
    responses(
        (status = 201, description = "Created; `secret` is shown only now", body = WebhookWithSecret),
        (status = 400, description = "Invalid URL, events or description", body = ErrorBody),
        (status = 409, description = "The account has 10 endpoints already", body = ErrorBody),
    ),
)]
pub async fn create(
    State(app): State<AppState>,
    auth: Authorized<ManageWebhooks>,
    JsonBody(request): JsonBody<CreateWebhookRequest>,
) -> Result<(StatusCode, Json<WebhookWithSecret>), ApiError> {
    let created = app.webhooks.create(&auth.actor(), &(&request).into()).await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

#[utoipa::path(
    get,
    path = Function::WebhooksList.path(),
    operation_id = Function::WebhooksList.name(),
    tag = "webhooks",
    params(PageQuery),
    responses(
        (status = 200, description = "One page of the account's endpoints, oldest first", body = WebhookList),
        (status = 400, description = "Invalid limit or cursor", body = ErrorBody),
    ),
)]
pub async fn list(
    State(app): State<AppState>,
    auth: Authorized<ManageWebhooks>,
    query: PageQuery,
) -> Result<Json<WebhookList>, ApiError> {
    let limit = query.limit()?;
    let cursor = page_cursor(query.cursor.as_deref())?;
    let page = app.webhooks.list(auth.account_id(), limit, cursor.as_ref()).await?;
    Ok(Json(WebhookList { items: page.items.into_iter().map(Into::into).collect(), next_cursor: page.next_cursor }))
}

#[utoipa::path(
    get,
    path = Function::WebhooksGet.path(),
    operation_id = Function::WebhooksGet.name(),
    tag = "webhooks",
    params(("id" = String, Path, description = "The endpoint's id")),
    responses((status = 200, description = "The endpoint", body = WebhookResponse), (status = 404, description = "No such endpoint in this account", body = ErrorBody)),
)]
pub async fn get(
    State(app): State<AppState>,
    auth: Authorized<ManageWebhooks>,
    IdPath(id): IdPath<WebhookId>,
) -> Result<Json<WebhookResponse>, ApiError> {
    Ok(Json(app.webhooks.get(auth.account_id(), &id).await?.into()))
}

#[utoipa::path(
    patch,
    path = Function::WebhooksUpdate.path(),
    operation_id = Function::WebhooksUpdate.name(),
    tag = "webhooks",
    params(("id" = String, Path, description = "The endpoint's id")),
    request_body = UpdateWebhookRequest,
    responses(
        (status = 200, description = "Updated", body = WebhookResponse),
        (status = 400, description = "Invalid URL, events or description", body = ErrorBody),
        (status = 404, description = "No such endpoint in this account", body = ErrorBody),
        (status = 409, description = "Changed concurrently; retry", body = ErrorBody),
    ),
)]
pub async fn update(
    State(app): State<AppState>,
    auth: Authorized<ManageWebhooks>,
    IdPath(id): IdPath<WebhookId>,
    JsonBody(request): JsonBody<UpdateWebhookRequest>,
) -> Result<Json<WebhookResponse>, ApiError> {
    Ok(Json(app.webhooks.update(&auth.actor(), &id, &(&request).into()).await?.into()))
}

#[utoipa::path(
    delete,
    path = Function::WebhooksDelete.path(),
    operation_id = Function::WebhooksDelete.name(),
    tag = "webhooks",
    params(("id" = String, Path, description = "The endpoint's id")),
    responses((status = 204, description = "Deleted; nothing more is sent to it"), (status = 404, description = "No such endpoint in this account", body = ErrorBody)),
)]
pub async fn delete(
    State(app): State<AppState>,
    auth: Authorized<ManageWebhooks>,
    IdPath(id): IdPath<WebhookId>,
) -> Result<StatusCode, ApiError> {
    app.webhooks.delete(&auth.actor(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = Function::WebhooksRotateSecret.path(),
    operation_id = Function::WebhooksRotateSecret.name(),
    tag = "webhooks",
    params(("id" = String, Path, description = "The endpoint's id")),
    responses(
        (status = 200, description = "The new secret, shown only now; the old one signs beside it for 24 hours", body = WebhookWithSecret),
        (status = 404, description = "No such endpoint in this account", body = ErrorBody),
        (status = 409, description = "Changed concurrently; retry", body = ErrorBody),
    ),
)]
pub async fn rotate_secret(
    State(app): State<AppState>,
    auth: Authorized<ManageWebhooks>,
    IdPath(id): IdPath<WebhookId>,
) -> Result<Json<WebhookWithSecret>, ApiError> {
    Ok(Json(app.webhooks.rotate_secret(&auth.actor(), &id).await?.into()))
}

#[utoipa::path(
    post,
    path = Function::WebhooksTest.path(),
    operation_id = Function::WebhooksTest.name(),
    tag = "webhooks",
    params(("id" = String, Path, description = "The endpoint's id")),
    responses((status = 200, description = "What the receiver answered a `webhook.test` event", body = WebhookTestResult), (status = 404, description = "No such endpoint in this account", body = ErrorBody)),
)]
pub async fn test(
    State(app): State<AppState>,
    auth: Authorized<ManageWebhooks>,
    IdPath(id): IdPath<WebhookId>,
) -> Result<Json<WebhookTestResult>, ApiError> {
    let sent = app.webhooks.test(&auth.actor(), &id).await?;
    Ok(Json(WebhookTestResult { delivered: sent.delivered(), status_code: sent.status_code, error: sent.error }))
}

#[utoipa::path(
    get,
    path = Function::WebhooksDeliveries.path(),
    operation_id = Function::WebhooksDeliveries.name(),
    tag = "webhooks",
    params(("id" = String, Path, description = "The endpoint's id"), PageQuery),
    responses(
        (status = 200, description = "Recent delivery attempts (30 days), newest first", body = DeliveryList),
        (status = 400, description = "Invalid limit or cursor", body = ErrorBody),
        (status = 404, description = "No such endpoint in this account", body = ErrorBody),
    ),
)]
pub async fn deliveries(
    State(app): State<AppState>,
    auth: Authorized<ManageWebhooks>,
    IdPath(id): IdPath<WebhookId>,
    query: PageQuery,
) -> Result<Json<DeliveryList>, ApiError> {
    let limit = query.limit()?;
    let cursor = delivery_cursor(query.cursor.as_deref())?;
    let page = app.webhooks.deliveries(auth.account_id(), &id, limit, cursor.as_ref()).await?;
    Ok(Json(DeliveryList { items: page.items.into_iter().map(Into::into).collect(), next_cursor: page.next_cursor }))
}
