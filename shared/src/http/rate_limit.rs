//! Rate-limited routes: the extractor that counts a request (after the key
//! and permission checks, before the body). The `observe` layer turns its
//! status into `X-RateLimit-*` headers on every response, errors included.

use std::future::Future;
use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::error::ApiError;
use super::extract::{Authorized, Requirement};
use super::observe::RequestFacts;
use crate::app::AppState;
use crate::service::rate_limit::{LimitClass, RateLimitStatus};

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
        admit(state.rate_limiter.hit(auth.account_id(), L::CLASS).await, parts.extensions.get::<RequestFacts>())?;
        Ok(Limited { auth, _limit: PhantomData })
    }
}

/// Counts the request: its status goes to the headers, and over the limit
/// it is refused.
fn admit<E: Into<ApiError>>(hit: Result<RateLimitStatus, E>, facts: Option<&RequestFacts>) -> Result<(), ApiError> {
    let status = hit.map_err(Into::into)?;
    if let Some(facts) = facts {
        facts.record_rate_limit(status);
    }
    match status.retry_after {
        Some(seconds) => {
            Err(ApiError::rate_limited(format!("Rate limit exceeded; retry in {seconds} seconds"), seconds))
        }
        None => Ok(()),
    }
}

/// An authorized caller of a rate-limited route whose first step is a
/// read: the request is counted while that read runs (one round trip for
/// both), and the read's result, like the caller, is given only within the
/// limit. The caller is reached only through [`LimitedBeside::beside`], so
/// nothing escapes the count.
pub struct LimitedBeside<R: Requirement, L: Limit> {
    auth: Authorized<R>,
    state: AppState,
    facts: Option<RequestFacts>,
    _limit: PhantomData<L>,
}

impl<R: Requirement, L: Limit> LimitedBeside<R, L> {
    pub async fn beside<T, E: Into<ApiError>, F: Future<Output = Result<T, E>>>(
        self,
        read: impl FnOnce(Authorized<R>) -> F,
    ) -> Result<(Authorized<R>, T), ApiError> {
        let hit = self.state.rate_limiter.hit(self.auth.account_id(), L::CLASS);
        let (hit, found) = tokio::join!(hit, read(self.auth.clone()));
        admit(hit, self.facts.as_ref())?;
        Ok((self.auth, found.map_err(Into::into)?))
    }
}

impl<R: Requirement, L: Limit> FromRequestParts<AppState> for LimitedBeside<R, L> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let auth = Authorized::<R>::from_request_parts(parts, state).await?;
        let facts = parts.extensions.get::<RequestFacts>().cloned();
        Ok(LimitedBeside { auth, state: state.clone(), facts, _limit: PhantomData })
    }
}
