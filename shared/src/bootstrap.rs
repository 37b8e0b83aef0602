//! Setting up a fresh local emulator: the tables and the KMS key that the SAM
//! template creates in AWS.

use aws_sdk_kms::error::DisplayErrorContext;

use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("KMS: {0}")]
    Kms(String),
}

/// The id of the key behind `alias` (such as `alias/mailkeys`), creating both
/// when the alias does not exist yet.
pub async fn ensure_kms_key(kms: &aws_sdk_kms::Client, alias: &str) -> Result<String, BootstrapError> {
    let kms_err = |e: &dyn std::fmt::Display| BootstrapError::Kms(e.to_string());
    if let Ok(found) = kms.describe_key().key_id(alias).send().await {
        if let Some(id) = found.key_metadata().map(|m| m.key_id().to_string()) {
            return Ok(id);
        }
    }
    let created = kms
        .create_key()
        .description("Mailkeys data-key wrapping key")
        .send()
        .await
        .map_err(|e| kms_err(&DisplayErrorContext(e)))?;
    let key_id = created.key_metadata().map(|m| m.key_id().to_string()).ok_or_else(|| kms_err(&"no key id"))?;
    kms.create_alias()
        .alias_name(alias)
        .target_key_id(&key_id)
        .send()
        .await
        .map_err(|e| kms_err(&DisplayErrorContext(e)))?;
    Ok(key_id)
}

/// Tables and KMS key, idempotently. Returns the KMS key id.
pub async fn bootstrap(store: &Store, kms: &aws_sdk_kms::Client, alias: &str) -> Result<String, BootstrapError> {
    store.create_tables_if_missing().await?;
    ensure_kms_key(kms, alias).await
}
