//! Each command: the request it makes and what it prints, a module per
//! noun; what they share (the context, paging, keys shown once) is here.

mod api_keys;
mod audit;
mod credentials;
mod providers;
mod smtp_credentials;
mod webhooks;

use std::io::IsTerminal;

use reqwest::Method;
use serde_json::Value;

use crate::args::*;
use crate::client::{Answer, CliError, Client};
use crate::config::{self, Choice};
use crate::output;
use crate::secrets::{self, SecretInput};

/// The API's warnings, printed on stderr with a key shown once.
pub(crate) const API_KEY_WARNING: &str =
    "The full API key is only returned once upon creation. Store it securely as it cannot be retrieved again.";
pub(crate) const SMTP_KEY_WARNING: &str =
    "The apiKey field is only returned when the key is created. Store it securely -- \
     you will not be able to view it again. If lost, revoke the key and create a new one.";

pub(crate) struct Ctx {
    client: Client,
    pub(crate) json: bool,
}

impl Ctx {
    pub(crate) async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Result<Answer, CliError> {
        self.client.call(method, path, body.as_ref()).await
    }

    /// Prints the answer: the API's JSON unchanged, or `readable`.
    pub(crate) fn show(&self, answer: &Answer, readable: impl FnOnce(&Value)) {
        if self.json {
            output::raw(&answer.raw);
        } else {
            readable(&answer.body);
        }
    }

    /// The key's own account, for routes that name one.
    pub(crate) async fn account(&self, given: &AccountArg) -> Result<String, CliError> {
        match &given.account {
            Some(account) => Ok(account.clone()),
            None => Ok(self.call(Method::GET, "/api/whoami", None).await?.body["account_id"]
                .as_str()
                .unwrap_or_default()
                .to_string()),
        }
    }
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    if let Command::Login { key_stdin } = cli.command {
        // The profile is the one to write: it need not exist yet.
        let url = config::resolve(Choice { url: cli.url.as_deref(), api_key_file: None, profile: None })?.url;
        return login(&url, cli.profile.as_deref().unwrap_or(config::DEFAULT_PROFILE), key_stdin).await;
    }
    let target = config::resolve(Choice {
        url: cli.url.as_deref(),
        api_key_file: cli.api_key_file.as_deref(),
        profile: cli.profile.as_deref(),
    })?;
    let key = target.key.ok_or_else(config::no_key)?;
    let ctx = Ctx { client: Client::new(&target.url, key)?, json: cli.json };
    match cli.command {
        Command::Providers(command) => providers::run(&ctx, command).await,
        Command::Credentials(command) => credentials::run(&ctx, command).await,
        Command::ApiKeys(command) => api_keys::run(&ctx, command).await,
        Command::SmtpCredentials(command) => smtp_credentials::run(&ctx, command).await,
        Command::Webhooks(command) => webhooks::run(&ctx, command).await,
        Command::Audit(command) => audit::run(&ctx, command).await,
        Command::Login { .. } | Command::Completions { .. } => unreachable!("handled above"),
    }
}

/// `mailkeys login`: the key from a hidden prompt or stdin, checked with
/// the server, kept in a profile.
async fn login(url: &str, profile: &str, key_stdin: bool) -> Result<(), CliError> {
    let input = if key_stdin || !std::io::stdin().is_terminal() {
        secrets::from_stdin()?
    } else {
        secrets::prompt_hidden("API key: ")?
    };
    let SecretInput::Line(key) = input else {
        return Err(CliError::Usage("the key is one line, not JSON".into()));
    };
    let client = Client::new(url, key.clone())?;
    let me = client.call(Method::GET, "/api/whoami", None).await?.body;
    let path = config::save_profile(profile, &client.base_url, key)?;
    eprintln!(
        "Signed in to {} as account {} (permissions: {}); saved as profile \"{profile}\" in {}",
        client.base_url,
        output::cell(&me["account_id"]),
        output::cell(&me["permissions"]),
        path.display()
    );
    Ok(())
}

/// `?limit=&cursor=` for a paged list, as given.
pub(crate) fn page_query(page: Page) -> String {
    let mut query = vec![];
    if let Some(limit) = page.limit {
        query.push(format!("limit={limit}"));
    }
    if let Some(cursor) = page.cursor {
        query.push(format!("cursor={cursor}"));
    }
    if query.is_empty() {
        String::new()
    } else {
        format!("?{}", query.join("&"))
    }
}

/// Where the next page starts, when there is one.
pub(crate) fn show_more(next_cursor: Option<&str>) {
    if let Some(cursor) = next_cursor {
        output::line(format!("More: --cursor {cursor}"));
    }
}

/// A key shown once: on stdout alone (so `$(...)` captures it), its
/// details and the API's warning on stderr.
impl AllowArgs {
    /// The `allowedCidrs` to send: the networks given, `[]` for
    /// `--allow-anywhere`, nothing when neither was given.
    fn networks(&self) -> Option<Value> {
        match (self.allow_anywhere, self.networks.is_empty()) {
            (true, _) => Some(Value::Array(Vec::new())),
            (false, false) => Some(self.networks.clone().into()),
            (false, true) => None,
        }
    }
}

impl KeepOld {
    /// A rotation's body: none for a rotation that stops the old key at once.
    fn body(self) -> Option<Value> {
        self.keep_old.map(|seconds| serde_json::json!({"keepOldForSeconds": seconds}))
    }
}

/// Keys as the lists show them: no networks is "anywhere".
fn key_rows(keys: &[Value]) -> Vec<Value> {
    keys.iter()
        .map(|key| {
            let mut row = key.clone();
            if output::items(&key["allowedCidrs"]).is_empty() {
                row["allowedCidrs"] = "anywhere".into();
            }
            row
        })
        .collect()
}

/// After a rotation: until when the old key still works.
fn show_overlap(ctx: &Ctx, rotated: &Value, keep_old: KeepOld) {
    if ctx.json {
        return;
    }
    let replaced = output::cell(&rotated["replaces"]);
    match keep_old.keep_old {
        Some(seconds) if seconds > 0 => eprintln!(
            "The old key {replaced} keeps working until {}: move its users to the new key before then \
             (its last use shows in the list).",
            output::cell(&rotated["oldKeyExpiresAt"])
        ),
        _ => eprintln!("The old key {replaced} no longer works."),
    }
}

pub(crate) fn show_new_key(ctx: &Ctx, answer: &Answer, details: &Value, key: &Value, warning: &str) {
    if ctx.json {
        output::raw(&answer.raw);
    } else {
        let mut shown = details.clone();
        if let Some(map) = shown.as_object_mut() {
            map.remove("key");
            map.remove("apiKey");
            map.remove("secret");
        }
        eprintln!(
            "{}",
            shown
                .as_object()
                .map(|m| m.iter().map(|(k, v)| format!("{k}: {}", output::cell(v))).collect::<Vec<_>>().join("\n"))
                .unwrap_or_default()
        );
        output::line(key.as_str().unwrap_or_default());
    }
    eprintln!("warning: {warning}");
}
