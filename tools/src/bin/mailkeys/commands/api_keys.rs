//! `mailkeys api-keys …`: email API keys.
use reqwest::Method;
use serde_json::{json, Map, Value};

use super::*;

pub(super) async fn run(ctx: &Ctx, command: ApiKeys) -> Result<(), CliError> {
    const BASE: &str = "/api/email/api-keys";
    match command {
        ApiKeys::List { page } => {
            let answer = ctx.call(Method::GET, &format!("{BASE}{}", page_query(page)), None).await?;
            ctx.show(&answer, |a| {
                let keys = key_rows(output::items(&a["data"]["keys"]));
                let columns = [
                    ("ID", "id"),
                    ("NAME", "name"),
                    ("PREFIX", "prefix"),
                    ("PERMISSIONS", "permissions"),
                    ("CREATED", "createdAt"),
                    ("EXPIRES", "expiresAt"),
                    ("ALLOWED FROM", "allowedCidrs"),
                    ("LAST USED", "lastUsedAt"),
                    ("FROM", "lastUsedFrom"),
                    ("FOR", "lastUsedFor"),
                    ("REPLACED BY", "replacedBy"),
                ];
                output::rows(&keys, &columns, "No active API keys.");
                show_more(a["data"]["nextCursor"].as_str());
            });
        }
        ApiKeys::Create { name, permissions, expires_in, allow } => {
            let mut body = json!({"name": name, "expiresIn": expires_in});
            if let Some(permissions) = permissions {
                body["permissions"] = permissions.into();
            }
            if let Some(networks) = allow.networks() {
                body["allowedCidrs"] = networks;
            }
            let answer = ctx.call(Method::POST, BASE, Some(body)).await?;
            show_new_key(ctx, &answer, &answer.body["data"], &answer.body["data"]["key"], API_KEY_WARNING);
        }
        ApiKeys::Update { id, name, permissions, allow } => {
            let mut body = Map::new();
            if let Some(name) = name {
                body.insert("name".into(), name.into());
            }
            if let Some(permissions) = permissions {
                body.insert("permissions".into(), permissions.into());
            }
            if let Some(networks) = allow.networks() {
                body.insert("allowedCidrs".into(), networks);
            }
            if body.is_empty() {
                return Err(CliError::Usage(
                    "nothing to change: give --name, --permissions, --allow or --allow-anywhere".into(),
                ));
            }
            let answer = ctx.call(Method::PATCH, &format!("{BASE}/{id}"), Some(Value::Object(body))).await?;
            ctx.show(&answer, |a| output::record(&a["data"]));
        }
        ApiKeys::Rotate { id, keep_old } => {
            let answer = ctx.call(Method::POST, &format!("{BASE}/{id}/rotate"), keep_old.body()).await?;
            show_new_key(ctx, &answer, &answer.body["data"], &answer.body["data"]["key"], API_KEY_WARNING);
            show_overlap(ctx, &answer.body["data"], keep_old);
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
