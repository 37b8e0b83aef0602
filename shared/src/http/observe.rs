//! The layer every app runs: it gives each request its id, and once the
//! response is ready adds the rate-limit headers and writes one JSON access
//! log line (request id, route, status, latency, account). Nothing of the
//! request body or headers is logged.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::Request;
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use lambda_http::request::RequestContext;

use crate::service::rate_limit::RateLimitStatus;

/// The request's id: API Gateway's inside Lambda, a fresh ULID elsewhere.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// What the handling of a request learns that the layer reports.
#[derive(Clone, Default)]
pub struct RequestFacts(Arc<Mutex<Facts>>);

#[derive(Clone, Default)]
struct Facts {
    account_id: Option<String>,
    rate_limit: Option<RateLimitStatus>,
}

impl RequestFacts {
    fn update(&self, change: impl FnOnce(&mut Facts)) {
        change(&mut self.0.lock().expect("not poisoned"));
    }

    /// The caller's account, for the access log.
    pub fn record_account(&self, account_id: &str) {
        self.update(|f| f.account_id = Some(account_id.to_string()));
    }

    /// The request's rate-limit status, for the `X-RateLimit-*` headers.
    pub fn record_rate_limit(&self, status: RateLimitStatus) {
        self.update(|f| f.rate_limit = Some(status));
    }
}

/// The id given to this request by [`observe`].
pub fn request_id(parts: &Parts) -> String {
    parts.extensions.get::<RequestId>().map(|id| id.0.clone()).unwrap_or_else(|| ulid::Ulid::new().to_string())
}

fn set(response: &mut Response, name: &'static str, value: impl ToString) {
    if let Ok(value) = HeaderValue::from_str(&value.to_string()) {
        response.headers_mut().insert(HeaderName::from_static(name), value);
    }
}

pub async fn observe(mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let (request_id, route) = match request.extensions().get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV2(ctx)) => (ctx.request_id.clone(), ctx.route_key.clone()),
        _ => (None, None),
    };
    let request_id = request_id.unwrap_or_else(|| ulid::Ulid::new().to_string());
    let route = route.unwrap_or_else(|| format!("{} {}", request.method(), request.uri().path()));
    let facts = RequestFacts::default();
    request.extensions_mut().insert(RequestId(request_id.clone()));
    request.extensions_mut().insert(facts.clone());

    let mut response = crate::bookkeeping::scope(next.run(request)).await;

    let facts = facts.0.lock().expect("not poisoned").clone();
    if let Some(status) = facts.rate_limit {
        set(&mut response, "x-ratelimit-limit", status.limit);
        set(&mut response, "x-ratelimit-remaining", status.remaining);
        set(&mut response, "x-ratelimit-reset", status.reset_epoch);
    }
    set(&mut response, "x-request-id", &request_id);
    // Answers of a credential service are never kept by a cache on the way
    // (the console's files say otherwise for themselves).
    if !response.headers().contains_key(axum::http::header::CACHE_CONTROL) {
        set(&mut response, "cache-control", "no-store");
    }
    // No browser reads an answer (an error body included) as anything but
    // the type it is sent as.
    set(&mut response, "x-content-type-options", "nosniff");
    tracing::info!(
        target: "mailkeys::access",
        request_id = %request_id,
        route = %route,
        status = response.status().as_u16(),
        latency_ms = started.elapsed().as_millis() as u64,
        account_id = facts.account_id.as_deref().unwrap_or("-"),
        "request"
    );
    response
}
