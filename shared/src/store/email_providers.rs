//! Email provider items: `ACCOUNT#<account>` / `EMAIL_PROVIDER#<id>`, with
//! the non-secret fields and the masked display form in clear beside the
//! encrypted blob.

use crate::domain::timestamp::Timestamp;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, TransactWriteItem, Update};

use super::attrs::{b, moved_item, n, s, t, Item, Reader};
use super::{Store, StoreError};
use crate::audit::AuditEvent;
use crate::crypto::{SealedSecret, NONCE_LEN};
use crate::domain::connectivity::TestOutcome;
use crate::domain::email_provider::ProviderType;
use crate::domain::ids::{AccountId, EmailProviderId};

const SK_PREFIX: &str = "EMAIL_PROVIDER#";

/// A stored email provider. `credentials_masked` is the display form; the
/// secret is only in `secret`.
#[derive(Clone, Debug, PartialEq)]
pub struct EmailProviderRecord {
    pub id: EmailProviderId,
    pub account_id: AccountId,
    pub name: String,
    pub provider_type: ProviderType,
    pub region: String,
    pub is_active: bool,
    pub credentials_masked: serde_json::Value,
    pub secret: SealedSecret,
    pub version: u64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// The outcome of the last connectivity test, if any.
    pub last_test: Option<TestOutcome>,
}

/// The fields one update sets; `None` leaves a field as stored.
#[derive(Debug, Default)]
pub struct EmailProviderChanges {
    pub name: Option<String>,
    pub region: Option<String>,
    pub is_active: Option<bool>,
    pub credentials: Option<(serde_json::Value, SealedSecret)>,
}

fn pk(account_id: &AccountId) -> String {
    format!("ACCOUNT#{account_id}")
}

// Zero-padded so that the sort key orders providers by id.
fn sk(id: EmailProviderId) -> String {
    format!("{SK_PREFIX}{:020}", id.get())
}

fn key(account_id: &AccountId, id: EmailProviderId) -> Item {
    Item::from([("pk".to_string(), s(pk(account_id))), ("sk".to_string(), s(sk(id)))])
}

pub(crate) fn sealed_to_attr(sealed: &SealedSecret) -> AttributeValue {
    AttributeValue::M(Item::from([
        ("v".to_string(), n(sealed.version)),
        ("kid".to_string(), s(&sealed.key_id)),
        ("edk".to_string(), b(sealed.encrypted_data_key.clone())),
        ("nonce".to_string(), b(sealed.nonce.to_vec())),
        ("ct".to_string(), b(sealed.ciphertext.clone())),
    ]))
}

/// Reads a stored blob (public so tests can check what is at rest).
pub fn sealed_from_attr(item: &Item) -> Result<SealedSecret, StoreError> {
    let r = Reader(item);
    let nonce: [u8; NONCE_LEN] =
        r.b("nonce")?.try_into().map_err(|_| StoreError::Corrupt("secret nonce has the wrong length".into()))?;
    Ok(SealedSecret {
        version: r.n("v")?,
        key_id: r.s("kid")?,
        encrypted_data_key: r.b("edk")?,
        nonce,
        ciphertext: r.b("ct")?,
    })
}

fn to_item(p: &EmailProviderRecord) -> Item {
    let mut item = key(&p.account_id, p.id);
    item.extend(
        [
            ("entity", s("email_provider")),
            ("id", n(p.id)),
            ("account_id", s(&p.account_id)),
            ("name", s(&p.name)),
            ("provider_type", s(p.provider_type.as_str())),
            ("region", s(&p.region)),
            ("is_active", AttributeValue::Bool(p.is_active)),
            ("credentials_masked", s(p.credentials_masked.to_string())),
            ("secret", sealed_to_attr(&p.secret)),
            ("version", n(p.version)),
            ("created_at", t(p.created_at)),
            ("updated_at", t(p.updated_at)),
        ]
        .map(|(k, v)| (k.to_string(), v)),
    );
    item
}

fn from_item(item: &Item) -> Result<EmailProviderRecord, StoreError> {
    let r = Reader(item);
    let provider_type = ProviderType::parse(&r.s("provider_type")?)
        .ok_or_else(|| StoreError::Corrupt("unknown provider_type".into()))?;
    let credentials_masked = serde_json::from_str(&r.s("credentials_masked")?)
        .map_err(|_| StoreError::Corrupt("credentials_masked is not JSON".into()))?;
    let (account_id, id) = r.owner_key(SK_PREFIX)?;
    let id = id
        .parse()
        .ok()
        .and_then(EmailProviderId::from_counter)
        .ok_or_else(|| StoreError::Corrupt("the item's sort key is not a provider id".into()))?;
    if r.n::<u64>("id")? != id.get() {
        return Err(moved_item());
    }
    Ok(EmailProviderRecord {
        id,
        account_id,
        name: r.s("name")?,
        provider_type,
        region: r.s("region")?,
        is_active: r.bool("is_active")?,
        credentials_masked,
        secret: sealed_from_attr(r.map("secret")?)?,
        version: r.n("version")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
        last_test: match r.opt_s("last_test")? {
            Some(json) => Some(serde_json::from_str(&json).map_err(|_| StoreError::Corrupt("last_test".into()))?),
            None => None,
        },
    })
}

impl Store {
    /// Takes the next provider id of an account from its counter.
    pub async fn next_email_provider_id(&self, account_id: &AccountId) -> Result<EmailProviderId, StoreError> {
        let out = self
            .client()
            .update_item()
            .table_name(&self.tables().main)
            .key("pk", s(pk(account_id)))
            .key("sk", s("ACCOUNT"))
            .update_expression("ADD email_provider_seq :one")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| match e.as_service_error() {
                Some(se) if se.is_conditional_check_failed_exception() => StoreError::NotFound,
                _ => StoreError::aws(e),
            })?;
        let attrs = out.attributes.unwrap_or_default();
        EmailProviderId::from_counter(Reader(&attrs).n("email_provider_seq")?)
            .ok_or_else(|| StoreError::Corrupt("the provider counter is not positive".into()))
    }

    pub async fn insert_email_provider(
        &self,
        record: &EmailProviderRecord,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        self.transact(vec![self.put_new_main(to_item(record)), self.audit_put(event)]).await
    }

    pub async fn get_email_provider(
        &self,
        account_id: &AccountId,
        id: EmailProviderId,
    ) -> Result<EmailProviderRecord, StoreError> {
        self.get_main(key(account_id, id)).await?.as_ref().map(from_item).unwrap_or(Err(StoreError::NotFound))
    }

    /// Up to `want` providers of an account by id, after the id `after`:
    /// reads that many items, not the account.
    pub async fn page_email_providers(
        &self,
        account_id: &AccountId,
        want: usize,
        after: Option<EmailProviderId>,
    ) -> Result<Vec<EmailProviderRecord>, StoreError> {
        let mut found = Vec::new();
        let mut start = after.map(|id| key(account_id, id));
        loop {
            let out = self
                .client()
                .query()
                .table_name(&self.tables().main)
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .expression_attribute_values(":pk", s(pk(account_id)))
                .expression_attribute_values(":prefix", s(SK_PREFIX))
                .consistent_read(true)
                .limit(i32::try_from(want - found.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(StoreError::aws)?;
            for item in out.items() {
                found.push(from_item(item)?);
            }
            match out.last_evaluated_key {
                // A page cut short by DynamoDB's 1 MB limit goes on.
                Some(last) if found.len() < want => start = Some(last),
                _ => break,
            }
        }
        Ok(found)
    }

    /// Applies `changes` if the item is still at `expected_version`; any
    /// concurrent write in between makes this fail with `ConditionFailed`.
    pub async fn update_email_provider(
        &self,
        account_id: &AccountId,
        id: EmailProviderId,
        expected_version: u64,
        changes: &EmailProviderChanges,
        updated_at: Timestamp,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        let mut sets = vec!["version = :next", "updated_at = :updated_at"];
        let mut update = Update::builder()
            .table_name(&self.tables().main)
            .set_key(Some(key(account_id, id)))
            .condition_expression("version = :expected")
            .expression_attribute_values(":expected", n(expected_version))
            .expression_attribute_values(":next", n(expected_version + 1))
            .expression_attribute_values(":updated_at", t(updated_at));
        if let Some(name) = &changes.name {
            sets.push("#name = :name");
            update = update.expression_attribute_names("#name", "name").expression_attribute_values(":name", s(name));
        }
        if let Some(region) = &changes.region {
            sets.push("#region = :region");
            update = update
                .expression_attribute_names("#region", "region")
                .expression_attribute_values(":region", s(region));
        }
        if let Some(active) = changes.is_active {
            sets.push("is_active = :active");
            update = update.expression_attribute_values(":active", AttributeValue::Bool(active));
        }
        if let Some((masked, sealed)) = &changes.credentials {
            sets.push("credentials_masked = :masked");
            sets.push("secret = :secret");
            update = update
                .expression_attribute_values(":masked", s(masked.to_string()))
                .expression_attribute_values(":secret", sealed_to_attr(sealed));
        }
        let update =
            update.update_expression(format!("SET {}", sets.join(", "))).build().expect("table, key, expression set");
        self.transact(vec![TransactWriteItem::builder().update(update).build(), self.audit_put(event)]).await
    }

    pub async fn record_email_provider_test(
        &self,
        account_id: &AccountId,
        id: EmailProviderId,
        outcome: &TestOutcome,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        self.set_last_test(key(account_id, id), outcome, event).await
    }

    /// Deletes the provider and its secret if it is still at
    /// `expected_version` (so its audit record is the last of its versions);
    /// `ConditionFailed` when it changed or is gone meanwhile.
    pub async fn delete_email_provider(
        &self,
        account_id: &AccountId,
        id: EmailProviderId,
        expected_version: u64,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        self.delete_versioned(key(account_id, id), expected_version, event).await
    }
}
