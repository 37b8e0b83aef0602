//! Rate-limited routes: the extractor that counts a request (after the key
//! and permission checks, before the body). The `observe` layer turns its
//! status into `X-RateLimit-*` headers on every response, errors included.

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::error::ApiError;
use super::extract::{Authorized, Requirement};
use super::observe::RequestFacts;
use crate::app::AppState;
use crate::service::rate_limit::LimitClass;

pub trait Limit: Send + Sync + 'static {
    const CLASS: LimitClass;
}

pub struct CreateLimit;
impl Limit for CreateLimit {
    const CLASS: LimitClass = LimitClass::Create;
}

pub struct ManageLimit;
impl Limit for ManageLimit {
    const CLASS: LimitClass = LimitClass::Manage;
}

/// An authorized caller within `L`'s limit.
pub struct Limited<R: Requirement, L: Limit> {
    pub auth: Authorized<R>,
    _limit: PhantomData<L>,
}

impl<R: Requirement, L: Limit> FromRequestParts<AppState> for Limited<R, L> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let auth = Authorized::<R>::from_request_parts(parts, state).await?;
        let status = state.rate_limiter.hit(auth.account_id(), L::CLASS).await?;
        RequestFacts::record_rate_limit(parts, status);
        if let Some(seconds) = status.retry_after {
            return Err(ApiError::rate_limited(format!("Rate limit exceeded; retry in {seconds} seconds"), seconds));
        }
        Ok(Limited { auth, _limit: PhantomData })
    }
}
