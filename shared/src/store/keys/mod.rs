//! Accounts, keys and platform service keys. A key lives in two items,
//! always written together:
//!
//! - the auth item `KEY#<sha256>`: everything a request check needs, found by
//!   one strongly consistent `GetItem`, and the only item that records a
//!   use (`last_used_at`: one conditional update). While the key is active
//!   it also carries `active_pk`/`active_sk`, which put it in the sparse
//!   [`ACTIVE_KEYS_INDEX`]: lists page through an account's active keys of
//!   one face there, reading only the page, however many keys were ever
//!   made (revoking a key removes it from the index);
//! - the account's `API_KEY#<id>` item: the key by id, for the changes a
//!   caller makes by id (its version guards them).

//!
//! Files: [`tenant`] (the keys of accounts), [`accounts`], [`service`] (the
//! platform's service keys) and [`migration`] (backfills for older items).

mod accounts;
pub mod expiry;
pub mod exposure;
mod migration;
mod service;
mod tenant;

use crate::domain::timestamp::Timestamp;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};

use super::attrs::{n, s, string_list, t, Item, Reader};
use super::StoreError;
use crate::auth::Principal;
use crate::domain::allowed_cidrs::AllowedCidrs;
use crate::domain::ids::{AccountId, KeyId};
use crate::domain::key::{KeyFace, KeyUse, MobileDevice, Platform};
use crate::domain::permission::{Permission, PermissionSet};

pub use accounts::AccountRecord;
pub use service::ServiceKeyRecord;

fn account_pk(account_id: &AccountId) -> String {
    format!("ACCOUNT#{account_id}")
}

/// `BatchGetItem` reads at most this many keys a call.
const AUTH_BATCH: usize = 100;

fn hash_pk(hash: &str) -> String {
    format!("KEY#{hash}")
}

fn meta_sk(key_id: &KeyId) -> String {
    format!("API_KEY#{key_id}")
}

/// The sparse index of active keys: partition per account and face, sorted
/// by key id (a ULID, so oldest first).
pub const ACTIVE_KEYS_INDEX: &str = "active_keys";

fn active_pk(account_id: &AccountId, face: KeyFace) -> String {
    format!("ACCOUNT#{account_id}#{}", face.as_str())
}

/// Which active keys a page keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyFilter {
    All,
    HoldsAdmin,
}

/// A key's metadata. Never the key itself.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyRecord {
    pub key_id: KeyId,
    pub account_id: AccountId,
    pub face: KeyFace,
    /// The SHA-256 of the key (hex), which names its auth item.
    pub key_hash: String,
    pub name: String,
    /// The display prefix, such as `pk_live_...`.
    pub prefix: String,
    pub permissions: PermissionSet,
    pub device: Option<MobileDevice>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// `None` for a key that never expires. A key rotated with an overlap
    /// expires when the overlap ends.
    pub expires_at: Option<Timestamp>,
    pub last_use: Option<KeyUse>,
    pub revoked_at: Option<Timestamp>,
    /// Why it was revoked, when not by its owner: `exposed` (reported as
    /// found in public), with where it was found.
    pub revoked_reason: Option<String>,
    pub exposed_url: Option<String>,
    /// For a rotated key: the key that replaced it.
    pub replaced_by: Option<KeyId>,
    /// Where the key may be used from; empty for anywhere.
    pub allowed_cidrs: AllowedCidrs,
    pub version: u64,
}

impl KeyRecord {
    /// Usable at `now`: not revoked, not expired.
    pub fn is_active(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|at| at > now)
    }
}

/// What the auth item holds: enough to check a request.
#[derive(Clone, Debug)]
pub struct AuthRecord {
    pub principal: Principal,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
    pub allowed_cidrs: AllowedCidrs,
}

fn put(table: &str, item: Item, condition: &str) -> TransactWriteItem {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression(condition)
        .build()
        .expect("table, item set");
    TransactWriteItem::builder().put(put).build()
}

fn item(pairs: Vec<(&str, AttributeValue)>) -> Item {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

fn optional_time(value: Option<Timestamp>) -> AttributeValue {
    value.map(t).unwrap_or(AttributeValue::Null(true))
}

fn permissions_from(names: Vec<String>) -> PermissionSet {
    // A permission this build does not know grants nothing.
    names.iter().filter_map(|n| Permission::parse(n)).collect()
}

/// What both items of a key say of it: what lists show and changes by id
/// check. The auth item adds what puts it in the active-keys index.
fn listing(key: &KeyRecord) -> Vec<(&'static str, AttributeValue)> {
    let mut fields = vec![
        ("key_id", s(&key.key_id)),
        ("account_id", s(&key.account_id)),
        ("face", s(key.face.as_str())),
        ("key_hash", s(&key.key_hash)),
        ("name", s(&key.name)),
        ("prefix", s(&key.prefix)),
        ("permissions", string_list(key.permissions.names())),
        ("created_at", t(key.created_at)),
        ("updated_at", t(key.updated_at)),
        ("expires_at", optional_time(key.expires_at)),
        ("version", n(key.version)),
    ];
    if !key.allowed_cidrs.is_empty() {
        fields.push(("allowed_cidrs", string_list(key.allowed_cidrs.names())));
    }
    if let Some(device) = &key.device {
        fields.push(("platform", s(device.platform.as_str())));
        fields.push(("device_id", s(&device.device_id)));
    }
    fields
}

/// The auth item's key and the metadata item's key of `key`.
fn auth_key(key_hash: &str) -> Item {
    item(vec![("pk", s(hash_pk(key_hash))), ("sk", s("KEY"))])
}

fn meta_key(account_id: &AccountId, key_id: &KeyId) -> Item {
    item(vec![("pk", s(account_pk(account_id))), ("sk", s(meta_sk(key_id)))])
}

/// One change to both items of a key, as the one transaction writes it:
/// the metadata item only while the key is at the version it was read at
/// and not revoked (the guard of every change by id), the auth item as long
/// as it exists. Each item is given only the names and values its own
/// expression uses (DynamoDB refuses unused ones).
struct KeyChange<'a> {
    meta_expression: String,
    auth_expression: String,
    names: Vec<(&'a str, &'a str)>,
    values: Vec<(&'a str, AttributeValue)>,
}

/// Which key a [`KeyChange`] changes, at which version.
struct ChangedKey<'a> {
    account_id: &'a AccountId,
    key_id: &'a KeyId,
    hash: &'a str,
    version: u64,
}

impl KeyChange<'_> {
    fn items(self, table: &str, key: &KeyRecord) -> [TransactWriteItem; 2] {
        let changed =
            ChangedKey { account_id: &key.account_id, key_id: &key.key_id, hash: &key.key_hash, version: key.version };
        self.items_for(table, changed)
    }

    fn items_for(self, table: &str, key: ChangedKey) -> [TransactWriteItem; 2] {
        let meta_condition = "version = :expected AND attribute_not_exists(revoked_at)";
        let build = |item_key: Item, expression: &str, condition: &str, extra: Option<(&str, AttributeValue)>| {
            let used = format!("{expression} {condition}");
            let mut update = Update::builder()
                .table_name(table)
                .set_key(Some(item_key))
                .update_expression(expression)
                .condition_expression(condition);
            for (name, attribute) in self.names.iter().filter(|(name, _)| used.contains(name)) {
                update = update.expression_attribute_names(*name, *attribute);
            }
            for (name, value) in self.values.iter().filter(|(name, _)| used.contains(name)) {
                update = update.expression_attribute_values(*name, value.clone());
            }
            if let Some((name, value)) = extra {
                update = update.expression_attribute_values(name, value);
            }
            TransactWriteItem::builder().update(update.build().expect("table, key, expression set")).build()
        };
        [
            build(
                meta_key(key.account_id, key.key_id),
                &self.meta_expression,
                meta_condition,
                Some((":expected", n(key.version))),
            ),
            build(auth_key(key.hash), &self.auth_expression, "attribute_exists(pk)", None),
        ]
    }
}

/// A key's allow-list as stored (absent: anywhere). One that does not
/// parse is refused, not read as "anywhere".
fn read_allowed_cidrs(r: &Reader) -> Result<AllowedCidrs, StoreError> {
    match r.opt_string_list("allowed_cidrs")? {
        None => Ok(AllowedCidrs::default()),
        Some(names) => AllowedCidrs::from_stored(&names)
            .ok_or_else(|| StoreError::Corrupt("an allowed network does not parse".into())),
    }
}

/// The last use an auth item records, if any.
fn read_last_use(r: &Reader) -> Result<Option<KeyUse>, StoreError> {
    let Some(at) = r.opt_time("last_used_at")? else { return Ok(None) };
    let from = r.opt_s("last_used_from")?.and_then(|ip| ip.parse().ok());
    Ok(Some(KeyUse { at, from, used_for: r.opt_s("last_used_for")? }))
}

fn read_key(found: &Item) -> Result<KeyRecord, StoreError> {
    let r = Reader(found);
    let face = KeyFace::parse(&r.s("face")?).ok_or_else(|| StoreError::Corrupt("unknown key face".into()))?;
    let device = match (r.opt_s("platform")?, r.opt_s("device_id")?) {
        (Some(platform), Some(device_id)) => Some(MobileDevice {
            platform: Platform::parse(&platform).ok_or_else(|| StoreError::Corrupt("unknown platform".into()))?,
            device_id,
        }),
        _ => None,
    };
    Ok(KeyRecord {
        key_id: r.id("key_id", KeyId::parse)?,
        account_id: r.id("account_id", AccountId::parse)?,
        face,
        key_hash: r.s("key_hash")?,
        name: r.s("name")?,
        prefix: r.s("prefix")?,
        permissions: permissions_from(r.string_list("permissions")?),
        device,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
        expires_at: r.opt_time("expires_at")?,
        last_use: read_last_use(&r)?,
        revoked_at: r.opt_time("revoked_at")?,
        revoked_reason: r.opt_s("revoked_reason")?,
        exposed_url: r.opt_s("exposed_url")?,
        replaced_by: r.opt_id("replaced_by", KeyId::parse)?,
        allowed_cidrs: read_allowed_cidrs(&r)?,
        version: r.n("version")?,
    })
}
