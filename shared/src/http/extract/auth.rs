//! The caller of a request: its key, checked before the body is read, and
//! what it may do.

use std::marker::PhantomData;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use lambda_http::request::RequestContext;

use super::super::error::ApiError;
use super::super::observe::{request_id, RequestFacts};
use super::super::routes::Function;
use crate::app::AppState;
use crate::audit::Actor;
use crate::auth::{Caller, InternalScope, Principal};
use crate::domain::ids::AccountId;
use crate::domain::permission::Permission;
use crate::domain::secret::{ExposeSecret, SecretString};
use crate::service::keys::UseSite;

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

/// Webhook endpoints are managed with `webhooks` (which `admin` includes).
pub struct ManageWebhooks;
impl Requirement for ManageWebhooks {
    const PERMISSION: Permission = Permission::Webhooks;
}

pub const MANAGE_KEYS_FORBIDDEN: &str = "Insufficient permissions to manage API keys";

/// A caller holding `R`'s permission: 401 without a valid key, 403 without
/// the permission.
pub struct Authorized<R: Requirement> {
    pub caller: Caller,
    pub request_id: String,
    /// Where the request comes from, for the rules about addresses.
    pub site: UseSite,
    _requirement: PhantomData<R>,
}

// By hand: a derive would ask `R` (a marker type) to be `Clone` too.
impl<R: Requirement> Clone for Authorized<R> {
    fn clone(&self) -> Self {
        Authorized {
            caller: self.caller.clone(),
            request_id: self.request_id.clone(),
            site: self.site.clone(),
            _requirement: PhantomData,
        }
    }
}

impl<R: Requirement> Authorized<R> {
    pub fn account_id(&self) -> &AccountId {
        &self.caller.account_id
    }

    pub fn actor(&self) -> Actor {
        Actor {
            account_id: self.caller.account_id.clone(),
            key_id: self.caller.key_id.to_string(),
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

/// The client's address: the socket's peer on a local server (never a
/// header, which a client could forge), the one API Gateway saw inside
/// Lambda.
pub fn client_address(parts: &Parts) -> Option<IpAddr> {
    if let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() {
        return Some(peer.ip().to_canonical());
    }
    match parts.extensions.get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV2(ctx)) => {
            ctx.http.source_ip.as_deref().and_then(|ip| ip.parse::<IpAddr>().ok()).map(|ip| ip.to_canonical())
        }
        _ => None,
    }
}

/// Where this request uses its key from, and for which route.
pub fn use_site(parts: &Parts) -> UseSite {
    let route = parts.extensions.get::<Function>().map(|f| f.name()).unwrap_or("unknown");
    UseSite { from: client_address(parts), used_for: route.to_string() }
}

/// Who the request's key stands for: 401 without a valid key.
async fn principal(parts: &mut Parts, state: &AppState) -> Result<Principal, ApiError> {
    let token = bearer_token(parts).ok_or_else(ApiError::unauthorized)?;
    authenticate(state, token, &use_site(parts), parts.extensions.get::<RequestFacts>()).await
}

/// Who `token` stands for (401 unless a valid key, 403 from outside its
/// allow-list); a tenant's account goes to the access log.
async fn authenticate(
    state: &AppState,
    token: &str,
    site: &UseSite,
    facts: Option<&RequestFacts>,
) -> Result<Principal, ApiError> {
    let principal = state.keys.authenticate(token, site).await?.ok_or_else(ApiError::unauthorized)?;
    if let (Principal::Tenant(caller), Some(facts)) = (&principal, facts) {
        facts.record_account(caller.account_id.as_str());
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
    site: UseSite,
    facts: Option<RequestFacts>,
    request_id: String,
}

impl PendingInternalCaller {
    pub async fn check(self) -> Result<InternalCaller, ApiError> {
        let principal = authenticate(&self.state, self.token.expose_secret(), &self.site, self.facts.as_ref()).await?;
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
            site: use_site(parts),
            facts: parts.extensions.get::<RequestFacts>().cloned(),
            request_id: request_id(parts),
        })
    }
}

/// The request's client address ([`client_address`]).
pub struct ClientAddress(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(client_address(parts)))
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
        Ok(Authorized { caller, request_id: request_id(parts), site: use_site(parts), _requirement: PhantomData })
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
