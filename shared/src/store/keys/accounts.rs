//! Accounts: one item each (`ACCOUNT#<id>` / `ACCOUNT`), created with
//! their first key.

use super::super::attrs::{s, t, Reader};
use super::super::{Store, StoreError};
use super::*;
use crate::audit::AuditEvent;
use crate::domain::ids::AccountId;
use crate::domain::timestamp::Timestamp;

#[derive(Clone, Debug)]
pub struct AccountRecord {
    pub account_id: AccountId,
    pub name: String,
    pub created_at: Timestamp,
}

impl Store {
    /// Creates an account with its first key, and both audit records.
    pub async fn insert_account(
        &self,
        account: &AccountRecord,
        key: &KeyRecord,
        events: [&AuditEvent; 2],
    ) -> Result<(), StoreError> {
        let account_item = item(vec![
            ("pk", s(account_pk(&account.account_id))),
            ("sk", s("ACCOUNT")),
            ("entity", s("account")),
            ("account_id", s(&account.account_id)),
            ("name", s(&account.name)),
            ("created_at", t(account.created_at)),
        ]);
        let mut items = vec![put(&self.tables().main, account_item, "attribute_not_exists(pk)")];
        items.extend(self.key_items(key));
        items.extend(events.map(|e| self.audit_put(e)));
        self.transact(items).await
    }

    /// Every account, for the operator: a scan of the main table for account
    /// items (accounts have no index of their own; this is not an API path).
    pub async fn list_accounts(&self) -> Result<Vec<AccountRecord>, StoreError> {
        let items = self.scan_main("sk", "ACCOUNT").await?;
        let mut accounts = items
            .iter()
            .map(|found| {
                let r = Reader(found);
                Ok(AccountRecord {
                    account_id: r.id("account_id", AccountId::parse)?,
                    name: r.s("name")?,
                    created_at: r.time("created_at")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        accounts.sort_by(|a, b| a.account_id.cmp(&b.account_id));
        Ok(accounts)
    }
}
