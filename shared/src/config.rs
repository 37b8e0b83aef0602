//! Configuration from the environment, read once per cold start.

use serde::Serialize;

use std::time::Duration;

use crate::auth::KeyPrefix;
use crate::connectivity::{Connectivity, Trust};
use crate::store::Tables;

/// Where one mail protocol is served, as `GET /api/smtp-credentials` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProtocolEndpoint {
    pub server_name: String,
    pub port: u16,
    pub secure_port: u16,
    pub enabled: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
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
            let var = |field: &str| optional_var(&format!("MAILKEYS_{protocol}_{field}"));
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
    /// How connectivity tests reach mail servers.
    pub connectivity: Connectivity,
    /// Where GitHub's secret scanning public keys are
    /// (`MAILKEYS_GITHUB_SCANNING_KEYS_URL`).
    pub github_scanning_keys_url: String,
}

/// GitHub's own document of the keys that sign secret scanning reports.
pub const GITHUB_SCANNING_KEYS_URL: &str = "https://api.github.com/meta/public_keys/secret_scanning";

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

const DEFAULT_TEST_TIMEOUT_SECS: u64 = 10;

/// `MAILKEYS_GITHUB_SCANNING_KEYS_URL`: any http(s) URL, GitHub's own by
/// default.
fn github_keys_url_from_env() -> Result<String, ConfigError> {
    let url = var_or("MAILKEYS_GITHUB_SCANNING_KEYS_URL", GITHUB_SCANNING_KEYS_URL);
    match reqwest::Url::parse(&url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => Ok(url),
        _ => Err(ConfigError("MAILKEYS_GITHUB_SCANNING_KEYS_URL must be an http(s) URL".into())),
    }
}

/// `MAILKEYS_ALLOW_PRIVATE_HOSTS` (`false`), `MAILKEYS_TEST_TIMEOUT_SECS`
/// (10), `MAILKEYS_EXTRA_CA_FILE` (a PEM bundle, read now),
/// `MAILKEYS_SES_ENDPOINT_URL` and `MAILKEYS_SCALEWAY_API_URL`.
fn connectivity_from_env() -> Result<Connectivity, ConfigError> {
    let allow_private_hosts = match optional_var("MAILKEYS_ALLOW_PRIVATE_HOSTS") {
        None => false,
        Some(v) => v.parse().map_err(|_| ConfigError("MAILKEYS_ALLOW_PRIVATE_HOSTS must be true or false".into()))?,
    };
    let timeout_secs = match optional_var("MAILKEYS_TEST_TIMEOUT_SECS") {
        None => DEFAULT_TEST_TIMEOUT_SECS,
        Some(v) => v.parse().ok().filter(|s| (1..=60).contains(s)).ok_or_else(|| {
            ConfigError("MAILKEYS_TEST_TIMEOUT_SECS must be a whole number of seconds from 1 to 60".into())
        })?,
    };
    let extra_ca = match optional_var("MAILKEYS_EXTRA_CA_FILE") {
        None => None,
        Some(path) => Some(std::fs::read(&path).map_err(|e| ConfigError(format!("MAILKEYS_EXTRA_CA_FILE: {e}")))?),
    };
    let trust = Trust::new(extra_ca.as_deref()).map_err(ConfigError)?;
    let mut connectivity = Connectivity::new(allow_private_hosts, Duration::from_secs(timeout_secs), trust);
    connectivity.ses_endpoint = optional_var("MAILKEYS_SES_ENDPOINT_URL");
    if let Some(url) = optional_var("MAILKEYS_SCALEWAY_API_URL") {
        connectivity.scaleway_api_url = url;
    }
    Ok(connectivity)
}

/// A variable's value; unset and empty are the same.
fn optional_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn var_or(name: &str, default: &str) -> String {
    optional_var(name).unwrap_or_else(|| default.to_string())
}

/// `MAILKEYS_STAGE`, when set.
pub fn stage_from_env() -> Option<String> {
    optional_var("MAILKEYS_STAGE")
}

/// `MAILKEYS_AUDIT_EVENT_BUS`: the EventBridge bus (name or ARN) the audit
/// stream consumer also puts records on; none when unset.
pub fn audit_event_bus() -> Option<String> {
    optional_var("MAILKEYS_AUDIT_EVENT_BUS")
}

/// `MAILKEYS_WEBHOOK_QUEUE_URL`: the SQS queue of webhook messages; none
/// when unset (nothing is then queued).
pub fn webhook_queue_url() -> Option<String> {
    optional_var("MAILKEYS_WEBHOOK_QUEUE_URL")
}

impl Settings {
    /// `MAILKEYS_TABLE` (default `mailkeys`), `MAILKEYS_AUDIT_TABLE`
    /// (`mailkeys-audit`), `MAILKEYS_KMS_KEY_ID` (required) and
    /// `MAILKEYS_STAGE` (required: a deployment never guesses whether it is
    /// production).
    pub fn from_env() -> Result<Settings, ConfigError> {
        let stage = stage_from_env().ok_or_else(|| ConfigError("MAILKEYS_STAGE is not set (live or test)".into()))?;
        Self::from_env_for_stage(stage)
    }

    /// [`Settings::from_env`] for a stage found elsewhere.
    pub fn from_env_for_stage(stage: String) -> Result<Settings, ConfigError> {
        let kms_key_id =
            optional_var("MAILKEYS_KMS_KEY_ID").ok_or_else(|| ConfigError("MAILKEYS_KMS_KEY_ID is not set".into()))?;
        Ok(Settings {
            tables: Self::tables_from_env(),
            kms_key_id,
            stage,
            connection_info: ConnectionInfo::from_env()?,
            connectivity: connectivity_from_env()?,
            github_scanning_keys_url: github_keys_url_from_env()?,
        })
    }

    /// Settings for a local emulator and loopback test servers: private
    /// hosts allowed, a 10 s bound, `extra_ca_pem` trusted.
    pub fn local(tables: Tables, kms_key_id: String, extra_ca_pem: Option<&[u8]>) -> Result<Settings, ConfigError> {
        Ok(Settings {
            tables,
            kms_key_id,
            stage: "test".to_string(),
            connection_info: ConnectionInfo::defaults_for("example.com"),
            connectivity: Connectivity::new(
                true,
                Duration::from_secs(DEFAULT_TEST_TIMEOUT_SECS),
                Trust::new(extra_ca_pem).map_err(ConfigError)?,
            ),
            github_scanning_keys_url: GITHUB_SCANNING_KEYS_URL.to_string(),
        })
    }

    pub fn tables_from_env() -> Tables {
        Tables { main: var_or("MAILKEYS_TABLE", "mailkeys"), audit: var_or("MAILKEYS_AUDIT_TABLE", "mailkeys-audit") }
    }

    /// In the `live` stage webhook endpoints must be https.
    pub fn webhooks_https_only(&self) -> bool {
        self.stage == "live"
    }

    pub fn key_prefix(&self) -> KeyPrefix {
        KeyPrefix::for_stage(&self.stage)
    }
}
