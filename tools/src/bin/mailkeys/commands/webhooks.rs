//! `mailkeys webhooks …`: webhook endpoints and their deliveries.
use reqwest::Method;
use serde_json::{json, Map, Value};

use super::*;

const ENDPOINT_COLUMNS: &[(&str, &str)] = &[
    ("ID", "id"),
    ("URL", "url"),
    ("EVENTS", "events"),
    ("ENABLED", "enabled"),
    ("FAILING SINCE", "failing_since"),
    ("DESCRIPTION", "description"),
];

const SECRET_WARNING: &str = "The signing secret is only shown now. Give it to the receiver to verify \
     deliveries (Standard Webhooks); it cannot be retrieved again.";

pub(super) async fn run(ctx: &Ctx, command: Webhooks) -> Result<(), CliError> {
    const BASE: &str = "/api/webhooks";
    match command {
        Webhooks::List { page } => {
            let answer = ctx.call(Method::GET, &format!("{BASE}{}", page_query(page)), None).await?;
            ctx.show(&answer, |a| {
                output::rows(output::items(&a["items"]), ENDPOINT_COLUMNS, "No webhook endpoints.");
                show_more(a["next_cursor"].as_str());
            });
        }
        Webhooks::Create { endpoint_url: url, events, description } => {
            let mut body = json!({"url": url, "events": events.unwrap_or_else(|| vec!["*".to_string()])});
            if let Some(description) = description {
                body["description"] = description.into();
            }
            let answer = ctx.call(Method::POST, BASE, Some(body)).await?;
            show_new_key(ctx, &answer, &answer.body, &answer.body["secret"], SECRET_WARNING);
        }
        Webhooks::Update { id, endpoint_url: url, events, description, enable, disable } => {
            let mut body = Map::new();
            if let Some(url) = url {
                body.insert("url".into(), url.into());
            }
            if let Some(events) = events {
                body.insert("events".into(), events.into());
            }
            if let Some(description) = description {
                body.insert("description".into(), description.into());
            }
            if enable || disable {
                body.insert("enabled".into(), enable.into());
            }
            if body.is_empty() {
                return Err(CliError::Usage(
                    "nothing to change: give --endpoint-url, --events, --description, --enable or --disable".into(),
                ));
            }
            let answer = ctx.call(Method::PATCH, &format!("{BASE}/{id}"), Some(Value::Object(body))).await?;
            ctx.show(&answer, output::record);
        }
        Webhooks::Delete { id } => {
            let answer = ctx.call(Method::DELETE, &format!("{BASE}/{id}"), None).await?;
            ctx.show(&answer, |_| output::line(format!("Deleted webhook endpoint {id}; nothing more is sent to it.")));
        }
        Webhooks::Test { id } => {
            let answer = ctx.call(Method::POST, &format!("{BASE}/{id}/test"), None).await?;
            ctx.show(&answer, |a| match a["delivered"].as_bool() {
                Some(true) => {
                    output::line(format!("Delivered: the receiver answered {}.", output::cell(&a["status_code"])))
                }
                _ => output::line(format!(
                    "Not delivered: {}. Check the URL and that the receiver answers 2xx.",
                    output::cell(&a["error"])
                )),
            });
        }
        Webhooks::Deliveries { id, page } => {
            let answer = ctx.call(Method::GET, &format!("{BASE}/{id}/deliveries{}", page_query(page)), None).await?;
            ctx.show(&answer, |a| {
                let columns = [
                    ("AT", "at"),
                    ("TYPE", "type"),
                    ("EVENT ID", "event_id"),
                    ("ATTEMPT", "attempt"),
                    ("STATUS", "status_code"),
                    ("ERROR", "error"),
                ];
                output::rows(output::items(&a["items"]), &columns, "No deliveries in the last 30 days.");
                show_more(a["next_cursor"].as_str());
            });
        }
        Webhooks::RotateSecret { id } => {
            let answer = ctx.call(Method::POST, &format!("{BASE}/{id}/rotate-secret"), None).await?;
            show_new_key(ctx, &answer, &answer.body, &answer.body["secret"], SECRET_WARNING);
            if !ctx.json {
                eprintln!(
                    "The old secret keeps signing beside the new one for 24 hours: move the receiver to the new one."
                );
            }
        }
    }
    Ok(())
}
