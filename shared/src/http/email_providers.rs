//! `/api/email-providers[/{id}]`.

use crate::domain::timestamp::Timestamp;
use axum::extract::State;
use axum::http::header::LINK;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::Json;
use serde::Serialize;

use super::error::{ApiError, ErrorBody};
use super::extract::{Authorized, IdPath, JsonBody, OptionalJsonBody, ReadEmailProviders, WriteEmailProviders};
use super::page::PageQuery;
use super::request::email_providers::{CreateEmailProviderRequest, UpdateEmailProviderRequest};
use super::routes::Function;
use crate::app::AppState;
use crate::domain::connectivity::TestOutcome;
use crate::domain::email_provider::ProviderType;
use crate::domain::ids::EmailProviderId;
use crate::domain::masking::mask_identifier;
use crate::domain::smtp_relay::{SCALEWAY_SMTP_HOST, SES_SMTP_REGIONS, SUBMISSION_PORT};
use crate::service::page::page_cursor;
use crate::store::email_providers::EmailProviderRecord;

/// The masked `EmailProviderResponse`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EmailProviderResponse {
    pub id: EmailProviderId,
    pub name: String,
    pub provider_type: ProviderType,
    pub region: String,
    pub is_active: bool,
    /// The credential block's fields, secrets masked.
    #[schema(value_type = Object)]
    pub credentials: serde_json::Value,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// The outcome of the last connectivity test (`null` before the first).
    pub last_test: Option<TestOutcome>,
    /// SES and Scaleway: the SMTP relay to configure a mail client with
    /// (`null` where SES has no SMTP endpoint); absent for SMTP providers,
    /// whose `credentials` say it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp_host: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp_port: Option<u16>,
    /// Masked like the access key id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp_username: Option<String>,
}

impl From<EmailProviderRecord> for EmailProviderResponse {
    fn from(r: EmailProviderRecord) -> Self {
        // From what is stored in clear (region, masked forms): no decrypt.
        let masked = |field: &str| r.credentials_masked[field].as_str().map(str::to_string);
        let (smtp_host, smtp_port, smtp_username) = match r.provider_type {
            ProviderType::Ses => (
                Some(
                    SES_SMTP_REGIONS
                        .contains(&r.region.as_str())
                        .then(|| format!("email-smtp.{}.amazonaws.com", r.region)),
                ),
                Some(SUBMISSION_PORT),
                masked("access_key_id"),
            ),
            ProviderType::Scaleway => (
                Some(Some(SCALEWAY_SMTP_HOST.to_string())),
                Some(SUBMISSION_PORT),
                masked("project_id").map(|p| mask_identifier(&p)),
            ),
            ProviderType::Smtp => (None, None, None),
        };
        EmailProviderResponse {
            smtp_host,
            smtp_port,
            smtp_username,
            id: r.id,
            name: r.name,
            provider_type: r.provider_type,
            region: r.region,
            is_active: r.is_active,
            credentials: r.credentials_masked,
            created_at: r.created_at,
            updated_at: r.updated_at,
            last_test: r.last_test,
        }
    }
}

#[utoipa::path(
    post,
    path = Function::EmailProvidersCreate.path(),
    operation_id = Function::EmailProvidersCreate.name(),
    tag = "email-providers",
    request_body = CreateEmailProviderRequest,
    responses((status = 201, description = "Created", body = EmailProviderResponse)),
)]
pub async fn create(
    State(app): State<AppState>,
    auth: Authorized<WriteEmailProviders>,
    JsonBody(request): JsonBody<CreateEmailProviderRequest>,
) -> Result<(StatusCode, Json<EmailProviderResponse>), ApiError> {
    let record = app.email_providers.create(&auth.actor(), &request.into()).await?;
    Ok((StatusCode::CREATED, Json(record.into())))
}

#[utoipa::path(
    get,
    path = Function::EmailProvidersList.path(),
    operation_id = Function::EmailProvidersList.name(),
    tag = "email-providers",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of the account's providers by id; when there are more, a `Link` header names the next page (`rel=\"next\"`)", body = Vec<EmailProviderResponse>,
         headers(("Link" = String, description = "`</api/email-providers?limit=N&cursor=ID>; rel=\"next\"`"))),
        (status = 400, description = "Invalid limit or cursor", body = ErrorBody),
    ),
)]
pub async fn list(
    State(app): State<AppState>,
    auth: Authorized<ReadEmailProviders>,
    query: PageQuery,
) -> Result<(HeaderMap, Json<Vec<EmailProviderResponse>>), ApiError> {
    let (limit, after) = (query.limit()?, page_cursor(query.cursor.as_deref(), EmailProviderId::parse)?);
    let page = app.email_providers.list(auth.account_id(), limit, after).await?;
    // The answer stays the array it always was; the next page is a link.
    let mut headers = HeaderMap::new();
    if let Some(next) = page.next_cursor {
        let link = format!("<{}?limit={limit}&cursor={next}>; rel=\"next\"", Function::EmailProvidersList.path());
        headers.insert(LINK, HeaderValue::from_str(&link).expect("a path and digits"));
    }
    Ok((headers, Json(page.items.into_iter().map(Into::into).collect())))
}

#[utoipa::path(
    get,
    path = Function::EmailProvidersGet.path(),
    operation_id = Function::EmailProvidersGet.name(),
    tag = "email-providers",
    params(("id" = u64, Path, minimum = 1, description = "The provider's id")),
    responses((status = 200, description = "The provider", body = EmailProviderResponse), (status = 404, description = "No such provider in this account", body = ErrorBody)),
)]
pub async fn get(
    State(app): State<AppState>,
    auth: Authorized<ReadEmailProviders>,
    IdPath(id): IdPath<EmailProviderId>,
) -> Result<Json<EmailProviderResponse>, ApiError> {
    let record = app.email_providers.get(auth.account_id(), id).await?;
    Ok(Json(record.into()))
}

#[utoipa::path(
    patch,
    path = Function::EmailProvidersUpdate.path(),
    operation_id = Function::EmailProvidersUpdate.name(),
    tag = "email-providers",
    params(("id" = u64, Path, minimum = 1, description = "The provider's id")),
    request_body = UpdateEmailProviderRequest,
    responses(
        (status = 200, description = "Updated", body = EmailProviderResponse),
        (status = 404, description = "No such provider in this account", body = ErrorBody),
        (status = 409, description = "Changed concurrently too often; retry", body = ErrorBody),
    ),
)]
pub async fn update(
    State(app): State<AppState>,
    auth: Authorized<WriteEmailProviders>,
    IdPath(id): IdPath<EmailProviderId>,
    JsonBody(request): JsonBody<UpdateEmailProviderRequest>,
) -> Result<Json<EmailProviderResponse>, ApiError> {
    let record = app.email_providers.update(&auth.actor(), id, &request.into()).await?;
    Ok(Json(record.into()))
}

#[utoipa::path(
    delete,
    path = Function::EmailProvidersDelete.path(),
    operation_id = Function::EmailProvidersDelete.name(),
    tag = "email-providers",
    params(("id" = u64, Path, minimum = 1, description = "The provider's id")),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such provider in this account", body = ErrorBody)),
)]
pub async fn delete(
    State(app): State<AppState>,
    auth: Authorized<WriteEmailProviders>,
    IdPath(id): IdPath<EmailProviderId>,
) -> Result<StatusCode, ApiError> {
    app.email_providers.delete(&auth.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/email-providers/{id}/test`, body optional: `{"to": "address"}`.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"to": "postmaster@example.com"}))]
pub struct TestRequest {
    /// Also send a test message to this address (SES, Scaleway, SMTP).
    #[schema(format = Email)]
    pub to: Option<String>,
}

#[utoipa::path(
    post,
    path = Function::EmailProvidersTest.path(),
    operation_id = Function::EmailProvidersTest.name(),
    tag = "email-providers",
    params(("id" = u64, Path, minimum = 1, description = "The provider's id")),
    request_body = Option<TestRequest>,
    responses((status = 200, description = "The outcome, also stored as `last_test`", body = TestOutcome), (status = 404, description = "No such provider in this account", body = ErrorBody)),
)]
pub async fn test(
    State(app): State<AppState>,
    auth: Authorized<WriteEmailProviders>,
    IdPath(id): IdPath<EmailProviderId>,
    OptionalJsonBody(request): OptionalJsonBody<TestRequest>,
) -> Result<Json<TestOutcome>, ApiError> {
    let to = match request.and_then(|r| r.to) {
        Some(to) => {
            Some(to.parse::<lettre::Address>().map_err(|_| ApiError::bad_field("to", "to must be an email address"))?)
        }
        None => None,
    };
    Ok(Json(app.email_providers.test(&auth.actor(), id, to).await?))
}
