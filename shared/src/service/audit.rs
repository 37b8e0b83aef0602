//! Reading the audit log of an account.

use crate::store::audit::AuditPage;
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

    /// One page of the account's events, newest first, optionally of one
    /// resource only; `after` is the previous page's cursor.
    pub async fn list(
        &self,
        account_id: &str,
        resource_id: Option<&str>,
        limit: usize,
        after: Option<&str>,
    ) -> Result<AuditPage, ServiceError> {
        Ok(self.store.audit_events(account_id, resource_id, limit, after).await?)
    }
}
