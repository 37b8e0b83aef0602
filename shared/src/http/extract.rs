//! Extractors: the authenticated caller (checked before the body is read),
//! the request id, and JSON bodies whose errors never echo what was sent.

use std::marker::PhantomData;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use lambda_http::request::RequestContext;
use serde::de::DeserializeOwned;

use super::error::ApiError;
use super::observe::{request_id, RequestFacts};
use crate::app::AppState;
use crate::audit::Actor;
use crate::auth::{Caller, InternalScope, Principal};
use crate::domain::ids;
use crate::domain::permission::Permission;
use crate::domain::secret::{ExposeSecret, SecretString};

/// What a route requires of its caller, and what a caller without it is told.
pub trait Requirement: Send + Sync + 'static {
    const PERMISSION: Permission;
    fn forbidden_message() -> String {
        format!("Requires a valid key with {}", Self::PERMISSION)
    }
}

pub struct ReadEmailProviders;
impl Requirement for ReadEmailProviders {
    const PERMISSION: Permission = Permission::EmailProvidersRead;
}

pub struct WriteEmailProviders;
impl Requirement for WriteEmailProviders {
    const PERMISSION: Permission = Permission::EmailProvidersWrite;
}

pub struct Admin;
impl Requirement for Admin {
    const PERMISSION: Permission = Permission::Admin;
}

pub struct ReadProviderCredentials;
impl Requirement for ReadProviderCredentials {
    const PERMISSION: Permission = Permission::ProviderCredentialsRead;
}

pub struct WriteProviderCredentials;
impl Requirement for WriteProviderCredentials {
    const PERMISSION: Permission = Permission::ProviderCredentialsWrite;
}

/// Email API keys are managed with `admin`.
pub struct ManageApiKeys;
impl Requirement for ManageApiKeys {
    const PERMISSION: Permission = Permission::Admin;
    fn forbidden_message() -> String {
        MANAGE_KEYS_FORBIDDEN.to_string()
    }
}

/// SMTP credentials are managed with `app` (which `admin` includes).
pub struct ManageSmtpCredentials;
impl Requirement for ManageSmtpCredentials {
    const PERMISSION: Permission = Permission::App;
    fn forbidden_message() -> String {
        MANAGE_KEYS_FORBIDDEN.to_string()
    }
}

pub const MANAGE_KEYS_FORBIDDEN: &str = "Insufficient permissions to manage API keys";

/// A caller holding `R`'s permission: 401 without a valid key, 403 without
/// the permission.
pub struct Authorized<R: Requirement> {
    pub caller: Caller,
    pub request_id: String,
    _requirement: PhantomData<R>,
}

// By hand: a derive would ask `R` (a marker type) to be `Clone` too.
impl<R: Requirement> Clone for Authorized<R> {
    fn clone(&self) -> Self {
        Authorized { caller: self.caller.clone(), request_id: self.request_id.clone(), _requirement: PhantomData }
    }
}

impl<R: Requirement> Authorized<R> {
    pub fn account_id(&self) -> &str {
        &self.caller.account_id
    }

    pub fn actor(&self) -> Actor {
        Actor {
            account_id: self.caller.account_id.clone(),
            key_id: self.caller.key_id.clone(),
            request_id: self.request_id.clone(),
        }
    }
}

/// The bearer token of the one `Authorization` header. Two headers are no
/// credential at all (API Gateway would join them into one bad value).
fn bearer_token(parts: &Parts) -> Option<&str> {
    let mut values = parts.headers.get_all(header::AUTHORIZATION).iter();
    let value = values.next()?.to_str().ok()?;
    if values.next().is_some() {
        return None;
    }
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

const SERVICE_KEY_FORBIDDEN: &str = "Platform service keys may call only the /api/internal/* routes";
const INTERNAL_FORBIDDEN: &str = "Requires a platform service key, or a valid key with internal";

/// Who the request's key stands for: 401 without a valid key.
async fn principal(parts: &mut Parts, state: &AppState) -> Result<Principal, ApiError> {
    let token = bearer_token(parts).ok_or_else(ApiError::unauthorized)?;
    authenticate(state, token, parts.extensions.get::<RequestFacts>()).await
}

/// Who `token` stands for (401 unless a valid key); a tenant's account goes
/// to the access log.
async fn authenticate(state: &AppState, token: &str, facts: Option<&RequestFacts>) -> Result<Principal, ApiError> {
    let principal = state.keys.authenticate(token).await?.ok_or_else(ApiError::unauthorized)?;
    if let (Principal::Tenant(caller), Some(facts)) = (&principal, facts) {
        facts.record_account(&caller.account_id);
    }
    Ok(principal)
}

/// An internal route's scope for the principal: 403 for a tenant key
/// without `internal`.
fn internal_scope(principal: Principal) -> Result<InternalScope, ApiError> {
    match principal {
        Principal::Service { key_id } => Ok(InternalScope::AllAccounts { service_key_id: key_id }),
        Principal::Tenant(caller) if caller.holds(Permission::Internal) => {
            Ok(InternalScope::Account { account_id: caller.account_id, key_id: caller.key_id })
        }
        Principal::Tenant(_) => Err(ApiError::forbidden(INTERNAL_FORBIDDEN)),
    }
}

/// A caller of the internal routes (`/api/internal/*`): a platform service
/// key, for every account, or a tenant key holding `internal`, for its own
/// account. What [`PendingInternalCaller::check`] gives.
pub struct InternalCaller {
    pub scope: InternalScope,
    pub request_id: String,
}

/// An internal caller whose key the handler checks beside its own first
/// read, so that the two cost one round trip instead of two. A key that
/// cannot be one of ours is refused at once (no DynamoDB call, before the
/// body is read); whatever the handler read is used only once
/// [`PendingInternalCaller::check`] has passed.
pub struct PendingInternalCaller {
    token: SecretString,
    state: AppState,
    facts: Option<RequestFacts>,
    request_id: String,
}

impl PendingInternalCaller {
    pub async fn check(self) -> Result<InternalCaller, ApiError> {
        let principal = authenticate(&self.state, self.token.expose_secret(), self.facts.as_ref()).await?;
        Ok(InternalCaller { scope: internal_scope(principal)?, request_id: self.request_id })
    }
}

impl FromRequestParts<AppState> for PendingInternalCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token =
            bearer_token(parts).filter(|t| crate::auth::recognise(t).is_some()).ok_or_else(ApiError::unauthorized)?;
        Ok(PendingInternalCaller {
            token: SecretString::from(token.to_string()),
            state: state.clone(),
            facts: parts.extensions.get::<RequestFacts>().cloned(),
            request_id: request_id(parts),
        })
    }
}

/// The client address API Gateway saw (inside Lambda only).
pub struct SourceIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for SourceIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(SourceIp(match parts.extensions.get::<RequestContext>() {
            Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.clone(),
            _ => None,
        }))
    }
}

impl<R: Requirement> FromRequestParts<AppState> for Authorized<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = match principal(parts, state).await? {
            Principal::Tenant(caller) => caller,
            Principal::Service { .. } => return Err(ApiError::forbidden(SERVICE_KEY_FORBIDDEN)),
        };
        if !caller.holds(R::PERMISSION) {
            return Err(ApiError::forbidden(R::forbidden_message()));
        }
        Ok(Authorized { caller, request_id: request_id(parts), _requirement: PhantomData })
    }
}

/// Any valid tenant key, whatever it may do: 401 without one, 403 for a
/// platform service key.
pub struct SignedIn {
    pub caller: Caller,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match principal(parts, state).await? {
            Principal::Tenant(caller) => Ok(SignedIn { caller }),
            Principal::Service { .. } => Err(ApiError::forbidden(SERVICE_KEY_FORBIDDEN)),
        }
    }
}

/// What a kind of id in a path is, and what a caller is told when an id
/// cannot be one (`NOT_FOUND`, as for an unknown one).
pub trait IdKind: Send + Sync + 'static {
    type Id: Send;
    const NOT_FOUND: &'static str;
    fn parse(raw: &str) -> Option<Self::Id>;
}

pub struct EmailProviderId;
impl IdKind for EmailProviderId {
    type Id = u64;
    const NOT_FOUND: &'static str = crate::service::email_providers::NOT_FOUND;
    fn parse(raw: &str) -> Option<u64> {
        ids::parse_email_provider_id(raw)
    }
}

pub struct ProviderCredentialId;
impl IdKind for ProviderCredentialId {
    type Id = String;
    const NOT_FOUND: &'static str = crate::service::provider_credentials::NOT_FOUND;
    fn parse(raw: &str) -> Option<String> {
        ids::is_provider_credential_id(raw).then(|| raw.to_string())
    }
}

pub struct KeyId;
impl IdKind for KeyId {
    type Id = String;
    const NOT_FOUND: &'static str = crate::service::keys::NOT_FOUND;
    fn parse(raw: &str) -> Option<String> {
        ids::is_key_id(raw).then(|| raw.to_string())
    }
}

pub struct AccountId;
impl IdKind for AccountId {
    type Id = String;
    const NOT_FOUND: &'static str = crate::service::provider_credentials::ACCOUNT_NOT_FOUND;
    fn parse(raw: &str) -> Option<String> {
        ids::is_account_id(raw).then(|| raw.to_string())
    }
}

/// The one id of a path, checked for shape before any store call: an id
/// that cannot be ours (too long, another prefix, other characters) is
/// answered 404 at once, and a path that is not UTF-8 400, both in the
/// error body.
pub struct IdPath<K: IdKind>(pub K::Id);

impl<K: IdKind, S: Send + Sync> FromRequestParts<S> for IdPath<K> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::bad_request("The request path is not valid UTF-8"))?;
        K::parse(&raw).map(IdPath).ok_or_else(|| ApiError::not_found(K::NOT_FOUND))
    }
}

/// A JSON body. Parse errors name the field and the expected type, never the
/// submitted value, which may be a secret.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !declares_json(&req) {
            return Err(ApiError::unsupported_media_type());
        }
        parse_json(&read_body(req, state).await?).map(JsonBody)
    }
}

/// Whether the request says its body is JSON: `application/json`, with or
/// without parameters such as `charset=utf-8`.
fn declares_json(req: &Request) -> bool {
    let Some(value) = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else { return false };
    value.split(';').next().is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

/// The body, within the size limit (413 beyond it).
async fn read_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::payload_too_large()
        } else {
            ApiError::bad_request("Request body could not be read")
        }
    })
}

/// A JSON body that may be absent: no bytes at all is `None`; anything
/// else, whitespace included, must be a JSON object.
pub struct OptionalJsonBody<T>(pub Option<T>);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for OptionalJsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let json = declares_json(&req);
        let bytes = read_body(req, state).await?;
        if bytes.is_empty() {
            return Ok(OptionalJsonBody(None));
        }
        if !json {
            return Err(ApiError::unsupported_media_type());
        }
        parse_json(&bytes).map(|v| OptionalJsonBody(Some(v)))
    }
}

/// Parses a request body, which must be one JSON object.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.trim_ascii_start().first() != Some(&b'{') {
        let is_json = serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok();
        return Err(ApiError::bad_request(if is_json {
            "Request body must be a JSON object"
        } else {
            "Request body is not valid JSON"
        }));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        ApiError::bad_request(describe_json_error(&path, err.inner()))
    })?;
    deserializer.end().map_err(|_| ApiError::bad_request("Request body must be a single JSON value"))?;
    Ok(value)
}

/// Rebuilds serde's message from the parts that come from our own types (the
/// field path, the expected type, field names), dropping any quoted input.
fn describe_json_error(path: &str, err: &serde_json::Error) -> String {
    use serde_json::error::Category;
    if matches!(err.classify(), Category::Syntax | Category::Eof | Category::Io) {
        return "Request body is not valid JSON".to_string();
    }
    let message = err.to_string();
    let expected =
        message.rsplit_once(", expected ").map(|(_, e)| plain_expected(e.split(" at line ").next().unwrap_or(e)));
    let field = if path == "." { None } else { Some(path) };
    if let Some(rest) = message.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or_default();
        return match field {
            Some(parent) => format!("Missing field `{parent}.{name}`"),
            None => format!("Missing field `{name}`"),
        };
    }
    if message.starts_with("unknown field") {
        return match field {
            Some(field) => format!("Unknown field `{}`", truncate(field, 64)),
            None => "Unknown field".to_string(),
        };
    }
    let what = match field {
        Some(field) => format!("Invalid value for `{}`", truncate(field, 64)),
        None => "Request body must be a JSON object".to_string(),
    };
    match expected {
        Some(expected) if field.is_some() => format!("{what}: expected {expected}"),
        _ => what,
    }
}

/// serde's name for what it expected, in words for people: no Rust type
/// names (`i64`, `struct X`, `a sequence`) reach a caller.
fn plain_expected(expected: &str) -> String {
    const INTEGERS: [&str; 10] = ["i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "usize", "isize"];
    let words = match expected {
        e if INTEGERS.contains(&e) || e.starts_with("u64") || e.starts_with("i64") => "an integer",
        "f32" | "f64" => "a number",
        "a sequence" => "a list",
        "a map" => "an object",
        e if e.starts_with("struct ") || e.starts_with("a map") => "an object",
        e if e.starts_with("a borrowed string") || e == "a string" => "a string",
        other => return other.to_string(),
    };
    words.to_string()
}

fn truncate(value: &str, max_chars: usize) -> String {
    value.chars().take(max_chars).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::email_provider::{CreateEmailProviderRequest, UpdateEmailProviderRequest};

    fn create_err(body: &str) -> String {
        parse_json::<CreateEmailProviderRequest>(body.as_bytes()).err().expect("an error").message
    }

    fn update_err(body: &str) -> String {
        parse_json::<UpdateEmailProviderRequest>(body.as_bytes()).err().expect("an error").message
    }

    #[test]
    fn messages_name_fields_not_values() {
        assert_eq!(
            update_err(r#"{"smtp_credentials": {"password": 12345678}}"#),
            "Invalid value for `smtp_credentials.password`: expected a string"
        );
        assert_eq!(update_err(r#"{"nmae": "x"}"#), "Unknown field `nmae`");
        assert_eq!(
            update_err(r#"{"ses_credentials": {"secret": "hunter2"}}"#),
            "Unknown field `ses_credentials.secret`"
        );
        assert_eq!(update_err(r#"{"is_active": "yes-secret"}"#), "Invalid value for `is_active`: expected a boolean");
        assert_eq!(
            update_err(r#"{"smtp_credentials": {"host": "h", "port": "587"}}"#),
            "Invalid value for `smtp_credentials.port`: expected an integer"
        );
        assert_eq!(
            update_err(r#"{"smtp_credentials": 5}"#),
            "Invalid value for `smtp_credentials`: expected an object"
        );
        assert_eq!(update_err(r#"{"name": "x""#), "Request body is not valid JSON");
        assert_eq!(update_err(""), "Request body is not valid JSON");
        assert_eq!(update_err("[1]"), "Request body must be a JSON object");
        assert_eq!(update_err(r#"{} {}"#), "Request body must be a single JSON value");
        assert_eq!(create_err(r#"{"name": "x"}"#), "Missing field `provider_type`");
        let unknown_type = create_err(r#"{"name": "x", "provider_type": "sendgrid-secret", "region": "r"}"#);
        assert!(unknown_type.starts_with("Invalid value for `provider_type`: expected one of"), "{unknown_type}");
        for msg in [unknown_type, update_err(r#"{"ses_credentials": {"secret_access_key": ["hunter2"]}}"#)] {
            assert!(!msg.contains("hunter2") && !msg.contains("sendgrid-secret"), "{msg}");
        }
    }
}
