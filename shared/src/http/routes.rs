//! Every route, once: its function (binary) name, method, path and handler.
//! A Lambda binary serves one of them; the local server serves them all.

use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::routing::{delete, get, patch, post, MethodRouter};
use axum::{Json, Router};

use super::error::ApiError;
use super::{audit_events, email_providers};
use crate::app::AppState;

/// Bodies larger than this are refused with 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Function {
    EmailProvidersCreate,
    EmailProvidersList,
    EmailProvidersGet,
    EmailProvidersUpdate,
    EmailProvidersDelete,
    AuditEventsList,
}

impl Function {
    pub const ALL: [Function; 6] = [
        Function::EmailProvidersCreate,
        Function::EmailProvidersList,
        Function::EmailProvidersGet,
        Function::EmailProvidersUpdate,
        Function::EmailProvidersDelete,
        Function::AuditEventsList,
    ];

    /// The binary's name, as in `functions/src/bin/` and the SAM template.
    pub fn name(self) -> &'static str {
        match self {
            Function::EmailProvidersCreate => "email-providers-create",
            Function::EmailProvidersList => "email-providers-list",
            Function::EmailProvidersGet => "email-providers-get",
            Function::EmailProvidersUpdate => "email-providers-update",
            Function::EmailProvidersDelete => "email-providers-delete",
            Function::AuditEventsList => "audit-events-list",
        }
    }

    pub fn method(self) -> Method {
        match self {
            Function::EmailProvidersCreate => Method::POST,
            Function::EmailProvidersList | Function::EmailProvidersGet | Function::AuditEventsList => Method::GET,
            Function::EmailProvidersUpdate => Method::PATCH,
            Function::EmailProvidersDelete => Method::DELETE,
        }
    }

    /// The path in axum's syntax, which is also API Gateway's.
    pub fn path(self) -> &'static str {
        match self {
            Function::EmailProvidersCreate | Function::EmailProvidersList => "/api/email-providers",
            Function::EmailProvidersGet | Function::EmailProvidersUpdate | Function::EmailProvidersDelete => {
                "/api/email-providers/{id}"
            }
            Function::AuditEventsList => "/api/audit-events",
        }
    }

    fn handler(self) -> MethodRouter<AppState> {
        match self {
            Function::EmailProvidersCreate => post(email_providers::create),
            Function::EmailProvidersList => get(email_providers::list),
            Function::EmailProvidersGet => get(email_providers::get),
            Function::EmailProvidersUpdate => patch(email_providers::update),
            Function::EmailProvidersDelete => delete(email_providers::delete),
            Function::AuditEventsList => get(audit_events::list),
        }
    }

    pub fn from_name(name: &str) -> Option<Function> {
        Function::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The one-route app a Lambda binary runs.
    pub fn router(self, state: AppState) -> Router {
        finish(Router::new().route(self.path(), self.handler()), state)
    }
}

/// Every route on one router, plus `GET /health`: the local server.
pub fn api_router(state: AppState) -> Router {
    let routes = Function::ALL
        .into_iter()
        .fold(Router::new(), |router, f| router.route(f.path(), f.handler()))
        .route("/health", get(|| async { Json(serde_json::json!({"status": "ok"})) }));
    finish(routes, state)
}

/// What every app shares: the body limit and JSON answers for unknown paths
/// and methods.
fn finish(router: Router<AppState>, state: AppState) -> Router {
    router
        .fallback(|| async { ApiError::not_found("No route for this path") })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}
