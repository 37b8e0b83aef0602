//! The command line: one command per route of the API.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
pub use mailkeys::domain::email_provider::ProviderType;

#[derive(Parser)]
#[command(
    name = "mailkeys",
    version,
    about = "Manage a Mailkeys service from the terminal: email providers, provider credentials, API keys, \
             SMTP credentials and the audit trail.",
    after_help = "Where and who: --url and --api-key-file, or --profile NAME (written by `mailkeys login`), \
                  or MAILKEYS_URL and MAILKEYS_API_KEY, or the profile \"default\". A key is never taken \
                  as a command-line value.\n\
                  Exit status: 0 done, 1 the API refused, 2 a usage error, 3 the server cannot be reached."
)]
pub struct Cli {
    /// The service's base URL [default: $MAILKEYS_URL, else http://127.0.0.1:8080]
    #[arg(long, global = true, value_name = "URL")]
    pub url: Option<String>,
    /// Read the API key from this file (its first line).
    #[arg(long, global = true, value_name = "PATH")]
    pub api_key_file: Option<PathBuf>,
    /// A profile of the config file (~/.config/mailkeys/config.toml), written by `mailkeys login`.
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Print the API's JSON unchanged, one document per command.
    #[arg(long, global = true)]
    pub json: bool,
    /// Add the request id to errors.
    #[arg(long, short, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Check a key against the server and keep it in a profile of the config file.
    Login {
        /// Read the key from stdin instead of a hidden prompt.
        #[arg(long)]
        key_stdin: bool,
    },
    /// Email providers: outbound AWS SES, Scaleway and SMTP credentials.
    #[command(subcommand)]
    Providers(Providers),
    /// Provider credentials: the account's IMAP and SMTP logins.
    #[command(subcommand)]
    Credentials(Credentials),
    /// Email API keys.
    #[command(subcommand, name = "api-keys")]
    ApiKeys(ApiKeys),
    /// SMTP credentials: keys for the mail protocols.
    #[command(subcommand, name = "smtp-credentials")]
    SmtpCredentials(SmtpCredentials),
    /// Webhook endpoints: where the account is told what happens to its credentials.
    #[command(subcommand)]
    Webhooks(Webhooks),
    /// The account's audit trail.
    #[command(subcommand)]
    Audit(Audit),
    /// Print a shell completion script: mailkeys completions bash > /etc/bash_completion.d/mailkeys
    Completions { shell: clap_complete::Shell },
}

/// Where a secret comes from: stdin, or a hidden prompt on a terminal.
#[derive(Args, Clone, Copy, Default)]
pub struct SecretSource {
    /// Read the secret from stdin: the credential block as JSON, or one line holding the secret.
    #[arg(long)]
    pub secret_stdin: bool,
}

/// `--type`: the API's own provider types.
fn provider_type() -> impl clap::builder::TypedValueParser<Value = ProviderType> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(["ses", "scaleway", "smtp"])
        .map(|name| ProviderType::parse(&name).expect("one of the possible values"))
}

/// The non-secret fields of a provider's credential block.
#[derive(Args, Default)]
pub struct ProviderBlock {
    /// SES: the access key id.
    #[arg(long)]
    pub access_key_id: Option<String>,
    /// Scaleway: the project id.
    #[arg(long)]
    pub project_id: Option<String>,
    /// SMTP: the server's host.
    #[arg(long)]
    pub host: Option<String>,
    /// SMTP: the server's port.
    #[arg(long)]
    pub port: Option<u16>,
    /// SMTP: starttls, tls or none.
    #[arg(long)]
    pub encryption: Option<String>,
    /// SMTP: the login name.
    #[arg(long)]
    pub username: Option<String>,
    /// SMTP: accept a certificate that does not verify.
    #[arg(long)]
    pub accept_invalid_certs: Option<bool>,
}

#[derive(Subcommand)]
pub enum Providers {
    /// List the account's email providers, by id.
    List {
        #[command(flatten)]
        page: Page,
    },
    /// Show one provider (masked).
    Get { id: u64 },
    /// Create a provider; its secret comes from stdin (--secret-stdin) or a hidden prompt.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long = "type", value_parser = provider_type())]
        provider_type: ProviderType,
        #[arg(long)]
        region: String,
        #[arg(long)]
        active: Option<bool>,
        #[command(flatten)]
        block: ProviderBlock,
        #[command(flatten)]
        secret: SecretSource,
    },
    /// Change only what is given; a new secret with --secret-stdin or --prompt-secret.
    Update {
        id: u64,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        region: Option<String>,
        #[arg(long)]
        active: Option<bool>,
        #[command(flatten)]
        block: ProviderBlock,
        #[command(flatten)]
        secret: SecretSource,
        /// Ask for a new secret on the terminal.
        #[arg(long, conflicts_with = "secret_stdin")]
        prompt_secret: bool,
    },
    /// Delete a provider and its stored secret.
    Delete { id: u64 },
    /// Test a provider's credentials; with --to, send one real message.
    Test {
        id: u64,
        #[arg(long, value_name = "ADDRESS")]
        to: Option<String>,
    },
}

/// Which account: the key's own unless named.
#[derive(Args)]
pub struct AccountArg {
    /// The account [default: the key's own]
    #[arg(long)]
    pub account: Option<String>,
}

#[derive(Args)]
pub struct Page {
    /// At most this many (1-100).
    #[arg(long)]
    pub limit: Option<u32>,
    /// The next_cursor (nextCursor) of the previous page.
    #[arg(long)]
    pub cursor: Option<String>,
}

#[derive(Subcommand)]
pub enum Credentials {
    /// List the account's provider credentials.
    List {
        #[command(flatten)]
        account: AccountArg,
        #[command(flatten)]
        page: Page,
    },
    /// Search by kind, host, security mode, auth kind or last test.
    Search {
        #[command(flatten)]
        account: AccountArg,
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        host: Option<String>,
        #[arg(long)]
        security_mode: Option<String>,
        #[arg(long)]
        auth_kind: Option<String>,
        /// ok, failed or never.
        #[arg(long)]
        last_test_status: Option<String>,
        #[command(flatten)]
        page: Page,
    },
    /// Show one credential (the username masked, never the secret).
    Get { id: String },
    /// Create a credential; its password or token from stdin (--secret-stdin) or a hidden prompt.
    Create {
        #[command(flatten)]
        account: AccountArg,
        /// imap or smtp.
        #[arg(long)]
        kind: String,
        #[arg(long)]
        host: String,
        #[arg(long)]
        port: u16,
        /// ssl_tls, starttls or none.
        #[arg(long)]
        security_mode: String,
        /// password or oauth2.
        #[arg(long, default_value = "password")]
        auth_kind: String,
        #[arg(long)]
        username: String,
        #[command(flatten)]
        secret: SecretSource,
    },
    /// Change non-secret fields; a new host, port or security mode also needs the secret.
    Update {
        id: String,
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        host: Option<String>,
        #[arg(long)]
        port: Option<u16>,
        #[arg(long)]
        security_mode: Option<String>,
        #[command(flatten)]
        secret: SecretSource,
        /// Ask for the secret on the terminal.
        #[arg(long, conflicts_with = "secret_stdin")]
        prompt_secret: bool,
    },
    /// Replace the secret (and optionally the username or auth kind).
    Rotate {
        id: String,
        #[arg(long)]
        username: Option<String>,
        #[arg(long)]
        auth_kind: Option<String>,
        #[command(flatten)]
        secret: SecretSource,
    },
    /// Log in to the server with the stored secret.
    Test { id: String },
    /// Delete a credential and its stored secret.
    Delete { id: String },
}

#[derive(Subcommand)]
pub enum Webhooks {
    /// List the account's endpoints, oldest first (never their secrets).
    List {
        #[command(flatten)]
        page: Page,
    },
    /// Add an endpoint; its signing secret is printed once.
    Create {
        /// Where events are POSTed (https in production); --url stays the service's own.
        #[arg(long, value_name = "URL")]
        endpoint_url: String,
        /// Comma-separated event types, or * for all but credential.resolved [default: *]
        #[arg(long, value_delimiter = ',')]
        events: Option<Vec<String>>,
        #[arg(long)]
        description: Option<String>,
    },
    /// Change an endpoint's URL, events or description, or turn it off or on.
    Update {
        id: String,
        #[arg(long, value_name = "URL")]
        endpoint_url: Option<String>,
        #[arg(long, value_delimiter = ',')]
        events: Option<Vec<String>>,
        #[arg(long)]
        description: Option<String>,
        /// Turn it on (also after the dispatcher disabled it).
        #[arg(long, conflicts_with = "disable")]
        enable: bool,
        /// Turn it off: nothing is sent to it until it is turned on.
        #[arg(long)]
        disable: bool,
    },
    /// Delete an endpoint: nothing more is sent to it.
    Delete { id: String },
    /// Send a webhook.test event now and show what the receiver answered.
    Test { id: String },
    /// Recent delivery attempts, newest first (never a body).
    Deliveries {
        id: String,
        #[command(flatten)]
        page: Page,
    },
    /// A new signing secret, printed once; the old one keeps signing beside it for 24 hours.
    RotateSecret { id: String },
}

#[derive(Subcommand)]
pub enum ApiKeys {
    /// List active keys, oldest first (never the keys themselves).
    List {
        #[command(flatten)]
        page: Page,
    },
    /// Create a key; it is printed once.
    Create {
        #[arg(long)]
        name: String,
        /// Comma-separated, e.g. send,read [default: send,read]
        #[arg(long, value_delimiter = ',')]
        permissions: Option<Vec<String>>,
        /// Days until it expires (1-3650) [default: never]
        #[arg(long, value_name = "DAYS")]
        expires_in: Option<u32>,
        #[command(flatten)]
        allow: AllowArgs,
    },
    /// Change a key's name, permissions or the networks it may be used from.
    Update {
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, value_delimiter = ',')]
        permissions: Option<Vec<String>>,
        #[command(flatten)]
        allow: AllowArgs,
    },
    /// Replace a key with a new one of the same name, permissions, expiry and
    /// networks; printed once.
    Rotate {
        id: String,
        #[command(flatten)]
        keep_old: KeepOld,
    },
    /// Revoke a key: refused from the next request on.
    Revoke { id: String },
}

/// Where a key may be used from.
#[derive(Args, Clone, Debug, Default)]
pub struct AllowArgs {
    /// A network the key may be used from, such as 203.0.113.0/24
    /// (repeatable; up to 20) [default: anywhere]
    #[arg(long = "allow", value_name = "CIDR")]
    pub networks: Vec<String>,
    /// Let the key be used from anywhere again (clears the networks).
    #[arg(long, conflicts_with = "networks")]
    pub allow_anywhere: bool,
}

/// How long a rotated key keeps working beside the new one.
#[derive(Args, Clone, Copy, Debug)]
pub struct KeepOld {
    /// Keep the old key working this long: 30s, 90m, 24h, 7d (at most 7d)
    /// [default: it stops at once]
    #[arg(long, value_name = "DURATION", value_parser = parse_keep_old)]
    pub keep_old: Option<u64>,
}

/// `30s`, `90m`, `24h`, `7d` or a number of seconds, as seconds.
fn parse_keep_old(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, _)) => text.split_at(at),
        None => (text, "s"),
    };
    let per_unit = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err("give a number with s, m, h or d, such as 24h".into()),
    };
    let amount: u64 = digits.parse().map_err(|_| "give a whole number with s, m, h or d, such as 24h".to_string())?;
    amount.checked_mul(per_unit).ok_or_else(|| "too long: at most 7d".to_string())
}

#[derive(Subcommand)]
pub enum SmtpCredentials {
    /// The mail servers' names and ports.
    Info,
    /// List active keys, oldest first (never the keys themselves).
    List {
        #[command(flatten)]
        page: Page,
    },
    /// Create a key; it is printed once.
    Create {
        #[arg(long)]
        name: String,
        /// Comma-separated: smtp, pop3, imap, api:read, api:write, app, internal.
        #[arg(long, value_delimiter = ',', required = true)]
        scopes: Vec<String>,
        #[command(flatten)]
        allow: AllowArgs,
    },
    /// Change a key's name or the networks it may be used from.
    Update {
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        allow: AllowArgs,
    },
    /// Replace a key with a new one of the same name, scopes and networks;
    /// printed once.
    Rotate {
        id: String,
        #[command(flatten)]
        keep_old: KeepOld,
    },
    /// Revoke a key.
    Revoke { id: String },
    /// Create a key for a mobile device (scope app); printed once.
    Mobile {
        #[arg(long)]
        name: String,
        /// ios or android.
        #[arg(long)]
        platform: String,
        #[arg(long)]
        device_id: String,
    },
}

#[cfg(test)]
mod tests {
    use super::parse_keep_old;

    #[test]
    fn keep_old_durations() {
        assert_eq!(parse_keep_old("24h"), Ok(86_400));
        assert_eq!(parse_keep_old("90m"), Ok(5_400));
        assert_eq!(parse_keep_old("7d"), Ok(604_800));
        assert_eq!(parse_keep_old("45"), Ok(45));
        assert_eq!(parse_keep_old("0"), Ok(0));
        for bad in ["", "h", "1.5h", "-1h", "24 hours", "1w"] {
            assert!(parse_keep_old(bad).is_err(), "{bad}");
        }
    }
}

#[derive(Args, Clone)]
pub struct AuditFilter {
    #[arg(long)]
    pub resource_id: Option<String>,
    #[arg(long, value_name = "TYPE")]
    pub event_type: Option<String>,
    /// RFC 3339, e.g. 2026-11-24T10:00:00Z
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
}

#[derive(Subcommand)]
pub enum Audit {
    /// The newest events first.
    List {
        #[command(flatten)]
        filter: AuditFilter,
        /// RFC 3339.
        #[arg(long, value_name = "TIME")]
        until: Option<String>,
        #[arg(long, value_name = "N")]
        limit: Option<u32>,
        #[arg(long)]
        cursor: Option<String>,
    },
    /// Follow new events as they happen, until interrupted.
    Tail {
        #[command(flatten)]
        filter: AuditFilter,
        /// Seconds between polls.
        #[arg(long, default_value_t = 2)]
        interval: u64,
    },
}
