//! `GET /api/whoami`: who the request's key stands for (any valid tenant
//! key), so that a client such as the console can show the account and what
//! the key may do. Answered from the key check alone: no further AWS call.

use axum::Json;
use serde::Serialize;

use super::extract::SignedIn;
use super::routes::Function;
use crate::domain::ids::{AccountId, KeyId};
use crate::domain::permission::{Permission, PermissionSet};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WhoAmI {
    pub account_id: AccountId,
    pub key_id: KeyId,
    /// The permissions (or scopes) the key was given.
    pub permissions: Vec<&'static str>,
    /// Every permission those imply, such as `EmailProvidersRead` for
    /// `EmailProvidersWrite`: what a client may offer this key.
    pub allows: Vec<&'static str>,
    /// The permissions this key may give a key it creates: what it allows,
    /// and for `admin` also `internal` (the account's mail-server key).
    pub grants: Vec<&'static str>,
}

#[utoipa::path(
    get,
    path = Function::WhoAmI.path(),
    operation_id = Function::WhoAmI.name(),
    tag = "keys",
    responses((status = 200, description = "The key's account and permissions", body = WhoAmI)),
)]
pub async fn whoami(signed_in: SignedIn) -> Json<WhoAmI> {
    let caller = signed_in.caller;
    let allows = Permission::ALL.iter().filter(|p| caller.holds(**p)).map(|p| p.as_str()).collect();
    let grants = Permission::ALL
        .into_iter()
        .filter(|p| caller.permissions.covers(&PermissionSet::from_iter([*p])))
        .map(Permission::as_str)
        .collect();
    Json(WhoAmI {
        account_id: caller.account_id,
        key_id: caller.key_id,
        permissions: caller.permissions.names(),
        allows,
        grants,
    })
}
