//! Configuration from the environment, read once per cold start.

use serde::Serialize;

use crate::auth::KeyPrefix;
use crate::store::Tables;

/// Where one mail protocol is served, as `GET /api/smtp-credentials` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProtocolEndpoint {
    pub server_name: String,
    pub port: u16,
    pub secure_port: u16,
    pub enabled: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConnectionInfo {
    pub smtp: ProtocolEndpoint,
    pub pop3: ProtocolEndpoint,
    pub imap: ProtocolEndpoint,
}

impl ConnectionInfo {
    /// `smtp.<domain>` on 587/465, `pop3.<domain>` on 110/995,
    /// `imap.<domain>` on 143/993, all enabled.
    pub fn defaults_for(domain: &str) -> ConnectionInfo {
        let endpoint = |name: &str, port, secure_port| ProtocolEndpoint {
            server_name: format!("{name}.{domain}"),
            port,
            secure_port,
            enabled: true,
        };
        ConnectionInfo {
            smtp: endpoint("smtp", 587, 465),
            pop3: endpoint("pop3", 110, 995),
            imap: endpoint("imap", 143, 993),
        }
    }

    /// The defaults for `MAILKEYS_MAIL_DOMAIN` (`example.com`), each field
    /// overridable: `MAILKEYS_<SMTP|POP3|IMAP>_<SERVER|PORT|SECURE_PORT|ENABLED>`.
    pub fn from_env() -> Result<ConnectionInfo, ConfigError> {
        let mut info = ConnectionInfo::defaults_for(&var_or("MAILKEYS_MAIL_DOMAIN", "example.com"));
        for (protocol, endpoint) in [("SMTP", &mut info.smtp), ("POP3", &mut info.pop3), ("IMAP", &mut info.imap)] {
            let var =
                |field: &str| std::env::var(format!("MAILKEYS_{protocol}_{field}")).ok().filter(|v| !v.is_empty());
            let bad = |field: &str| ConfigError(format!("MAILKEYS_{protocol}_{field} is not valid"));
            if let Some(server) = var("SERVER") {
                endpoint.server_name = server;
            }
            if let Some(port) = var("PORT") {
                endpoint.port = port.parse().map_err(|_| bad("PORT"))?;
            }
            if let Some(port) = var("SECURE_PORT") {
                endpoint.secure_port = port.parse().map_err(|_| bad("SECURE_PORT"))?;
            }
            if let Some(enabled) = var("ENABLED") {
                endpoint.enabled = enabled.parse().map_err(|_| bad("ENABLED"))?;
            }
        }
        Ok(info)
    }
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub tables: Tables,
    /// Key id, ARN or alias of the KMS key that wraps every data key.
    pub kms_key_id: String,
    /// `live` in production (keys start `pk_live_`), anything else otherwise.
    pub stage: String,
    /// What `GET /api/smtp-credentials` tells clients about the mail servers.
    pub connection_info: ConnectionInfo,
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
        Ok(Settings {
            tables: Self::tables_from_env(),
            kms_key_id,
            stage: var_or("MAILKEYS_STAGE", "test"),
            connection_info: ConnectionInfo::from_env()?,
        })
    }

    pub fn tables_from_env() -> Tables {
        Tables { main: var_or("MAILKEYS_TABLE", "mailkeys"), audit: var_or("MAILKEYS_AUDIT_TABLE", "mailkeys-audit") }
    }

    pub fn key_prefix(&self) -> KeyPrefix {
        KeyPrefix::for_stage(&self.stage)
    }
}
