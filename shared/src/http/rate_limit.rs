//! Rate-limited routes: the extractor that counts a request (after the key
//! and permission checks, before the body), and the layer that puts
//! `X-RateLimit-*` headers on every response of such a route, errors included.

use std::marker::PhantomData;
use std::sync::{Arc, Mutex};

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use super::error::ApiError;
use super::extract::{Authorized, Requirement};
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

/// Where the extractor leaves the status for the layer to turn into headers.
#[derive(Clone, Default)]
struct StatusSlot(Arc<Mutex<Option<RateLimitStatus>>>);

/// An authorized caller within `L`'s limit.
pub struct Limited<R: Requirement, L: Limit> {
    pub auth: Authorized<R>,
    _limit: PhantomData<L>,
}

impl<R: Requirement, L: Limit> FromRequestParts<AppState> for Limited<R, L> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let auth = Authorized::<R>::from_request_parts(parts, state).await?;
        let status = state.rate_limiter.hit(auth.account_id(), L::CLASS).await.map_err(|err| {
            tracing::error!(error = %err, "rate limit counter failed");
            ApiError::internal()
        })?;
        if let Some(slot) = parts.extensions.get::<StatusSlot>() {
            *slot.0.lock().expect("not poisoned") = Some(status);
        }
        if let Some(seconds) = status.retry_after {
            return Err(ApiError::rate_limited(format!("Rate limit exceeded; retry in {seconds} seconds"), seconds));
        }
        Ok(Limited { auth, _limit: PhantomData })
    }
}

fn set(response: &mut Response, name: &'static str, value: impl ToString) {
    if let Ok(value) = HeaderValue::from_str(&value.to_string()) {
        response.headers_mut().insert(HeaderName::from_static(name), value);
    }
}

/// The layer every app runs: adds the headers when the route counted the
/// request.
pub async fn rate_limit_headers(mut request: Request, next: Next) -> Response {
    let slot = StatusSlot::default();
    request.extensions_mut().insert(slot.clone());
    let mut response = next.run(request).await;
    let status = *slot.0.lock().expect("not poisoned");
    if let Some(status) = status {
        set(&mut response, "x-ratelimit-limit", status.limit);
        set(&mut response, "x-ratelimit-remaining", status.remaining);
        set(&mut response, "x-ratelimit-reset", status.reset_epoch);
    }
    response
}
