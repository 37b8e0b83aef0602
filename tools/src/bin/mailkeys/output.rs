//! What a command prints: a readable table by default, or the API's JSON
//! unchanged with --json.

use comfy_table::{presets::NOTHING, ContentArrangement, Table};
use serde_json::Value;

/// Prints a line on stdout; a reader that went away (`| head`) ends the
/// output quietly instead of a panic.
pub fn line(text: impl std::fmt::Display) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{text}").is_err() {
        std::process::exit(0);
    }
}

/// Text as a terminal may show it: control characters (C0, DEL, C1) as
/// escapes such as `\u{1b}`, so that what a tenant stored cannot drive the
/// operator's terminal.
pub fn printable(text: &str) -> String {
    let mut shown = String::with_capacity(text.len());
    for c in text.chars() {
        match c.is_control() {
            true => shown.extend(c.escape_unicode()),
            false => shown.push(c),
        }
    }
    shown
}

/// A JSON value as a table cell.
pub fn cell(value: &Value) -> String {
    match value {
        Value::Null => "-".into(),
        Value::String(s) => printable(s),
        Value::Bool(b) => if *b { "yes" } else { "no" }.into(),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(", "),
        Value::Object(map) if map.contains_key("status") && map.contains_key("tested_at") => {
            // A connectivity test's outcome.
            let stage = map.get("stage").and_then(Value::as_str).map(|s| format!(" at {s}")).unwrap_or_default();
            format!("{}{stage} ({})", cell(&map["status"]), cell(&map["tested_at"]))
        }
        Value::Object(map) => {
            map.iter().map(|(k, v)| format!("{}={}", printable(k), cell(v))).collect::<Vec<_>>().join(" ")
        }
        other => other.to_string(),
    }
}

/// The elements of a JSON array (none for anything else).
pub fn items(value: &Value) -> &[Value] {
    value.as_array().map(Vec::as_slice).unwrap_or(&[])
}

/// Rows of objects under the given (header, field) columns.
pub fn rows(items: &[Value], columns: &[(&str, &str)], empty: &str) {
    if items.is_empty() {
        line(empty);
        return;
    }
    let mut table = Table::new();
    table.load_preset(NOTHING).set_content_arrangement(ContentArrangement::Dynamic);
    table.set_header(columns.iter().map(|(header, _)| *header));
    for item in items {
        table.add_row(columns.iter().map(|(_, field)| cell(&item[*field])));
    }
    line(table);
}

/// One object, a field a line.
pub fn record(value: &Value) {
    let Some(map) = value.as_object() else {
        line(cell(value));
        return;
    };
    let mut table = Table::new();
    table.load_preset(NOTHING).set_content_arrangement(ContentArrangement::Dynamic);
    for (name, value) in map {
        table.add_row(vec![printable(name), cell(value)]);
    }
    line(table);
}

/// The API's own text (a 204's empty body prints nothing).
pub fn raw(text: &str) {
    if !text.is_empty() {
        line(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_in_cells_are_shown_escaped() {
        let stored = serde_json::json!({"project_id": "p\u{1b}]0;owned\u{7}\u{9b}2J", "name": "Zürich 📱"});
        assert_eq!(cell(&stored["project_id"]), "p\\u{1b}]0;owned\\u{7}\\u{9b}2J");
        assert_eq!(cell(&stored["name"]), "Zürich 📱");
        assert!(!cell(&stored).chars().any(char::is_control));
    }
}
