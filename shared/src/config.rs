//! Configuration from the environment, read once per cold start.

use crate::auth::KeyPrefix;
use crate::store::Tables;

#[derive(Clone, Debug)]
pub struct Settings {
    pub tables: Tables,
    /// Key id, ARN or alias of the KMS key that wraps every data key.
    pub kms_key_id: String,
    /// `live` in production (keys start `pk_live_`), anything else otherwise.
    pub stage: String,
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

fn var_or(name: &str, default: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_string())
}

impl Settings {
    /// `MAILKEYS_TABLE` (default `mailkeys`), `MAILKEYS_AUDIT_TABLE`
    /// (`mailkeys-audit`), `MAILKEYS_KMS_KEY_ID` (required) and
    /// `MAILKEYS_STAGE` (`test`).
    pub fn from_env() -> Result<Settings, ConfigError> {
        let kms_key_id = std::env::var("MAILKEYS_KMS_KEY_ID")
            .ok()
            .filter(|v| !v.is_empty())
            .ok_or_else(|| ConfigError("MAILKEYS_KMS_KEY_ID is not set".into()))?;
        Ok(Settings { tables: Self::tables_from_env(), kms_key_id, stage: var_or("MAILKEYS_STAGE", "test") })
    }

    pub fn tables_from_env() -> Tables {
        Tables { main: var_or("MAILKEYS_TABLE", "mailkeys"), audit: var_or("MAILKEYS_AUDIT_TABLE", "mailkeys-audit") }
    }

    pub fn key_prefix(&self) -> KeyPrefix {
        KeyPrefix::for_stage(&self.stage)
    }
}
