//! Every route, once: its function (binary) name, method, path and handler.
//! A Lambda binary serves one of them; the local server serves them all.

use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::IntoResponse;
use axum::routing::{delete, get, patch, post, MethodRouter};
use axum::{middleware, Json, Router};

use super::error::ApiError;
use super::observe::observe;
use super::{
    api_keys, audit_events, email_providers, exposure, provider_credentials, resolve, smtp_credentials, verify_key,
    webhooks, whoami,
};
use crate::app::AppState;
use crate::aws::REQUEST_DEADLINE;
use crate::config::Settings;

/// Bodies larger than this are refused with 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// URIs longer than this are refused with 414, and headers larger than this
/// in all with 431 (API Gateway's own limits are of this size).
pub const MAX_URI_BYTES: usize = 8 * 1024;
pub const MAX_HEADER_BYTES: usize = 10 * 1024;

macro_rules! functions {
    ($($variant:ident => $name:literal, $method:ident, $path:literal, $router:ident($handler:path);)*) => {
        /// One Lambda function per route.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Function { $($variant,)* }

        impl Function {
            pub const ALL: &'static [Function] = &[$(Function::$variant,)*];

            /// The binary's name, as in `functions/src/bin/` and the SAM template.
            pub fn name(self) -> &'static str {
                match self { $(Function::$variant => $name,)* }
            }

            pub fn method(self) -> Method {
                match self { $(Function::$variant => Method::$method,)* }
            }

            /// The path in axum's syntax, which is also API Gateway's.
            pub fn path(self) -> &'static str {
                match self { $(Function::$variant => $path,)* }
            }

            fn handler(self) -> MethodRouter<AppState> {
                match self { $(Function::$variant => <route::$variant as Route>::handler(),)* }
            }
        }

        /// One type per function, so that a Lambda binary names its route
        /// at compile time and links only that route's handler.
        pub mod route {
            $(pub struct $variant;)*
        }

        $(impl Route for route::$variant {
            const FUNCTION: Function = Function::$variant;
            fn handler() -> MethodRouter<AppState> {
                $router($handler)
            }
        })*
    };
}

/// A route known at compile time.
pub trait Route {
    const FUNCTION: Function;
    fn handler() -> MethodRouter<AppState>;
}

/// The one-route app of `R`.
pub fn route_app<R: Route>(state: AppState) -> Router {
    let handler = bounded(R::FUNCTION, R::handler(), &state);
    finish(Router::new().route(R::FUNCTION.path(), handler), state)
}

/// `handler` ending within its function's deadline: a request whose
/// dependencies keep stalling answers 503 in time, never the function's
/// own timeout (API Gateway's bare 503).
fn bounded(function: Function, handler: MethodRouter<AppState>, state: &AppState) -> MethodRouter<AppState> {
    let deadline = function.deadline(&state.settings);
    // The route's own body limit (a GitHub report may be larger than the
    // rest), inside the router's.
    let handler = handler.layer(DefaultBodyLimit::max(function.max_body_bytes()));
    handler.layer(middleware::from_fn(move |mut request: Request, next: Next| async move {
        // The route a key is used for, as its last use records it.
        request.extensions_mut().insert(function);
        match tokio::time::timeout(deadline, next.run(request)).await {
            Ok(response) => response,
            Err(_) => {
                tracing::warn!(deadline_ms = deadline.as_millis() as u64, "request deadline passed");
                ApiError::unavailable().into_response()
            }
        }
    }))
}

functions! {
    EmailProvidersCreate => "email-providers-create", POST, "/api/email-providers", post(email_providers::create);
    EmailProvidersList => "email-providers-list", GET, "/api/email-providers", get(email_providers::list);
    EmailProvidersGet => "email-providers-get", GET, "/api/email-providers/{id}", get(email_providers::get);
    EmailProvidersUpdate => "email-providers-update", PATCH, "/api/email-providers/{id}", patch(email_providers::update);
    EmailProvidersDelete => "email-providers-delete", DELETE, "/api/email-providers/{id}", delete(email_providers::delete);
    EmailProvidersTest => "email-providers-test", POST, "/api/email-providers/{id}/test", post(email_providers::test);
    WhoAmI => "whoami", GET, "/api/whoami", get(whoami::whoami);
    AuditEventsList => "audit-events-list", GET, "/api/audit-events", get(audit_events::list);
    ApiKeysList => "api-keys-list", GET, "/api/email/api-keys", get(api_keys::list);
    ApiKeysCreate => "api-keys-create", POST, "/api/email/api-keys", post(api_keys::create);
    ApiKeysRevoke => "api-keys-revoke", DELETE, "/api/email/api-keys/{id}", delete(api_keys::revoke);
    ApiKeysUpdate => "api-keys-update", PATCH, "/api/email/api-keys/{id}", patch(api_keys::update);
    ApiKeysRotate => "api-keys-rotate", POST, "/api/email/api-keys/{id}/rotate", post(api_keys::rotate);
    SmtpCredentialsGet => "smtp-credentials-get", GET, "/api/smtp-credentials", get(smtp_credentials::get);
    SmtpCredentialsCreate => "smtp-credentials-create", POST, "/api/smtp-credentials", post(smtp_credentials::create);
    SmtpCredentialsRevoke => "smtp-credentials-revoke", DELETE, "/api/smtp-credentials/{keyId}", delete(smtp_credentials::revoke);
    SmtpCredentialsUpdate => "smtp-credentials-update", PATCH, "/api/smtp-credentials/{keyId}", patch(smtp_credentials::update);
    SmtpCredentialsRotate => "smtp-credentials-rotate", POST, "/api/smtp-credentials/{keyId}/rotate", post(smtp_credentials::rotate);
    SmtpCredentialsMobile => "smtp-credentials-mobile", POST, "/api/smtp-credentials/mobile", post(smtp_credentials::create_mobile);
    VerifyKey => "verify-key", POST, "/api/internal/verify-key", post(verify_key::verify);
    CredentialsResolve => "credentials-resolve", POST, "/api/internal/credentials/resolve", post(resolve::resolve);
    ProviderCredentialsCreate => "provider-credentials-create", POST, "/api/accounts/{account_id}/provider-credentials", post(provider_credentials::create);
    ProviderCredentialsList => "provider-credentials-list", GET, "/api/accounts/{account_id}/provider-credentials", get(provider_credentials::list);
    ProviderCredentialsSearch => "provider-credentials-search", POST, "/api/accounts/{account_id}/provider-credentials/search", post(provider_credentials::search);
    ProviderCredentialsGet => "provider-credentials-get", GET, "/api/provider-credentials/{id}", get(provider_credentials::get);
    ProviderCredentialsUpdate => "provider-credentials-update", PATCH, "/api/provider-credentials/{id}", patch(provider_credentials::update);
    ProviderCredentialsDelete => "provider-credentials-delete", DELETE, "/api/provider-credentials/{id}", delete(provider_credentials::delete);
    ProviderCredentialsRotate => "provider-credentials-rotate", POST, "/api/provider-credentials/{id}/rotate", post(provider_credentials::rotate);
    ProviderCredentialsTest => "provider-credentials-test", POST, "/api/provider-credentials/{id}/test", post(provider_credentials::test);
    SecretScanningGithub => "secret-scanning-github", POST, "/api/public/secret-scanning/github", post(exposure::github_report);
    KeysRevokePublic => "keys-revoke-public", POST, "/api/public/keys/revoke", post(exposure::revoke_public);
    WebhooksCreate => "webhooks-create", POST, "/api/webhooks", post(webhooks::create);
    WebhooksList => "webhooks-list", GET, "/api/webhooks", get(webhooks::list);
    WebhooksGet => "webhooks-get", GET, "/api/webhooks/{id}", get(webhooks::get);
    WebhooksUpdate => "webhooks-update", PATCH, "/api/webhooks/{id}", patch(webhooks::update);
    WebhooksDelete => "webhooks-delete", DELETE, "/api/webhooks/{id}", delete(webhooks::delete);
    WebhooksRotateSecret => "webhooks-rotate-secret", POST, "/api/webhooks/{id}/rotate-secret", post(webhooks::rotate_secret);
    WebhooksTest => "webhooks-test", POST, "/api/webhooks/{id}/test", post(webhooks::test);
    WebhooksDeliveries => "webhooks-deliveries", GET, "/api/webhooks/{id}/deliveries", get(webhooks::deliveries);
}

impl Function {
    /// The one-route app a Lambda binary runs.
    pub fn router(self, state: AppState) -> Router {
        let handler = bounded(self, self.handler(), &state);
        finish(Router::new().route(self.path(), handler), state)
    }

    /// Whether the route runs a connectivity test (and so talks to a mail
    /// server or provider API, bounded by its own test timeout).
    pub fn tests_connectivity(self) -> bool {
        matches!(self, Function::EmailProvidersTest | Function::ProviderCredentialsTest)
    }

    /// Whether the route sends to a webhook receiver (bounded by the
    /// delivery timeout).
    pub fn sends_webhooks(self) -> bool {
        self == Function::WebhooksTest
    }

    /// How large a body this route reads.
    pub fn max_body_bytes(self) -> usize {
        match self {
            Function::SecretScanningGithub => exposure::MAX_REPORT_BYTES,
            _ => MAX_BODY_BYTES,
        }
    }

    /// How long a request of this route may take in all.
    pub fn deadline(self, settings: &Settings) -> Duration {
        if self.tests_connectivity() {
            REQUEST_DEADLINE + settings.connectivity.timeout
        } else if self.sends_webhooks() {
            REQUEST_DEADLINE + crate::connectivity::webhook::DELIVERY_TIMEOUT
        } else {
            REQUEST_DEADLINE
        }
    }
}

/// Every route on one router, plus `GET /health`, `GET /openapi.json` and
/// the console: the local server.
pub fn api_router(state: AppState) -> Router {
    let routes = Function::ALL
        .iter()
        .fold(Router::new(), |router, f| router.route(f.path(), bounded(*f, f.handler(), &state)))
        .route("/health", get(health))
        .route("/openapi.json", get(openapi_json));
    finish(routes, state).merge(crate::console::router())
}

/// 200 `{"status": "ok"}`, or 503 `{"status": "unavailable", "failing":
/// [...]}` naming the AWS dependencies this server cannot reach.
async fn health(axum::extract::State(app): axum::extract::State<AppState>) -> axum::response::Response {
    let failing = app.health.failing().await;
    if failing.is_empty() {
        Json(serde_json::json!({"status": "ok"})).into_response()
    } else {
        let body = Json(serde_json::json!({"status": "unavailable", "failing": failing}));
        (axum::http::StatusCode::SERVICE_UNAVAILABLE, body).into_response()
    }
}

async fn openapi_json() -> impl axum::response::IntoResponse {
    static DOCUMENT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let body = DOCUMENT.get_or_init(super::openapi::document_json).clone();
    ([(axum::http::header::CONTENT_TYPE, "application/json")], body)
}

/// Refuses, in the error body, a URI or header block larger than the
/// limits above.
async fn limit_head(request: Request, next: Next) -> axum::response::Response {
    if request.uri().to_string().len() > MAX_URI_BYTES {
        return ApiError::uri_too_long(MAX_URI_BYTES).into_response();
    }
    let header_bytes: usize = request.headers().iter().map(|(name, value)| name.as_str().len() + value.len()).sum();
    if header_bytes > MAX_HEADER_BYTES {
        return ApiError::headers_too_large(MAX_HEADER_BYTES).into_response();
    }
    next.run(request).await
}

/// What every app shares: the head and body limits, request ids,
/// rate-limit headers, the access log, and JSON answers for unknown paths
/// and methods.
fn finish(router: Router<AppState>, state: AppState) -> Router {
    router
        .fallback(|| async { ApiError::not_found("No route for this path") })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .layer(middleware::from_fn(limit_head))
        .layer(middleware::from_fn(observe))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}
