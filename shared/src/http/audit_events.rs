//! `GET /api/audit-events?resource_id=&limit=&cursor=` (admin).

use axum::extract::{Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ErrorBody};
use super::extract::{Admin, Authorized};
use super::page::PageQuery;
use super::routes::Function;
use crate::app::AppState;
use crate::service::page::page_cursor;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::audit::{AuditEvent, AuditEventType};
use crate::store::audit::{AuditCursor, AuditFilter};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditEventsQuery {
    /// Only the events of this resource.
    pub resource_id: Option<String>,
    /// Only events of this type, such as `EMAIL_PROVIDER_UPDATED`.
    pub event_type: Option<String>,
    /// Only events at or after this time (RFC 3339).
    pub since: Option<String>,
    /// Only events at or before this time (RFC 3339).
    pub until: Option<String>,
    /// 1 to 100, default 50.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page of the same listing.
    pub cursor: Option<String>,
    /// Whatever else was sent: refused by name.
    #[serde(flatten)]
    #[param(ignore)]
    unknown: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditEventsResponse {
    pub events: Vec<AuditEvent>,
    pub next_cursor: Option<String>,
}

/// An RFC 3339 time of a query, such as `2026-11-24T10:00:00Z`.
fn parse_time(name: &str, raw: Option<&str>) -> Result<Option<OffsetDateTime>, ApiError> {
    raw.filter(|t| !t.is_empty())
        .map(|t| {
            OffsetDateTime::parse(t, &Rfc3339).map_err(|_| {
                ApiError::bad_field(name, format!("{name} must be an RFC 3339 time, such as 2026-11-24T10:00:00Z"))
            })
        })
        .transpose()
}

#[utoipa::path(
    get,
    path = Function::AuditEventsList.path(),
    operation_id = Function::AuditEventsList.name(),
    tag = "audit",
    params(AuditEventsQuery),
    responses(
        (status = 200, description = "The account's audit events, newest first: by time, or for one resource by its versions (the order its changes were committed)", body = AuditEventsResponse),
        (status = 400, description = "Invalid limit, cursor, event_type or time, or an unknown parameter", body = ErrorBody),
    ),
)]
pub async fn list(
    State(app): State<AppState>,
    auth: Authorized<Admin>,
    query: Result<Query<AuditEventsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<AuditEventsResponse>, ApiError> {
    let Query(query) = query.map_err(|_| ApiError::bad_request("Invalid query string"))?;
    if !query.unknown.is_empty() {
        return Err(ApiError::bad_request(
            "Unknown query parameter; allowed: resource_id, event_type, since, until, limit, cursor",
        ));
    }
    // Paged as every list is; the cursor is the audit listing's own.
    let page = PageQuery { limit: query.limit, cursor: query.cursor };
    let limit = page.limit()?;
    let resource_id = query.resource_id.as_deref().filter(|r| !r.is_empty());
    // The previous page's `next_cursor` of the same listing (by resource it
    // names the version too).
    let cursor = page_cursor(page.cursor.as_deref(), AuditCursor::parse)?;
    if cursor.as_ref().is_some_and(|c| c.version.is_some() != resource_id.is_some()) {
        return Err(ApiError::bad_field("cursor", "Invalid cursor"));
    }
    if resource_id.is_some_and(|id| !crate::domain::ids::is_resource_id(id)) {
        return Err(ApiError::bad_field("resource_id", "resource_id is not the id of a resource of this service"));
    }
    let event_type = query.event_type.as_deref().filter(|t| !t.is_empty());
    if event_type.is_some_and(|t| AuditEventType::parse(t).is_none()) {
        let known: Vec<&str> = AuditEventType::ALL.iter().map(|t| t.as_str()).collect();
        return Err(ApiError::bad_field("event_type", format!("event_type must be one of: {}", known.join(", "))));
    }
    let (since, until) = (parse_time("since", query.since.as_deref())?, parse_time("until", query.until.as_deref())?);
    if let (Some(since), Some(until)) = (since, until) {
        if since > until {
            return Err(ApiError::bad_field("since", "since must not be later than until"));
        }
    }
    let filter = AuditFilter { resource_id, event_type, since, until };
    let page = app.audit.list(auth.account_id(), &filter, limit, cursor.as_ref()).await?;
    Ok(Json(AuditEventsResponse { events: page.items, next_cursor: page.next_cursor }))
}
