//! `mailkeys providers …`: email providers.
use reqwest::Method;
use serde_json::{json, Map, Value};

use super::*;

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

pub(super) async fn run(ctx: &Ctx, command: Providers) -> Result<(), CliError> {
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
