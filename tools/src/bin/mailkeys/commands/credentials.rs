//! `mailkeys credentials …`: provider credentials.
use reqwest::Method;
use serde_json::{Map, Value};

use super::*;

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

pub(super) async fn run(ctx: &Ctx, command: Credentials) -> Result<(), CliError> {
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
