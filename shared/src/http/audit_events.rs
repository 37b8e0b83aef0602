//! `GET /api/audit-events?resource_id=&limit=&cursor=` (admin).

use axum::extract::{Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ErrorBody};
use super::extract::{Admin, Authorized};
use super::routes::Function;
use crate::app::AppState;
use crate::audit::AuditEvent;

const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 100;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditEventsQuery {
    /// Only the events of this resource.
    pub resource_id: Option<String>,
    /// 1 to 100, default 50.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditEventsResponse {
    pub events: Vec<AuditEvent>,
    pub next_cursor: Option<String>,
}

fn parse_limit(raw: Option<&str>) -> Result<usize, ApiError> {
    match raw {
        None => Ok(DEFAULT_LIMIT),
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=MAX_LIMIT).contains(l))
            .ok_or_else(|| ApiError::bad_request(format!("limit must be an integer from 1 to {MAX_LIMIT}"))),
    }
}

/// A cursor is the id (a ULID) of the last event of the previous page.
fn parse_cursor(raw: Option<&str>) -> Result<Option<String>, ApiError> {
    raw.filter(|c| !c.is_empty())
        .map(|c| ulid::Ulid::from_string(c).map(|u| u.to_string()).map_err(|_| ApiError::bad_request("Invalid cursor")))
        .transpose()
}

#[utoipa::path(
    get,
    path = Function::AuditEventsList.path(),
    operation_id = Function::AuditEventsList.name(),
    tag = "audit",
    params(AuditEventsQuery),
    responses(
        (status = 200, description = "The account's audit events, newest first", body = AuditEventsResponse),
        (status = 400, description = "Invalid limit or cursor", body = ErrorBody),
    ),
)]
pub async fn list(
    State(app): State<AppState>,
    auth: Authorized<Admin>,
    query: Result<Query<AuditEventsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<AuditEventsResponse>, ApiError> {
    let Query(query) = query.map_err(|_| ApiError::bad_request("Invalid query string"))?;
    let limit = parse_limit(query.limit.as_deref())?;
    let cursor = parse_cursor(query.cursor.as_deref())?;
    let resource_id = query.resource_id.as_deref().filter(|r| !r.is_empty());
    if resource_id.is_some_and(|id| !crate::domain::ids::is_resource_id(id)) {
        return Err(ApiError::bad_request("resource_id is not the id of a resource of this service"));
    }
    let page = app.audit.list(auth.account_id(), resource_id, limit, cursor.as_deref()).await?;
    Ok(Json(AuditEventsResponse { events: page.events, next_cursor: page.next_cursor }))
}
