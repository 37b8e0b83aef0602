//! Each command: the request it makes and what it prints.

use std::io::IsTerminal;
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Map, Value};

use crate::args::*;
use crate::client::{Answer, CliError, Client};
use crate::config::{self, Choice};
use crate::output;
use crate::secrets::{self, SecretInput};

/// The API's warnings, printed on stderr with a key shown once.
const API_KEY_WARNING: &str =
    "The full API key is only returned once upon creation. Store it securely as it cannot be retrieved again.";
const SMTP_KEY_WARNING: &str = "The apiKey field is only returned when the key is created. Store it securely -- \
     you will not be able to view it again. If lost, revoke the key and create a new one.";

struct Ctx {
    client: Client,
    json: bool,
}

impl Ctx {
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Result<Answer, CliError> {
        self.client.call(method, path, body.as_ref()).await
    }

    /// Prints the answer: the API's JSON unchanged, or `readable`.
    fn show(&self, answer: &Answer, readable: impl FnOnce(&Value)) {
        if self.json {
            output::raw(&answer.raw);
        } else {
            readable(&answer.body);
        }
    }

    /// The key's own account, for routes that name one.
    async fn account(&self, given: &AccountArg) -> Result<String, CliError> {
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
        Command::Providers(command) => providers(&ctx, command).await,
        Command::Credentials(command) => credentials(&ctx, command).await,
        Command::ApiKeys(command) => api_keys(&ctx, command).await,
        Command::SmtpCredentials(command) => smtp_credentials(&ctx, command).await,
        Command::Audit(command) => audit(&ctx, command).await,
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

const PROVIDER_COLUMNS: &[(&str, &str)] = &[
    ("ID", "id"),
    ("NAME", "name"),
    ("TYPE", "provider_type"),
    ("REGION", "region"),
    ("ACTIVE", "is_active"),
    ("LAST TEST", "last_test"),
];

/// The field of each provider type's block that holds its secret.
fn secret_field(provider_type: ProviderType) -> (&'static str, &'static str) {
    match provider_type {
        ProviderType::Ses => ("secret_access_key", "Secret access key"),
        ProviderType::Scaleway => ("api_key", "API key"),
        ProviderType::Smtp => ("password", "Password"),
    }
}

/// The non-secret fields given as flags, in the block's own names.
fn block_fields(block: &ProviderBlock) -> Map<String, Value> {
    let mut map = Map::new();
    let mut put = |name: &str, value: Option<Value>| {
        if let Some(value) = value {
            map.insert(name.to_string(), value);
        }
    };
    put("access_key_id", block.access_key_id.clone().map(Value::from));
    put("project_id", block.project_id.clone().map(Value::from));
    put("host", block.host.clone().map(Value::from));
    put("port", block.port.map(Value::from));
    put("encryption", block.encryption.clone().map(Value::from));
    put("username", block.username.clone().map(Value::from));
    put("accept_invalid_certs", block.accept_invalid_certs.map(Value::from));
    map
}

async fn providers(ctx: &Ctx, command: Providers) -> Result<(), CliError> {
    const BASE: &str = "/api/email-providers";
    match command {
        Providers::List { page } => {
            let answer = ctx.call(Method::GET, &format!("{BASE}{}", page_query(page)), None).await?;
            ctx.show(&answer, |a| {
                output::rows(output::items(a), PROVIDER_COLUMNS, "No email providers.");
                show_more(answer.next_cursor.as_deref());
            });
        }
        Providers::Get { id } => {
            let answer = ctx.call(Method::GET, &format!("{BASE}/{id}"), None).await?;
            ctx.show(&answer, output::record);
        }
        Providers::Create { name, provider_type, region, active, block, secret } => {
            let mut credentials = block_fields(&block);
            let (field, label) = secret_field(provider_type);
            // An SMTP relay may need no password; every other block has a secret.
            if provider_type != ProviderType::Smtp || secret.secret_stdin || std::io::stdin().is_terminal() {
                secrets::read(secret, label)?.merge_into(&mut credentials, field);
            }
            let mut body = json!({"name": name, "provider_type": provider_type.as_str(), "region": region});
            if let Some(active) = active {
                body["is_active"] = active.into();
            }
            body[format!("{}_credentials", provider_type.as_str())] = Value::Object(credentials);
            let answer = ctx.call(Method::POST, BASE, Some(body)).await?;
            ctx.show(&answer, output::record);
        }
        Providers::Update { id, name, region, active, block, secret, prompt_secret } => {
            let mut body = Map::new();
            if let Some(name) = name {
                body.insert("name".into(), name.into());
            }
            if let Some(region) = region {
                body.insert("region".into(), region.into());
            }
            if let Some(active) = active {
                body.insert("is_active".into(), active.into());
            }
            let mut credentials = block_fields(&block);
            let new_secret = secret.secret_stdin || prompt_secret;
            if !credentials.is_empty() || new_secret {
                // The block is the provider type's own, so the type comes from the server.
                let current = ctx.call(Method::GET, &format!("{BASE}/{id}"), None).await?.body;
                let provider_type = match current["provider_type"].as_str() {
                    Some("ses") => ProviderType::Ses,
                    Some("scaleway") => ProviderType::Scaleway,
                    _ => ProviderType::Smtp,
                };
                if provider_type == ProviderType::Smtp {
                    // An SMTP block always names its destination: what was not
                    // given stays as stored (clear in the masked GET).
                    for name in ["host", "port", "encryption", "accept_invalid_certs"] {
                        if !credentials.contains_key(name) {
                            credentials.insert(name.into(), current["credentials"][name].clone());
                        }
                    }
                }
                if new_secret {
                    let (field, label) = secret_field(provider_type);
                    let input = match prompt_secret {
                        true => secrets::prompt_hidden(&format!("{label}: "))?,
                        false => secrets::read(secret, label)?,
                    };
                    input.merge_into(&mut credentials, field);
                }
                body.insert(format!("{}_credentials", provider_type.as_str()), Value::Object(credentials));
            }
            if body.is_empty() {
                return Err(CliError::Usage(
                    "nothing to change: give --name, --region, --active, a credential flag or a new secret".into(),
                ));
            }
            let answer = ctx.call(Method::PATCH, &format!("{BASE}/{id}"), Some(Value::Object(body))).await?;
            ctx.show(&answer, output::record);
        }
        Providers::Delete { id } => {
            let answer = ctx.call(Method::DELETE, &format!("{BASE}/{id}"), None).await?;
            ctx.show(&answer, |_| output::line(format!("Deleted email provider {id}.")));
        }
        Providers::Test { id, to } => {
            let body = to.map(|to| json!({"to": to}));
            let answer = ctx.call(Method::POST, &format!("{BASE}/{id}/test"), body).await?;
            ctx.show(&answer, output::record);
        }
    }
    Ok(())
}

const CREDENTIAL_COLUMNS: &[(&str, &str)] = &[
    ("ID", "id"),
    ("KIND", "provider_kind"),
    ("HOST", "host"),
    ("PORT", "port"),
    ("SECURITY", "security_mode"),
    ("AUTH", "auth_kind"),
    ("USERNAME", "username_masked"),
    ("LAST TEST", "last_test"),
];

/// `?limit=&cursor=` for a paged list, as given.
fn page_query(page: Page) -> String {
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
fn show_more(next_cursor: Option<&str>) {
    if let Some(cursor) = next_cursor {
        output::line(format!("More: --cursor {cursor}"));
    }
}

fn show_page(ctx: &Ctx, answer: &Answer) {
    ctx.show(answer, |a| {
        output::rows(output::items(&a["items"]), CREDENTIAL_COLUMNS, "No provider credentials.");
        show_more(a["next_cursor"].as_str());
    });
}

/// The secret of a provider credential's auth kind.
fn credential_secret(auth_kind: &str) -> (&'static str, &'static str) {
    match auth_kind {
        "oauth2" => ("access_token", "Access token"),
        _ => ("password", "Password"),
    }
}

async fn credentials(ctx: &Ctx, command: Credentials) -> Result<(), CliError> {
    match command {
        Credentials::List { account, page } => {
            let account = ctx.account(&account).await?;
            let path = format!("/api/accounts/{account}/provider-credentials{}", page_query(page));
            show_page(ctx, &ctx.call(Method::GET, &path, None).await?);
        }
        Credentials::Search { account, kind, host, security_mode, auth_kind, last_test_status, page } => {
            let account = ctx.account(&account).await?;
            let mut body = Map::new();
            for (name, value) in [
                ("provider_kind", kind),
                ("host", host),
                ("security_mode", security_mode),
                ("auth_kind", auth_kind),
                ("last_test_status", last_test_status),
                ("cursor", page.cursor),
            ] {
                if let Some(value) = value {
                    body.insert(name.into(), value.into());
                }
            }
            if let Some(limit) = page.limit {
                body.insert("limit".into(), limit.into());
            }
            let path = format!("/api/accounts/{account}/provider-credentials/search");
            show_page(ctx, &ctx.call(Method::POST, &path, Some(Value::Object(body))).await?);
        }
        Credentials::Get { id } => {
            let answer = ctx.call(Method::GET, &format!("/api/provider-credentials/{id}"), None).await?;
            ctx.show(&answer, output::record);
        }
        Credentials::Create { account, kind, host, port, security_mode, auth_kind, username, secret } => {
            let account = ctx.account(&account).await?;
            let (field, label) = credential_secret(&auth_kind);
            let mut body = Map::new();
            for (name, value) in [
                ("provider_kind", Value::from(kind)),
                ("host", host.into()),
                ("port", port.into()),
                ("security_mode", security_mode.into()),
                ("auth_kind", auth_kind.into()),
                ("username", username.into()),
            ] {
                body.insert(name.into(), value);
            }
            secrets::read(secret, label)?.merge_into(&mut body, field);
            let path = format!("/api/accounts/{account}/provider-credentials");
            let answer = ctx.call(Method::POST, &path, Some(Value::Object(body))).await?;
            ctx.show(&answer, output::record);
        }
        Credentials::Update { id, kind, host, port, security_mode, secret, prompt_secret } => {
            let mut body = Map::new();
            for (name, value) in [
                ("provider_kind", kind.map(Value::from)),
                ("host", host.map(Value::from)),
                ("port", port.map(Value::from)),
                ("security_mode", security_mode.map(Value::from)),
            ] {
                if let Some(value) = value {
                    body.insert(name.into(), value);
                }
            }
            let path = format!("/api/provider-credentials/{id}");
            if secret.secret_stdin || prompt_secret {
                let current = ctx.call(Method::GET, &path, None).await?.body;
                let (field, label) = credential_secret(current["auth_kind"].as_str().unwrap_or("password"));
                let input = match prompt_secret {
                    true => secrets::prompt_hidden(&format!("{label}: "))?,
                    false => secrets::read(secret, label)?,
                };
                input.merge_into(&mut body, field);
            }
            if body.is_empty() {
                return Err(CliError::Usage(
                    "nothing to change: give --kind, --host, --port or --security-mode".into(),
                ));
            }
            let answer = ctx.call(Method::PATCH, &path, Some(Value::Object(body))).await?;
            ctx.show(&answer, output::record);
        }
        Credentials::Rotate { id, username, auth_kind, secret } => {
            let path = format!("/api/provider-credentials/{id}");
            let kind = match &auth_kind {
                Some(kind) => kind.clone(),
                None => ctx.call(Method::GET, &path, None).await?.body["auth_kind"]
                    .as_str()
                    .unwrap_or("password")
                    .to_string(),
            };
            let (field, label) = credential_secret(&kind);
            let mut body = Map::new();
            if let Some(username) = username {
                body.insert("username".into(), username.into());
            }
            if let Some(auth_kind) = auth_kind {
                body.insert("auth_kind".into(), auth_kind.into());
            }
            secrets::read(secret, &format!("New {}", label.to_lowercase()))?.merge_into(&mut body, field);
            let answer = ctx.call(Method::POST, &format!("{path}/rotate"), Some(Value::Object(body))).await?;
            ctx.show(&answer, output::record);
        }
        Credentials::Test { id } => {
            let answer = ctx.call(Method::POST, &format!("/api/provider-credentials/{id}/test"), None).await?;
            ctx.show(&answer, output::record);
        }
        Credentials::Delete { id } => {
            let answer = ctx.call(Method::DELETE, &format!("/api/provider-credentials/{id}"), None).await?;
            ctx.show(&answer, |_| output::line(format!("Deleted provider credential {id}.")));
        }
    }
    Ok(())
}

/// A key shown once: on stdout alone (so `$(...)` captures it), its
/// details and the API's warning on stderr.
fn show_new_key(ctx: &Ctx, answer: &Answer, details: &Value, key: &Value, warning: &str) {
    if ctx.json {
        output::raw(&answer.raw);
    } else {
        let mut shown = details.clone();
        if let Some(map) = shown.as_object_mut() {
            map.remove("key");
            map.remove("apiKey");
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

async fn api_keys(ctx: &Ctx, command: ApiKeys) -> Result<(), CliError> {
    const BASE: &str = "/api/email/api-keys";
    match command {
        ApiKeys::List { page } => {
            let answer = ctx.call(Method::GET, &format!("{BASE}{}", page_query(page)), None).await?;
            ctx.show(&answer, |a| {
                let keys = output::items(&a["data"]["keys"]);
                let columns = [
                    ("ID", "id"),
                    ("NAME", "name"),
                    ("PREFIX", "prefix"),
                    ("PERMISSIONS", "permissions"),
                    ("CREATED", "createdAt"),
                    ("LAST USED", "lastUsedAt"),
                    ("EXPIRES", "expiresAt"),
                ];
                output::rows(keys, &columns, "No active API keys.");
                show_more(a["data"]["nextCursor"].as_str());
            });
        }
        ApiKeys::Create { name, permissions, expires_in } => {
            let mut body = json!({"name": name, "expiresIn": expires_in});
            if let Some(permissions) = permissions {
                body["permissions"] = permissions.into();
            }
            let answer = ctx.call(Method::POST, BASE, Some(body)).await?;
            show_new_key(ctx, &answer, &answer.body["data"], &answer.body["data"]["key"], API_KEY_WARNING);
        }
        ApiKeys::Update { id, name, permissions } => {
            let mut body = Map::new();
            if let Some(name) = name {
                body.insert("name".into(), name.into());
            }
            if let Some(permissions) = permissions {
                body.insert("permissions".into(), permissions.into());
            }
            if body.is_empty() {
                return Err(CliError::Usage("nothing to change: give --name or --permissions".into()));
            }
            let answer = ctx.call(Method::PATCH, &format!("{BASE}/{id}"), Some(Value::Object(body))).await?;
            ctx.show(&answer, |a| output::record(&a["data"]));
        }
        ApiKeys::Revoke { id } => {
            let answer = ctx.call(Method::DELETE, &format!("{BASE}/{id}"), None).await?;
            ctx.show(&answer, |a| {
                output::line(format!("Revoked API key {id} at {}.", output::cell(&a["data"]["revokedAt"])))
            });
        }
    }
    Ok(())
}

async fn smtp_credentials(ctx: &Ctx, command: SmtpCredentials) -> Result<(), CliError> {
    const BASE: &str = "/api/smtp-credentials";
    match command {
        SmtpCredentials::Info => {
            let answer = ctx.call(Method::GET, BASE, None).await?;
            ctx.show(&answer, |answer| {
                let info = &answer["connectionInfo"];
                let servers: Vec<Value> = info
                    .as_object()
                    .map(|m| {
                        m.iter()
                            .map(|(protocol, server)| {
                                let mut row = server.clone();
                                row["protocol"] = protocol.to_uppercase().into();
                                row
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                output::rows(
                    &servers,
                    &[
                        ("PROTOCOL", "protocol"),
                        ("SERVER", "serverName"),
                        ("PORT", "port"),
                        ("SECURE PORT", "securePort"),
                        ("ENABLED", "enabled"),
                    ],
                    "No mail servers.",
                );
            });
        }
        SmtpCredentials::List { page } => {
            let answer = ctx.call(Method::GET, &format!("{BASE}{}", page_query(page)), None).await?;
            ctx.show(&answer, |a| {
                let keys = output::items(&a["keys"]);
                let columns = [
                    ("ID", "id"),
                    ("NAME", "name"),
                    ("SCOPES", "scopes"),
                    ("CREATED", "createdAt"),
                    ("LAST USED", "lastUsedAt"),
                ];
                output::rows(keys, &columns, "No active SMTP credentials.");
                show_more(a["nextCursor"].as_str());
            });
        }
        SmtpCredentials::Create { name, scopes } => {
            let answer = ctx.call(Method::POST, BASE, Some(json!({"name": name, "scopes": scopes}))).await?;
            show_new_key(ctx, &answer, &answer.body, &answer.body["apiKey"], SMTP_KEY_WARNING);
        }
        SmtpCredentials::Rotate { id } => {
            let answer = ctx.call(Method::POST, &format!("{BASE}/{id}/rotate"), None).await?;
            show_new_key(ctx, &answer, &answer.body, &answer.body["apiKey"], SMTP_KEY_WARNING);
        }
        SmtpCredentials::Revoke { id } => {
            let answer = ctx.call(Method::DELETE, &format!("{BASE}/{id}"), None).await?;
            ctx.show(&answer, |_| output::line(format!("Revoked SMTP credential {id}.")));
        }
        SmtpCredentials::Mobile { name, platform, device_id } => {
            let body = json!({"name": name, "platform": platform, "deviceId": device_id});
            let answer = ctx.call(Method::POST, &format!("{BASE}/mobile"), Some(body)).await?;
            show_new_key(ctx, &answer, &answer.body, &answer.body["apiKey"], SMTP_KEY_WARNING);
        }
    }
    Ok(())
}

const EVENT_COLUMNS: &[(&str, &str)] = &[
    ("TIME", "created_at"),
    ("EVENT", "event_type"),
    ("RESOURCE", "resource_id"),
    ("VERSION", "version"),
    ("CHANGED", "changed_fields"),
    ("ACTOR", "actor_key_id"),
    ("REQUEST", "request_id"),
];

fn audit_query(filter: &AuditFilter, extra: &[(&str, Option<String>)]) -> String {
    let mut query = url_params(&[
        ("resource_id", filter.resource_id.clone()),
        ("event_type", filter.event_type.clone()),
        ("since", filter.since.clone()),
    ]);
    query.extend(url_params(extra));
    query.join("&")
}

fn url_params(pairs: &[(&str, Option<String>)]) -> Vec<String> {
    pairs.iter().filter_map(|(name, value)| value.as_ref().map(|v| format!("{name}={}", urlencode(v)))).collect()
}

fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn audit(ctx: &Ctx, command: Audit) -> Result<(), CliError> {
    match command {
        Audit::List { filter, until, limit, cursor } => {
            let query =
                audit_query(&filter, &[("until", until), ("limit", limit.map(|l| l.to_string())), ("cursor", cursor)]);
            let answer = ctx.call(Method::GET, &format!("/api/audit-events?{query}"), None).await?;
            ctx.show(&answer, |a| {
                output::rows(output::items(&a["events"]), EVENT_COLUMNS, "No audit events.");
                show_more(a["next_cursor"].as_str());
            });
        }
        Audit::Tail { filter, interval } => tail(ctx, filter, interval).await?,
    }
    Ok(())
}

/// Follows new events, oldest first, one line each (one JSON document a
/// line with --json): the last ten, then every new one, polling every
/// `interval` seconds (paging back to the last event seen) until
/// interrupted.
async fn tail(ctx: &Ctx, filter: AuditFilter, interval: u64) -> Result<(), CliError> {
    use std::io::Write;
    let mut seen = std::collections::HashSet::new();
    let mut since = filter.since.clone();
    let mut first = true;
    loop {
        let mut new_events = Vec::new();
        let mut cursor = None;
        loop {
            let limit = if first { "10" } else { "100" };
            let query = audit_query(
                &AuditFilter { since: since.clone(), ..filter.clone() },
                &[("limit", Some(limit.into())), ("cursor", cursor.take())],
            );
            let page = ctx.call(Method::GET, &format!("/api/audit-events?{query}"), None).await?.body;
            let events = page["events"].as_array().cloned().unwrap_or_default();
            // Events carry no id of their own: a whole record (request id,
            // resource, type, time) names one.
            let fresh: Vec<Value> = events.into_iter().take_while(|e| !seen.contains(&e.to_string())).collect();
            let reached_seen = fresh.len() < page["events"].as_array().map_or(0, Vec::len);
            new_events.extend(fresh);
            cursor = page["next_cursor"].as_str().map(str::to_string);
            if first || reached_seen || cursor.is_none() {
                break;
            }
        }
        for event in new_events.into_iter().rev() {
            seen.insert(event.to_string());
            if let Some(at) = event["created_at"].as_str() {
                since = Some(at.to_string());
            }
            if ctx.json {
                output::line(serde_json::to_string(&event).expect("JSON serializes"));
            } else {
                let line: Vec<String> = EVENT_COLUMNS.iter().map(|(_, field)| output::cell(&event[*field])).collect();
                output::line(line.join("  "));
            }
        }
        if first && !ctx.json {
            eprintln!("Following new events (Ctrl-C stops).");
        }
        first = false;
        let _ = std::io::stdout().flush();
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(interval.max(1))) => {}
            _ = tokio::signal::ctrl_c() => return Ok(()),
        }
    }
}
