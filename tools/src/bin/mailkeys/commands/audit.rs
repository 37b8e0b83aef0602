//! `mailkeys audit list|tail`: the audit trail.
use reqwest::Method;
use serde_json::Value;

use std::time::Duration;

use super::*;

const EVENT_COLUMNS: &[(&str, &str)] = &[
    ("TIME", "created_at"),
    ("EVENT", "event_type"),
    ("RESOURCE", "resource_id"),
    ("VERSION", "version"),
    ("CHANGED", "changed_fields"),
    ("RELATED", "related_resource_id"),
    ("OLD KEY UNTIL", "old_key_expires_at"),
    ("FOUND AT", "url"),
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

pub(super) async fn run(ctx: &Ctx, command: Audit) -> Result<(), CliError> {
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
