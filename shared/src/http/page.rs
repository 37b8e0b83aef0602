//! The query of every paged list: `?limit=&cursor=` (see
//! [`crate::service::page`]).

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use serde::Deserialize;

use super::error::ApiError;
use crate::service::page::{page_limit, MAX_PAGE};

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1 to 100, default 50.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// `next_cursor` (`nextCursor`) of the previous page.
    pub cursor: Option<String>,
}

/// The query, or a 400 in the error body for one that is not a query string.
impl<S: Send + Sync> FromRequestParts<S> for PageQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Query(query) = Query::<PageQuery>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::bad_request("Invalid query string"))?;
        Ok(query)
    }
}

impl PageQuery {
    pub fn limit(&self) -> Result<usize, ApiError> {
        let raw =
            match self.limit.as_deref() {
                None => None,
                Some(raw) => Some(raw.parse().map_err(|_| {
                    ApiError::bad_field("limit", format!("limit must be an integer from 1 to {MAX_PAGE}"))
                })?),
            };
        Ok(page_limit(raw)?)
    }
}
