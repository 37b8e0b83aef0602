//! `mailkeys-admin`: how the first key of an account comes to exist. Reads
//! the same environment as the functions (`.local/env` locally).

use aws_config::BehaviorVersion;
use clap::{Parser, Subcommand};
use mailkeys::config::Settings;
use mailkeys::domain::permission::PermissionSet;
use mailkeys::domain::secret::ExposeSecret;
use mailkeys::store::Store;
use mailkeys::AppState;
use serde_json::json;

#[derive(Parser)]
#[command(name = "mailkeys-admin", about = "Create accounts and keys; set up a local emulator")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the tables and the KMS key (for a local emulator; SAM does this in AWS).
    /// Prints {"kms_key_id": ...}.
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
        account: String,
        /// Comma-separated, e.g. EmailProvidersWrite,send
        #[arg(long, value_delimiter = ',')]
        permissions: Vec<String>,
        #[arg(long)]
        name: Option<String>,
    },
    /// Print the OpenAPI document (no AWS needed); `make openapi` writes it to infra/openapi.json.
    Openapi,
}

/// What the command prints, or why it failed.
async fn run(cli: Cli) -> Result<String, String> {
    let sdk = || aws_config::load_defaults(BehaviorVersion::latest());
    let out = match cli.command {
        Command::Init { kms_alias } => {
            let sdk = sdk().await;
            let tables = Settings::tables_from_env();
            let store = Store::new(aws_sdk_dynamodb::Client::new(&sdk), tables);
            let key_id = mailkeys::bootstrap::bootstrap(&store, &aws_sdk_kms::Client::new(&sdk), &kms_alias)
                .await
                .map_err(|e| e.to_string())?;
            json!({"kms_key_id": key_id})
        }
        Command::CreateAccount { name } => {
            let app = AppState::new(Settings::from_env().map_err(|e| e.to_string())?, &sdk().await);
            let (account, created) = app.accounts.create_account(&name).await.map_err(|e| e.to_string())?;
            json!({"account_id": account.account_id, "api_key": created.key.plaintext.expose_secret()})
        }
        Command::CreateKey { account, permissions, name } => {
            let permissions = PermissionSet::parse_names(permissions.iter().map(String::as_str))
                .map_err(|unknown| format!("unknown permission: {unknown}"))?;
            let app = AppState::new(Settings::from_env().map_err(|e| e.to_string())?, &sdk().await);
            let created =
                app.accounts.create_key(&account, permissions, name.as_deref()).await.map_err(|e| e.to_string())?;
            json!({"id": created.record.key_id, "api_key": created.key.plaintext.expose_secret()})
        }
        // Pretty, as committed in infra/openapi.json.
        Command::Openapi => return Ok(mailkeys::http::openapi::document_json()),
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
