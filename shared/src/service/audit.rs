//! Reading the audit log of an account.

use crate::store::audit::{AuditCursor, AuditFilter, AuditPage};
use crate::store::Store;

use super::ServiceError;

#[derive(Clone, Debug)]
pub struct AuditLog {
    store: Store,
}

impl AuditLog {
    pub fn new(store: Store) -> Self {
        AuditLog { store }
    }

    /// One page of the account's events, newest first, narrowed by
    /// `filter`; `after` is the previous page's cursor.
    pub async fn list(
        &self,
        account_id: &str,
        filter: &AuditFilter<'_>,
        limit: usize,
        after: Option<&AuditCursor>,
    ) -> Result<AuditPage, ServiceError> {
        Ok(self.store.audit_events(account_id, filter, limit, after).await?)
    }
}
