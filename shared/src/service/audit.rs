//! Reading the audit log of an account.

use crate::audit::AuditEvent;
use crate::store::audit::{AuditCursor, AuditFilter};
use crate::store::Store;

use super::page::{paginate, Page};
use super::ServiceError;
use crate::domain::ids::AccountId;

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
        account_id: &AccountId,
        filter: &AuditFilter<'_>,
        limit: usize,
        after: Option<&AuditCursor>,
    ) -> Result<Page<AuditEvent>, ServiceError> {
        let events = self.store.audit_events(account_id.as_str(), filter, limit + 1, after).await?;
        let by_resource = filter.resource_id.is_some();
        Ok(paginate(events, limit, |e| AuditCursor::after(e, by_resource).to_string()))
    }
}
