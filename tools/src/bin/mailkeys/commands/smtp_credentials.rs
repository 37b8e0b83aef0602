//! `mailkeys smtp-credentials …`: SMTP credentials.
use reqwest::Method;
use serde_json::{json, Value};

use super::*;

pub(super) async fn run(ctx: &Ctx, command: SmtpCredentials) -> Result<(), CliError> {
    const BASE: &str = "/api/smtp-credentials";
    match command {
        SmtpCredentials::Info => {
            let answer = ctx.call(Method::GET, BASE, None).await?;
            // How a mail client logs in: the account id and a key (not part
            // of the API's answer, so not in --json).
            let account = match ctx.json {
                true => String::new(),
                false => ctx.account(&AccountArg { account: None }).await?,
            };
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
                output::line(format!(
                    "Log in with: user name {}, password an SMTP credential's key (rm_...) with the protocol's scope",
                    output::printable(&account)
                ));
            });
        }
        SmtpCredentials::List { page } => {
            let answer = ctx.call(Method::GET, &format!("{BASE}{}", page_query(page)), None).await?;
            ctx.show(&answer, |a| {
                let keys = key_rows(output::items(&a["keys"]));
                let columns = [
                    ("ID", "id"),
                    ("NAME", "name"),
                    ("SCOPES", "scopes"),
                    ("CREATED", "createdAt"),
                    ("EXPIRES", "expiresAt"),
                    ("ALLOWED FROM", "allowedCidrs"),
                    ("LAST USED", "lastUsedAt"),
                    ("FROM", "lastUsedFrom"),
                    ("FOR", "lastUsedFor"),
                    ("REPLACED BY", "replacedBy"),
                ];
                output::rows(&keys, &columns, "No active SMTP credentials.");
                show_more(a["nextCursor"].as_str());
            });
        }
        SmtpCredentials::Create { name, scopes, allow } => {
            let mut body = json!({"name": name, "scopes": scopes});
            if let Some(networks) = allow.networks() {
                body["allowedCidrs"] = networks;
            }
            let answer = ctx.call(Method::POST, BASE, Some(body)).await?;
            show_new_key(ctx, &answer, &answer.body, &answer.body["apiKey"], SMTP_KEY_WARNING);
        }
        SmtpCredentials::Update { id, name, allow } => {
            let mut body = serde_json::Map::new();
            if let Some(name) = name {
                body.insert("name".into(), name.into());
            }
            if let Some(networks) = allow.networks() {
                body.insert("allowedCidrs".into(), networks);
            }
            if body.is_empty() {
                return Err(CliError::Usage("nothing to change: give --name, --allow or --allow-anywhere".into()));
            }
            let answer = ctx.call(Method::PATCH, &format!("{BASE}/{id}"), Some(Value::Object(body))).await?;
            ctx.show(&answer, output::record);
        }
        SmtpCredentials::Rotate { id, keep_old } => {
            let answer = ctx.call(Method::POST, &format!("{BASE}/{id}/rotate"), keep_old.body()).await?;
            show_new_key(ctx, &answer, &answer.body, &answer.body["apiKey"], SMTP_KEY_WARNING);
            show_overlap(ctx, &answer.body, keep_old);
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
