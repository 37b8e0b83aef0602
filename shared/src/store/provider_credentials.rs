//! Provider credential items: `ACCOUNT#<account>` / `PROVIDER_CREDENTIAL#<id>`.

use crate::domain::timestamp::Timestamp;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};

use super::attrs::{moved_item, n, s, t, Item, Reader};
use super::email_providers::{sealed_from_attr, sealed_to_attr};
use super::{Store, StoreError};
use crate::audit::AuditEvent;
use crate::crypto::SealedSecret;
use crate::domain::connectivity::TestOutcome;
use crate::domain::host::Host;
use crate::domain::ids::{AccountId, ProviderCredentialId};
use crate::domain::provider_credential::{AuthKind, Endpoint, ProviderKind, SecurityMode};

const SK_PREFIX: &str = "PROVIDER_CREDENTIAL#";
/// How many items a search reads at a time.
const SEARCH_CHUNK: usize = 100;

#[derive(Clone, Debug, PartialEq)]
pub struct ProviderCredentialRecord {
    pub id: ProviderCredentialId,
    pub account_id: AccountId,
    pub endpoint: Endpoint,
    pub username_masked: String,
    pub secret: SealedSecret,
    pub last_test: Option<TestOutcome>,
    pub version: u64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

fn key(account_id: &AccountId, id: &ProviderCredentialId) -> Item {
    Item::from([
        ("pk".to_string(), s(format!("ACCOUNT#{account_id}"))),
        ("sk".to_string(), s(format!("{SK_PREFIX}{id}"))),
    ])
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("unknown {what}"))
}

fn from_item(item: &Item) -> Result<ProviderCredentialRecord, StoreError> {
    let r = Reader(item);
    let endpoint = Endpoint {
        provider_kind: ProviderKind::parse(&r.s("provider_kind")?).ok_or_else(|| corrupt("provider_kind"))?,
        host: Host::parse(&r.s("host")?).map_err(|_| corrupt("host"))?,
        port: r.n("port")?,
        security_mode: SecurityMode::parse(&r.s("security_mode")?).ok_or_else(|| corrupt("security_mode"))?,
        auth_kind: AuthKind::parse(&r.s("auth_kind")?).ok_or_else(|| corrupt("auth_kind"))?,
    };
    let last_test = match r.opt_s("last_test")? {
        Some(json) => Some(serde_json::from_str(&json).map_err(|_| corrupt("last_test"))?),
        None => None,
    };
    let (account_id, id) = r.owner_key(SK_PREFIX)?;
    if r.s("id")? != id {
        return Err(moved_item());
    }
    let id = ProviderCredentialId::parse(&id)
        .ok_or_else(|| StoreError::Corrupt("the item's sort key is not a credential id".into()))?;
    Ok(ProviderCredentialRecord {
        id,
        account_id,
        endpoint,
        username_masked: r.s("username_masked")?,
        secret: sealed_from_attr(r.map("secret")?)?,
        last_test,
        version: r.n("version")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

fn endpoint_values(e: &Endpoint) -> [(&'static str, AttributeValue); 5] {
    [
        ("provider_kind", s(e.provider_kind.as_str())),
        ("host", s(e.host.as_str())),
        ("port", n(e.port)),
        ("security_mode", s(e.security_mode.as_str())),
        ("auth_kind", s(e.auth_kind.as_str())),
    ]
}

fn tx_update(update: Update) -> TransactWriteItem {
    TransactWriteItem::builder().update(update).build()
}

impl Store {
    pub async fn insert_provider_credential(
        &self,
        r: &ProviderCredentialRecord,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        let mut item = key(&r.account_id, &r.id);
        item.extend(endpoint_values(&r.endpoint).map(|(k, v)| (k.to_string(), v)));
        item.extend(
            [
                ("entity", s("provider_credential")),
                ("id", s(&r.id)),
                ("account_id", s(&r.account_id)),
                ("username_masked", s(&r.username_masked)),
                ("secret", sealed_to_attr(&r.secret)),
                ("version", n(r.version)),
                ("created_at", t(r.created_at)),
                ("updated_at", t(r.updated_at)),
            ]
            .map(|(k, v)| (k.to_string(), v)),
        );
        self.transact(vec![self.put_new_main(item), self.audit_put(event)]).await
    }

    pub async fn get_provider_credential(
        &self,
        account_id: &AccountId,
        id: &ProviderCredentialId,
    ) -> Result<ProviderCredentialRecord, StoreError> {
        let out = self
            .client()
            .get_item()
            .table_name(&self.tables().main)
            .set_key(Some(key(account_id, id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::aws)?;
        out.item.as_ref().map(from_item).unwrap_or(Err(StoreError::NotFound))
    }

    /// The account's credentials after the id `after`, oldest first (ids
    /// are ULIDs), with DynamoDB's own paging: `want` of them, or, with
    /// `keep`, `want` that it keeps (read in chunks of [`SEARCH_CHUNK`]).
    /// A plain page reads `want` items, not the account.
    pub async fn page_provider_credentials(
        &self,
        account_id: &AccountId,
        want: usize,
        after: Option<&ProviderCredentialId>,
        keep: Option<&(dyn Fn(&ProviderCredentialRecord) -> bool + Sync)>,
    ) -> Result<Vec<ProviderCredentialRecord>, StoreError> {
        let mut found = Vec::new();
        let mut start = after.map(|id| key(account_id, id));
        loop {
            let chunk = match keep {
                Some(_) => SEARCH_CHUNK,
                None => want - found.len(),
            };
            let out = self
                .client()
                .query()
                .table_name(&self.tables().main)
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .expression_attribute_values(":pk", s(format!("ACCOUNT#{account_id}")))
                .expression_attribute_values(":prefix", s(SK_PREFIX))
                .consistent_read(true)
                .limit(i32::try_from(chunk).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(StoreError::aws)?;
            for item in out.items() {
                let record = from_item(item)?;
                if keep.is_none_or(|keep| keep(&record)) {
                    found.push(record);
                }
            }
            match out.last_evaluated_key {
                Some(last) if found.len() < want => start = Some(last),
                _ => break,
            }
        }
        found.truncate(want);
        Ok(found)
    }

    /// Writes `new` over `old` if `old` is still what is stored (same
    /// version): the endpoint, and the secret and masked username when they
    /// changed.
    pub async fn replace_provider_credential(
        &self,
        old: &ProviderCredentialRecord,
        new: &ProviderCredentialRecord,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        let mut update = Update::builder()
            .table_name(&self.tables().main)
            .set_key(Some(key(&old.account_id, &old.id)))
            .condition_expression("version = :expected")
            .expression_attribute_values(":expected", n(old.version))
            .expression_attribute_values(":next", n(old.version + 1))
            .expression_attribute_values(":updated_at", t(new.updated_at));
        let mut sets = vec!["version = :next".to_string(), "updated_at = :updated_at".to_string()];
        for (name, value) in endpoint_values(&new.endpoint) {
            sets.push(format!("#{name} = :{name}"));
            update = update
                .expression_attribute_names(format!("#{name}"), name)
                .expression_attribute_values(format!(":{name}"), value);
        }
        if new.secret != old.secret {
            sets.push("secret = :secret, username_masked = :username_masked".to_string());
            update = update
                .expression_attribute_values(":secret", sealed_to_attr(&new.secret))
                .expression_attribute_values(":username_masked", s(&new.username_masked));
        }
        let update = update.update_expression(format!("SET {}", sets.join(", "))).build().expect("set");
        self.transact(vec![tx_update(update), self.audit_put(event)]).await
    }

    /// Stores a test's outcome, whatever else changed meanwhile.
    pub async fn record_provider_credential_test(
        &self,
        account_id: &AccountId,
        id: &ProviderCredentialId,
        outcome: &TestOutcome,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        self.set_last_test(key(account_id, id), outcome, event).await
    }

    /// Deletes the credential if it is still at `expected_version`;
    /// `ConditionFailed` when it changed or is gone meanwhile.
    pub async fn delete_provider_credential(
        &self,
        account_id: &AccountId,
        id: &ProviderCredentialId,
        expected_version: u64,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        self.delete_versioned(key(account_id, id), expected_version, event).await
    }
}
