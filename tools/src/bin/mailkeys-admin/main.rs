//! `mailkeys-admin`: the operator's tool for what the API cannot do: how the
//! first key of an account comes to exist, platform service keys, and
//! revoking any key. Talks to AWS directly and reads the same environment as
//! the functions (`.local/env` locally).

mod github;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use mailkeys::auth::is_production;
use mailkeys::config::{stage_from_env, Settings};
use mailkeys::domain::ids::{AccountId, KeyId, ServiceKeyId};
use mailkeys::domain::permission::{Permission, PermissionSet};
use mailkeys::domain::secret::ExposeSecret;
use mailkeys::store::schema::STAGE_TAG;
use mailkeys::store::Store;
use mailkeys::AppState;
use serde_json::json;

#[derive(Parser)]
#[command(
    name = "mailkeys-admin",
    version,
    about = "Accounts, first keys and platform service keys; set up a local emulator"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the tables, the KMS key and the webhook queue (for a local
    /// emulator; SAM does this in AWS). Prints {"kms_key_id", "webhook_queue_url"}.
    Init {
        #[arg(long, default_value = "alias/mailkeys")]
        kms_alias: String,
    },
    /// Create an account and its first admin key. Prints {"account_id", "api_key"}.
    CreateAccount {
        #[arg(long)]
        name: String,
    },
    /// Create a key in an account. Prints {"id", "api_key"}.
    CreateKey {
        #[arg(long)]
        account: AccountId,
        /// Comma-separated, e.g. EmailProvidersWrite,send
        #[arg(long, value_delimiter = ',')]
        permissions: Vec<String>,
        #[arg(long)]
        name: Option<String>,
    },
    /// Revoke any key of an account, even its last admin key. Prints {"id", "revoked": true}.
    RevokeKey {
        #[arg(long)]
        account: AccountId,
        #[arg(long)]
        id: KeyId,
    },
    /// List every account, one JSON object a line.
    ListAccounts,
    /// List every key of an account (revoked and expired ones too), one JSON
    /// object a line (never the keys themselves).
    ListKeys {
        #[arg(long)]
        account: AccountId,
    },
    /// Create a platform service key: the /api/internal/* routes, for every account.
    /// Prints {"id", "api_key"}.
    CreateServiceKey {
        #[arg(long)]
        name: String,
    },
    /// List platform service keys, one JSON object a line (never the keys themselves).
    ListServiceKeys,
    /// Revoke a platform service key. Prints {"id", "revoked": true}.
    RevokeServiceKey {
        #[arg(long)]
        id: ServiceKeyId,
    },
    /// Once after upgrading a deployment made before key lists read the
    /// active-keys index: puts its existing keys there. Safe to run again.
    /// Prints {"keys_updated": N}.
    MigrateKeys,
    /// Once after upgrading a deployment made before audit records carried
    /// their resource's version: puts the older records in the listing by
    /// resource (before every newer one). Safe to run again. Prints
    /// {"records_updated": N}.
    MigrateAudit,
    /// Print the OpenAPI document (no AWS needed); `make openapi` writes it to infra/openapi.json.
    Openapi,
    /// For make dev: a key pair standing in for GitHub's secret scanning
    /// keys, written into DIR (the private key 0600, and the keys document
    /// mailkeys-local serves). Keeps an existing pair. Prints the paths.
    GithubTestKeys {
        #[arg(long)]
        dir: PathBuf,
    },
    /// For make dev: signs the report on stdin (a JSON array of {"token",
    /// "type", "url", "source"}) with the stand-in's private key as GitHub
    /// does, sends it to the server and prints its answer.
    SendGithubReport {
        /// The server, such as http://127.0.0.1:8080.
        #[arg(long)]
        url: String,
        #[arg(long)]
        key_file: PathBuf,
    },
}

/// The deployment's stage, from `MAILKEYS_STAGE` (`.local/env` locally) or
/// the stage tag the SAM template puts on the main table. A key is never
/// minted on a guess: a test key against production would not work there,
/// and a production key must never look like a test one.
async fn deployment_stage(store: &Store) -> Result<String, String> {
    if let Some(stage) = stage_from_env() {
        return Ok(stage);
    }
    match store.stage_tag().await {
        Ok(Some(stage)) => Ok(stage),
        Ok(None) => Err(format!(
            "cannot tell whether this deployment is production, so no key was made: \
             the table {} has no {STAGE_TAG} tag; set MAILKEYS_STAGE to live or test \
             (locally: source .local/env)",
            store.tables().main
        )),
        Err(err) => Err(format!(
            "cannot tell whether this deployment is production, so no key was made ({err}); \
             set MAILKEYS_STAGE to live or test (locally: source .local/env)"
        )),
    }
}

/// The environment's AWS configuration, or what to do when there is none.
async fn aws() -> Result<aws_config::SdkConfig, String> {
    let sdk = mailkeys::aws::sdk_config().await;
    if sdk.region().is_none() {
        return Err("no AWS settings: run `source .local/env` first (locally, beside `make dev`), \
                    or set AWS_REGION and your AWS credentials for a deployed stack"
            .to_string());
    }
    Ok(sdk)
}

/// Permission names as given (`a,b` or `a, b`); an unknown one is refused
/// with the list of valid names.
fn parse_permissions(names: &[String]) -> Result<PermissionSet, String> {
    PermissionSet::parse_names(names.iter().map(|n| n.trim()).filter(|n| !n.is_empty())).map_err(|unknown| {
        let valid: Vec<&str> = Permission::ALL.iter().map(|p| p.as_str()).collect();
        format!("unknown permission {unknown:?}; valid names: {}", valid.join(", "))
    })
}

/// The application over the environment's AWS, for the deployment's stage.
async fn app() -> Result<AppState, String> {
    let sdk = aws().await?;
    let store = Store::new(aws_sdk_dynamodb::Client::new(&sdk), Settings::tables_from_env());
    let stage = deployment_stage(&store).await?;
    if !is_production(&stage) && stage != "test" {
        return Err(format!("unknown stage {stage:?}: use live or test"));
    }
    let settings = Settings::from_env_for_stage(stage).map_err(|e| e.to_string())?;
    Ok(AppState::new(settings, &sdk))
}

/// A key's last use as the listings print it: when, from where, what for
/// (each `null` when not known).
fn last_use(used: &Option<mailkeys::domain::key::KeyUse>) -> (Option<String>, Option<String>, Option<String>) {
    match used {
        None => (None, None, None),
        Some(u) => (Some(u.at.to_string()), u.from.map(|ip| ip.to_string()), u.used_for.clone()),
    }
}

/// One JSON document a line.
fn json_lines(values: impl Iterator<Item = serde_json::Value>) -> String {
    values.map(|v| format!("{v}\n")).collect()
}

/// What the command prints, or why it failed.
async fn run(cli: Cli) -> Result<String, String> {
    let out = match cli.command {
        Command::Init { kms_alias } => {
            let sdk = aws().await?;
            let store = Store::new(aws_sdk_dynamodb::Client::new(&sdk), Settings::tables_from_env());
            let key_id = mailkeys::bootstrap::bootstrap(&store, &aws_sdk_kms::Client::new(&sdk), &kms_alias)
                .await
                .map_err(|e| e.to_string())?;
            let queue = mailkeys::webhook_queue::create_local_queue(&sdk, "mailkeys-webhooks").await?;
            json!({"kms_key_id": key_id, "webhook_queue_url": queue})
        }
        Command::CreateAccount { name } => {
            let (account, created) = app().await?.accounts.create_account(&name).await.map_err(|e| e.to_string())?;
            json!({"account_id": account.account_id, "api_key": created.key.plaintext.expose_secret()})
        }
        Command::CreateKey { account, permissions, name } => {
            let permissions = parse_permissions(&permissions)?;
            let app = app().await?;
            let created =
                app.accounts.create_key(&account, permissions, name.as_deref()).await.map_err(|e| e.to_string())?;
            json!({"id": created.record.key_id, "api_key": created.key.plaintext.expose_secret()})
        }
        Command::RevokeKey { account, id } => {
            app().await?.accounts.revoke_key(&account, &id).await.map_err(|e| e.to_string())?;
            json!({"id": id, "revoked": true})
        }
        Command::CreateServiceKey { name } => {
            let (record, key) = app().await?.accounts.create_service_key(&name).await.map_err(|e| e.to_string())?;
            json!({"id": record.key_id, "api_key": key.plaintext.expose_secret()})
        }
        Command::MigrateKeys => {
            let updated = app().await?.accounts.migrate_keys().await.map_err(|e| e.to_string())?;
            return Ok(json!({"keys_updated": updated}).to_string());
        }
        Command::MigrateAudit => {
            let updated = app().await?.accounts.migrate_audit().await.map_err(|e| e.to_string())?;
            return Ok(json!({"records_updated": updated}).to_string());
        }
        Command::ListAccounts => {
            let accounts = app().await?.accounts.list_accounts().await.map_err(|e| e.to_string())?;
            return Ok(json_lines(
                accounts
                    .iter()
                    .map(|a| json!({"account_id": a.account_id, "name": a.name, "created_at": a.created_at})),
            ));
        }
        Command::ListKeys { account } => {
            let keys = app().await?.accounts.list_keys(&account).await.map_err(|e| e.to_string())?;
            return Ok(json_lines(keys.iter().map(|k| {
                let (at, from, used_for) = last_use(&k.last_use);
                json!({"id": k.key_id, "name": k.name, "prefix": k.prefix, "permissions": k.permissions.names(),
                       "created_at": k.created_at, "last_used_at": at, "last_used_from": from,
                       "last_used_for": used_for, "expires_at": k.expires_at, "replaced_by": k.replaced_by,
                       "allowed_cidrs": k.allowed_cidrs.names(), "revoked_at": k.revoked_at,
                       "revoked_reason": k.revoked_reason, "exposed_url": k.exposed_url})
            })));
        }
        Command::ListServiceKeys => {
            let keys = app().await?.accounts.list_service_keys().await.map_err(|e| e.to_string())?;
            return Ok(json_lines(keys.iter().map(|k| {
                let (at, from, used_for) = last_use(&k.last_use);
                json!({"id": k.key_id, "name": k.name, "created_at": k.created_at, "last_used_at": at,
                       "last_used_from": from, "last_used_for": used_for, "revoked_at": k.revoked_at,
                       "revoked_reason": k.revoked_reason, "exposed_url": k.exposed_url})
            })));
        }
        Command::RevokeServiceKey { id } => {
            app().await?.accounts.revoke_service_key(&id).await.map_err(|e| e.to_string())?;
            json!({"id": id, "revoked": true})
        }
        // Pretty, as committed in infra/openapi.json.
        Command::Openapi => return Ok(mailkeys::http::openapi::document_json()),
        Command::GithubTestKeys { dir } => github::write_test_keys(&dir)?,
        Command::SendGithubReport { url, key_file } => {
            return github::send_report(&url, &key_file).await.map(|a| a + "\n")
        }
    };
    Ok(format!("{out}\n"))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    match run(Cli::parse()).await {
        Ok(out) => {
            print!("{out}");
            std::process::ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("mailkeys-admin: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}
