//! Webhook endpoints, `ACCOUNT#<account>` / `WEBHOOK#<id>`, counted on the
//! account item (`webhook_count`, at most
//! [`MAX_ENDPOINTS_PER_ACCOUNT`]); and their delivery attempts,
//! `WEBHOOK#<id>` / `DELIVERY#<attempt id>`, kept 30 days (TTL).

use aws_sdk_dynamodb::types::builders::UpdateBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem, Update};

use super::attrs::{moved_item, n, s, string_list, t, Item, Reader};
use super::email_providers::{sealed_from_attr, sealed_to_attr};
use super::schema::TTL_ATTRIBUTE;
use super::{Store, StoreError};
use crate::audit::AuditEvent;
use crate::crypto::SealedSecret;
use crate::domain::ids::{AccountId, DeliveryId, WebhookId};
use crate::domain::timestamp::Timestamp;
use crate::domain::webhook::{EventSelection, WebhookUrl, MAX_ENDPOINTS_PER_ACCOUNT};

const SK_PREFIX: &str = "WEBHOOK#";
const DELIVERY_PREFIX: &str = "DELIVERY#";
/// How long delivery attempts are listed.
const DELIVERY_DAYS: i64 = 30;

#[derive(Clone, Debug, PartialEq)]
pub struct WebhookRecord {
    pub id: WebhookId,
    pub account_id: AccountId,
    pub url: WebhookUrl,
    pub events: EventSelection,
    pub description: String,
    pub enabled: bool,
    /// Why the dispatcher turned it off, when it did.
    pub disabled_reason: Option<String>,
    /// When its deliveries began failing without a success since.
    pub failing_since: Option<Timestamp>,
    pub secret: SealedSecret,
    /// The secret before the last rotation, which signs beside the new one
    /// until `previous_secret_until`.
    pub previous_secret: Option<(SealedSecret, Timestamp)>,
    pub version: u64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// One delivery attempt: what was sent (its type and id, never its body)
/// and what the receiver answered (a status code, or why there was none).
#[derive(Clone, Debug, PartialEq)]
pub struct DeliveryRecord {
    pub id: DeliveryId,
    pub event_id: String,
    pub event_type: String,
    pub attempt: u32,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub at: Timestamp,
}

fn account_pk(account_id: &AccountId) -> String {
    format!("ACCOUNT#{account_id}")
}

fn key(account_id: &AccountId, id: &WebhookId) -> Item {
    Item::from([("pk".to_string(), s(account_pk(account_id))), ("sk".to_string(), s(format!("{SK_PREFIX}{id}")))])
}

fn account_key(account_id: &AccountId) -> Item {
    Item::from([("pk".to_string(), s(account_pk(account_id))), ("sk".to_string(), s("ACCOUNT"))])
}

fn deliveries_pk(id: &WebhookId) -> String {
    format!("WEBHOOK#{id}")
}

fn from_item(item: &Item) -> Result<WebhookRecord, StoreError> {
    let r = Reader(item);
    let (account_id, id) = r.owner_key(SK_PREFIX)?;
    if r.s("id")? != id {
        return Err(moved_item());
    }
    let corrupt = |what: &str| StoreError::Corrupt(format!("a webhook's {what} does not parse"));
    let previous_secret = match (item.get("previous_secret"), r.opt_time("previous_secret_until")?) {
        (Some(_), Some(until)) => Some((sealed_from_attr(r.map("previous_secret")?)?, until)),
        _ => None,
    };
    Ok(WebhookRecord {
        id: WebhookId::parse(&id).ok_or_else(|| corrupt("id"))?,
        account_id,
        // As saved: the stage's scheme rule was checked then.
        url: WebhookUrl::parse(&r.s("url")?, false).map_err(|_| corrupt("url"))?,
        events: EventSelection::parse(&r.string_list("events")?).map_err(|_| corrupt("events"))?,
        description: r.opt_s("description")?.unwrap_or_default(),
        enabled: r.bool("enabled")?,
        disabled_reason: r.opt_s("disabled_reason")?,
        failing_since: r.opt_time("failing_since")?,
        secret: sealed_from_attr(r.map("secret")?)?,
        previous_secret,
        version: r.n("version")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

fn delivery_from_item(item: &Item) -> Result<DeliveryRecord, StoreError> {
    let r = Reader(item);
    let id = r.s("sk")?.strip_prefix(DELIVERY_PREFIX).and_then(DeliveryId::parse);
    Ok(DeliveryRecord {
        id: id.ok_or_else(|| StoreError::Corrupt("a delivery's key is not of its kind".into()))?,
        event_id: r.s("event_id")?,
        event_type: r.s("event_type")?,
        attempt: r.n("attempt")?,
        status_code: match item.get("status_code") {
            Some(_) => Some(r.n("status_code")?),
            None => None,
        },
        error: r.opt_s("error")?,
        at: r.time("at")?,
    })
}

fn tx_update(update: UpdateBuilder) -> TransactWriteItem {
    TransactWriteItem::builder().update(update.build().expect("table, key, expression set")).build()
}

impl Store {
    /// Saves a new endpoint, counted on its account: `ConditionFailed {
    /// index: 0 }` when the account has no such item or already has the
    /// most endpoints it may have.
    pub async fn insert_webhook(&self, r: &WebhookRecord, event: &AuditEvent) -> Result<(), StoreError> {
        let count = Update::builder()
            .table_name(&self.tables().main)
            .set_key(Some(account_key(&r.account_id)))
            .update_expression("SET webhook_count = if_not_exists(webhook_count, :zero) + :one")
            .condition_expression(
                "attribute_exists(pk) AND (attribute_not_exists(webhook_count) OR webhook_count < :max)",
            )
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":max", n(MAX_ENDPOINTS_PER_ACCOUNT));
        let mut item = key(&r.account_id, &r.id);
        item.extend(
            [
                ("entity", s("webhook")),
                ("id", s(&r.id)),
                ("account_id", s(&r.account_id)),
                ("url", s(r.url.as_str())),
                ("events", string_list(r.events.names())),
                ("description", s(&r.description)),
                ("enabled", AttributeValue::Bool(r.enabled)),
                ("secret", sealed_to_attr(&r.secret)),
                ("version", n(r.version)),
                ("created_at", t(r.created_at)),
                ("updated_at", t(r.updated_at)),
            ]
            .map(|(k, v)| (k.to_string(), v)),
        );
        self.transact(vec![tx_update(count), self.put_new_main(item), self.audit_put(event)]).await
    }

    pub async fn get_webhook(&self, account_id: &AccountId, id: &WebhookId) -> Result<WebhookRecord, StoreError> {
        let found = self.get_main(key(account_id, id)).await?;
        found.as_ref().map(from_item).unwrap_or(Err(StoreError::NotFound))
    }

    /// Every endpoint of the account, oldest first (there are at most ten).
    pub async fn list_webhooks(&self, account_id: &AccountId) -> Result<Vec<WebhookRecord>, StoreError> {
        self.query_main(account_pk(account_id), SK_PREFIX).await?.iter().map(from_item).collect()
    }

    /// Writes `new`'s settings (and, when it changed, its secret and the
    /// one before it) over `old` if `old` is still what is stored.
    pub async fn replace_webhook(
        &self,
        old: &WebhookRecord,
        new: &WebhookRecord,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        let mut sets = vec![
            "#url = :url",
            "events = :events",
            "description = :description",
            "enabled = :enabled",
            "version = :next",
            "updated_at = :now",
        ];
        let mut removes = Vec::new();
        let mut update = Update::builder()
            .table_name(&self.tables().main)
            .set_key(Some(key(&old.account_id, &old.id)))
            .condition_expression("version = :expected")
            .expression_attribute_names("#url", "url")
            .expression_attribute_values(":expected", n(old.version))
            .expression_attribute_values(":url", s(new.url.as_str()))
            .expression_attribute_values(":events", string_list(new.events.names()))
            .expression_attribute_values(":description", s(&new.description))
            .expression_attribute_values(":enabled", AttributeValue::Bool(new.enabled))
            .expression_attribute_values(":next", n(old.version + 1))
            .expression_attribute_values(":now", t(new.updated_at));
        match &new.disabled_reason {
            Some(reason) => {
                sets.push("disabled_reason = :reason");
                update = update.expression_attribute_values(":reason", s(reason));
            }
            None => removes.push("disabled_reason"),
        }
        match new.failing_since {
            Some(since) => {
                sets.push("failing_since = :since");
                update = update.expression_attribute_values(":since", t(since));
            }
            None => removes.push("failing_since"),
        }
        if new.secret != old.secret {
            sets.push("secret = :secret");
            update = update.expression_attribute_values(":secret", sealed_to_attr(&new.secret));
        }
        match &new.previous_secret {
            Some((previous, until)) => {
                sets.push("previous_secret = :previous, previous_secret_until = :until");
                update = update
                    .expression_attribute_values(":previous", sealed_to_attr(previous))
                    .expression_attribute_values(":until", t(*until));
            }
            None => removes.push("previous_secret, previous_secret_until"),
        }
        let mut expression = format!("SET {}", sets.join(", "));
        if !removes.is_empty() {
            expression.push_str(&format!(" REMOVE {}", removes.join(", ")));
        }
        self.transact(vec![tx_update(update.update_expression(expression)), self.audit_put(event)]).await
    }

    /// Deletes the endpoint if it is still at `expected_version`, and
    /// counts it off its account.
    pub async fn delete_webhook(
        &self,
        account_id: &AccountId,
        id: &WebhookId,
        expected_version: u64,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        let delete = Delete::builder()
            .table_name(&self.tables().main)
            .set_key(Some(key(account_id, id)))
            .condition_expression("version = :expected")
            .expression_attribute_values(":expected", n(expected_version))
            .build()
            .expect("table, key, condition set");
        let count = Update::builder()
            .table_name(&self.tables().main)
            .set_key(Some(account_key(account_id)))
            .update_expression("SET webhook_count = webhook_count - :one")
            .condition_expression("webhook_count > :zero")
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1));
        let items = vec![TransactWriteItem::builder().delete(delete).build(), tx_update(count), self.audit_put(event)];
        self.transact(items).await
    }

    /// Notes that a delivery to the endpoint failed: from when it has been
    /// failing, if it was not already (a note, not a change: no version).
    pub async fn note_webhook_failing(
        &self,
        account_id: &AccountId,
        id: &WebhookId,
        since: Timestamp,
    ) -> Result<(), StoreError> {
        self.note_webhook(account_id, id, "SET failing_since = if_not_exists(failing_since, :since)", Some(since)).await
    }

    /// Notes that a delivery to the endpoint succeeded.
    pub async fn note_webhook_working(&self, account_id: &AccountId, id: &WebhookId) -> Result<(), StoreError> {
        self.note_webhook(account_id, id, "REMOVE failing_since", None).await
    }

    async fn note_webhook(
        &self,
        account_id: &AccountId,
        id: &WebhookId,
        expression: &str,
        since: Option<Timestamp>,
    ) -> Result<(), StoreError> {
        let result = self
            .client()
            .update_item()
            .table_name(&self.tables().main)
            .set_key(Some(key(account_id, id)))
            .update_expression(expression)
            .condition_expression("attribute_exists(pk)")
            .set_expression_attribute_values(since.map(|at| [(":since".to_string(), t(at))].into()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Deleted meanwhile: nothing to note.
            Err(err) if err.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => Ok(()),
            Err(err) => Err(StoreError::aws(err)),
        }
    }

    /// Records one delivery attempt to endpoint `id`.
    pub async fn put_delivery(&self, id: &WebhookId, delivery: &DeliveryRecord) -> Result<(), StoreError> {
        let expires = (delivery.at + time::Duration::days(DELIVERY_DAYS)).as_offset_date_time().unix_timestamp();
        let mut item: Item = [
            ("pk", s(deliveries_pk(id))),
            ("sk", s(format!("{DELIVERY_PREFIX}{}", delivery.id))),
            ("entity", s("webhook_delivery")),
            ("event_id", s(&delivery.event_id)),
            ("event_type", s(&delivery.event_type)),
            ("attempt", n(delivery.attempt)),
            ("at", t(delivery.at)),
            (TTL_ATTRIBUTE, n(expires)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        if let Some(code) = delivery.status_code {
            item.insert("status_code".into(), n(code));
        }
        if let Some(error) = &delivery.error {
            item.insert("error".into(), s(error));
        }
        self.client()
            .put_item()
            .table_name(&self.tables().main)
            .set_item(Some(item))
            .send()
            .await
            .map_err(StoreError::aws)?;
        Ok(())
    }

    /// Up to `want` attempts to endpoint `id`, newest first, older than
    /// `before` when given.
    pub async fn page_deliveries(
        &self,
        id: &WebhookId,
        want: usize,
        before: Option<&DeliveryId>,
    ) -> Result<Vec<DeliveryRecord>, StoreError> {
        let start = before.map(|cursor| {
            Item::from([
                ("pk".to_string(), s(deliveries_pk(id))),
                ("sk".to_string(), s(format!("{DELIVERY_PREFIX}{cursor}"))),
            ])
        });
        let out = self
            .client()
            .query()
            .table_name(&self.tables().main)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", s(deliveries_pk(id)))
            .expression_attribute_values(":prefix", s(DELIVERY_PREFIX))
            .scan_index_forward(false)
            .limit(i32::try_from(want).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start)
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::aws)?;
        out.items().iter().map(delivery_from_item).collect()
    }
}
