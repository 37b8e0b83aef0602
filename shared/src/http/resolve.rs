//! `POST /api/internal/credentials/resolve`: a trusted worker gets the
//! secret behind a credential id, and how to send mail with it.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::Value;

use super::email_providers::EmailProviderResponse;
use super::error::{ApiError, ErrorBody};
use super::extract::{JsonBody, PendingInternalCaller};
use super::provider_credentials::ProviderCredentialResponse;
use super::request::resolve::ResolveCredentialRequest;
use super::routes::Function;
use crate::app::AppState;
use crate::domain::email_provider::{ProviderCredentials, SmtpEncryption};
use crate::domain::ids::AccountId;
use crate::domain::provider_credential::{AuthKind, CredentialSecret, ProviderKind, SecurityMode};
use crate::domain::resolve::{HeldVersions, Resolve};
use crate::domain::secret::ExposeSecret;
use crate::domain::smtp_relay::{scaleway_relay, ses_relay, SmtpRelay};
use crate::service::resolve::{Resolved, ResolvedSecret};

/// The secret block as it was written.
enum Secret {
    EmailProvider(ProviderCredentials),
    ProviderCredential { auth_kind: AuthKind, secret: CredentialSecret },
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Secret::EmailProvider(ProviderCredentials::Ses(c)) => c.serialize(serializer),
            Secret::EmailProvider(ProviderCredentials::Scaleway(c)) => c.serialize(serializer),
            Secret::EmailProvider(ProviderCredentials::Smtp(c)) => c.serialize(serializer),
            Secret::ProviderCredential { auth_kind, secret } => {
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("username", secret.username.expose_secret())?;
                let field = match auth_kind {
                    AuthKind::Password => "password",
                    AuthKind::Oauth2 => "access_token",
                };
                map.serialize_entry(field, secret.secret.expose_secret())?;
                map.end()
            }
        }
    }
}

/// The 200 body: whose it is, its version, the resource's fields as its GET
/// shows them, the secret block, and the SMTP relay to send with it.
pub struct ResolvedCredential {
    account_id: AccountId,
    resource_type: &'static str,
    resource_id: String,
    version: u64,
    fields: serde_json::Map<String, Value>,
    credentials: Secret,
    smtp: Option<SmtpRelay>,
}

impl Serialize for ResolvedCredential {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("account_id", &self.account_id)?;
        map.serialize_entry("resource_type", self.resource_type)?;
        map.serialize_entry("resource_id", &self.resource_id)?;
        map.serialize_entry("version", &self.version)?;
        for (name, value) in
            self.fields.iter().filter(|(name, _)| !matches!(name.as_str(), "account_id" | "credentials"))
        {
            map.serialize_entry(name, value)?;
        }
        map.serialize_entry("credentials", &self.credentials)?;
        map.serialize_entry("smtp", &self.smtp)?;
        map.end()
    }
}

/// The GET form's fields (never secret) as a map.
fn fields_of(view: impl Serialize) -> serde_json::Map<String, Value> {
    match serde_json::to_value(view) {
        Ok(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    }
}

impl From<ResolvedSecret> for ResolvedCredential {
    fn from(found: ResolvedSecret) -> Self {
        match found {
            ResolvedSecret::EmailProvider { record, secret } => {
                let smtp = match &secret {
                    ProviderCredentials::Ses(c) => ses_relay(&record.region, &c.access_key_id, &c.secret_access_key),
                    ProviderCredentials::Scaleway(c) => Some(scaleway_relay(&c.project_id, &c.api_key)),
                    ProviderCredentials::Smtp(c) => Some(SmtpRelay {
                        host: c.host.as_str().to_string(),
                        port: c.port,
                        encryption: c.encryption,
                        username: c.username.clone(),
                        password: c.password.clone(),
                    }),
                };
                ResolvedCredential {
                    account_id: record.account_id.clone(),
                    resource_type: crate::service::email_providers::RESOURCE_TYPE,
                    resource_id: record.id.to_string(),
                    version: record.version,
                    fields: fields_of(EmailProviderResponse::from(record)),
                    credentials: Secret::EmailProvider(secret),
                    smtp,
                }
            }
            ResolvedSecret::ProviderCredential { record, secret } => {
                let endpoint = record.endpoint.clone();
                let smtp = (endpoint.provider_kind == ProviderKind::Smtp).then(|| SmtpRelay {
                    host: endpoint.host.as_str().to_string(),
                    port: endpoint.port,
                    encryption: match endpoint.security_mode {
                        SecurityMode::SslTls => SmtpEncryption::Tls,
                        SecurityMode::Starttls => SmtpEncryption::Starttls,
                        SecurityMode::None => SmtpEncryption::None,
                    },
                    username: Some(secret.username.expose_secret().to_string()),
                    // An OAuth2 credential logs in with its token (XOAUTH2),
                    // which `credentials` holds; there is no password.
                    password: (endpoint.auth_kind == AuthKind::Password).then(|| secret.secret.clone()),
                });
                ResolvedCredential {
                    account_id: record.account_id.clone(),
                    resource_type: crate::service::provider_credentials::RESOURCE_TYPE,
                    resource_id: record.id.to_string(),
                    version: record.version,
                    fields: fields_of(ProviderCredentialResponse::from(record)),
                    credentials: Secret::ProviderCredential { auth_kind: endpoint.auth_kind, secret },
                    smtp,
                }
            }
        }
    }
}

/// The versions the worker holds, from every `If-None-Match` line.
fn held_versions(headers: &HeaderMap) -> HeldVersions {
    HeldVersions::parse(headers.get_all(header::IF_NONE_MATCH).iter().filter_map(|v| v.to_str().ok()))
}

fn etag(version: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).expect("digits and quotes")
}

#[utoipa::path(
    post,
    path = Function::CredentialsResolve.path(),
    operation_id = Function::CredentialsResolve.name(),
    tag = "internal",
    request_body = ResolveCredentialRequest,
    params(("If-None-Match" = Option<String>, Header, description = "The ETags (\"<version>\") of the copies the worker holds, compared weakly, or * for whatever version is current")),
    responses(
        (status = 200, description = "The secret, audited before it left; ETag is its version", body = Object),
        (status = 304, description = "The worker's copy is current: no body, no KMS call, no audit record"),
        (status = 404, description = "No such resource in an account the caller may act on", body = ErrorBody),
        (status = 409, description = "Provider is disabled", body = ErrorBody),
    ),
)]
pub async fn resolve(
    State(app): State<AppState>,
    pending: PendingInternalCaller,
    headers: HeaderMap,
    JsonBody(request): JsonBody<ResolveCredentialRequest>,
) -> Result<Response, ApiError> {
    let resolve = Resolve::try_from(&request)?;
    // The key check and the record's read at once: one round trip.
    let (internal, fetched) = tokio::join!(pending.check(), app.resolver.fetch(&resolve));
    let internal = internal?;
    let found = app
        .resolver
        .resolve(&internal.scope, &internal.request_id, &resolve, fetched, &held_versions(&headers))
        .await?;
    Ok(match found {
        Resolved::NotModified { version } => {
            (StatusCode::NOT_MODIFIED, [(header::ETAG, etag(version))]).into_response()
        }
        Resolved::Secret(secret) => {
            let body = ResolvedCredential::from(*secret);
            (StatusCode::OK, [(header::ETAG, etag(body.version))], Json(body)).into_response()
        }
    })
}
