//! The sample events in `events/` are real API Gateway (HTTP API, payload
//! v2) events for their function: each parses as lambda_http parses it and
//! reaches its own route's handler.

use std::path::PathBuf;

use mailkeys::config::Settings;
use mailkeys::http::Function;
use mailkeys::store::Tables;
use mailkeys::AppState;
use tower::ServiceExt;

fn event_path(function: Function) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../events").join(format!("{}.json", function.name()))
}

#[tokio::test]
async fn every_function_has_an_event_that_reaches_its_handler() {
    // No AWS call happens: the placeholder key fails its checksum first.
    let sdk = aws_config::SdkConfig::builder().behavior_version(aws_config::BehaviorVersion::latest()).build();
    let tables = Tables { main: "unused".into(), audit: "unused".into() };
    let settings = Settings::local(tables, "unused".into(), None).unwrap();
    let state = AppState::new(settings, &sdk);
    for &function in Function::ALL {
        let text = std::fs::read_to_string(event_path(function))
            .unwrap_or_else(|_| panic!("no event for {}", function.name()));
        let event: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(event["routeKey"], format!("{} {}", function.method(), function.path()), "{}", function.name());
        let request = lambda_http::request::from_str(&text).expect("an API Gateway v2 event");
        assert_eq!(request.method(), function.method());
        let response = function.router(state.clone()).oneshot(request).await.unwrap();
        // Every route checks its caller first (a key, or GitHub's
        // signature); the public revocation takes none and goes on to
        // DynamoDB, which is not there: 503.
        let reached = match function {
            Function::KeysRevokePublic => 503,
            _ => 401,
        };
        assert_eq!(response.status(), reached, "{} did not reach its handler", function.name());
    }
    let events = std::fs::read_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../events")).unwrap().count();
    assert_eq!(
        events,
        Function::ALL.len() + 2 + EVENT_FUNCTIONS.len(),
        "an event without a function (the +2: the stream consumer's and the console's)"
    );
}

#[tokio::test]
async fn the_console_function_serves_its_sample_event() {
    let text =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../events/console.json")).unwrap();
    let request = lambda_http::request::from_str(&text).expect("an API Gateway v2 event");
    let response = mailkeys::console::router::<()>().oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/html; charset=utf-8");
    assert!(response.headers()["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
}

/// The functions the SAM template declares: (binary, method, path), read
/// from its `BuildProperties` and `HttpApi` event lines.
fn template_functions() -> Vec<(String, String, String)> {
    let template =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../infra/template.yaml")).unwrap();
    let field = |line: &str, name: &str| -> Option<String> {
        let rest = &line[line.find(&format!("{name}: "))? + name.len() + 2..];
        match rest.strip_prefix('"') {
            Some(quoted) => quoted.split('"').next().map(str::to_string),
            None => rest.split([',', ' ', '}']).next().map(str::to_string),
        }
    };
    let mut found = Vec::new();
    let mut binary = None;
    for line in template.lines() {
        if let Some(name) = field(line, "Binary") {
            binary = Some(name);
        }
        if line.contains("Type: HttpApi") {
            let name = binary.clone().expect("an HttpApi event after its function's Binary");
            found.push((name, field(line, "Method").unwrap(), field(line, "Path").unwrap()));
        }
    }
    found
}

const STREAM_CONSUMER: &str = "audit-stream-consumer";
/// Functions run by something else than a route or the stream: the webhook
/// dispatcher (the queue) and the expiry reminders (a daily schedule).
const EVENT_FUNCTIONS: [&str; 2] = ["webhooks-dispatcher", "expiry-reminders"];
/// The console's function serves its files on two paths, outside `Function`
/// (it needs no configuration and no AWS client).
const CONSOLE: &str = "console";

#[test]
fn the_template_and_the_code_declare_the_same_routes() {
    let template =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../infra/template.yaml")).unwrap();
    assert!(template.contains(&format!("Binary: {STREAM_CONSUMER} }}")), "the stream consumer is deployed");
    let (console, mut in_template): (Vec<_>, Vec<_>) =
        template_functions().into_iter().partition(|(name, _, _)| name == CONSOLE);
    let console_paths: Vec<(&str, &str)> = console.iter().map(|(_, m, p)| (m.as_str(), p.as_str())).collect();
    assert_eq!(console_paths, [("GET", "/console"), ("GET", "/console/{proxy+}")]);
    in_template.sort();
    let mut in_code: Vec<(String, String, String)> =
        Function::ALL.iter().map(|f| (f.name().to_string(), f.method().to_string(), f.path().to_string())).collect();
    in_code.sort();
    assert_eq!(in_template, in_code);
    let binaries = std::fs::read_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../functions/src/bin")).unwrap();
    let mut binaries: Vec<String> =
        binaries.map(|e| e.unwrap().file_name().to_string_lossy().trim_end_matches(".rs").to_string()).collect();
    binaries.sort();
    let mut names: Vec<String> = in_code.into_iter().map(|(name, _, _)| name).collect();
    names.push(STREAM_CONSUMER.to_string());
    names.push(CONSOLE.to_string());
    names.extend(EVENT_FUNCTIONS.map(String::from));
    for name in EVENT_FUNCTIONS {
        assert!(template.contains(&format!("Binary: {name} }}")), "{name} is deployed");
    }
    names.sort();
    assert_eq!(binaries, names, "every function has a binary and every binary a function");
    // And each binary runs its own route.
    for &function in Function::ALL {
        let path =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../functions/src/bin/{}.rs", function.name()));
        let source = std::fs::read_to_string(path).unwrap();
        assert!(source.contains(&format!("route::{function:?}>")), "{} runs another route", function.name());
    }
}

fn stream_sample() -> String {
    std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../events/audit-stream-consumer.json"))
        .unwrap()
}

#[tokio::test]
async fn the_stream_consumer_reads_its_sample_event_and_reports_a_bad_record() {
    use aws_lambda_events::event::dynamodb::Event;
    let text = stream_sample();
    let event: Event = serde_json::from_str(&text).unwrap();
    assert!(mailkeys::audit_stream::consume(&event, None).await.batch_item_failures.is_empty());

    // A batch of three where the second lacks its event type: the second is
    // reported, and the third is left for redelivery.
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let good = value["Records"][0].clone();
    let mut bad = good.clone();
    bad["dynamodb"]["NewImage"].as_object_mut().unwrap().remove("event_type");
    bad["dynamodb"]["SequenceNumber"] = "222".into();
    let mut third = good.clone();
    third["dynamodb"]["SequenceNumber"] = "333".into();
    value["Records"] = serde_json::json!([good, bad, third]);
    let event: Event = serde_json::from_value(value).unwrap();
    let failures = mailkeys::audit_stream::consume(&event, None).await.batch_item_failures;
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].item_identifier.as_deref(), Some("222"));
}

/// Forwarding to EventBridge on the emulator: a rule on the bus sends the
/// audit events to a queue, where they arrive whole and in order; a bus that
/// does not exist makes the first record a batch failure.
#[tokio::test]
async fn the_stream_consumer_forwards_audit_records_to_an_event_bus() {
    use aws_lambda_events::event::dynamodb::Event;
    use mailkeys::audit_stream::{consume, AuditForwarder, EVENT_SOURCE};

    let sdk = mailkeys_tests::local_aws_sdk_config().await;
    let unique = ulid::Ulid::new().to_string().to_lowercase();
    let events = aws_sdk_eventbridge::Client::new(&sdk);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let bus = format!("audit-{unique}");
    events.create_event_bus().name(&bus).send().await.unwrap();
    let queue_url = sqs.create_queue().queue_name(format!("audit-{unique}")).send().await.unwrap().queue_url.unwrap();
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    events
        .put_rule()
        .name("to-queue")
        .event_bus_name(&bus)
        .event_pattern(serde_json::json!({"source": [EVENT_SOURCE]}).to_string())
        .send()
        .await
        .unwrap();
    let target = aws_sdk_eventbridge::types::Target::builder().id("queue").arn(&queue_arn).build().unwrap();
    events.put_targets().rule("to-queue").event_bus_name(&bus).targets(target).send().await.unwrap();

    // Twelve records: more than one PutEvents call holds.
    let mut batch: serde_json::Value = serde_json::from_str(&stream_sample()).unwrap();
    let sample = batch["Records"][0].clone();
    let records: Vec<_> = (0..12)
        .map(|i| {
            let mut record = sample.clone();
            record["dynamodb"]["SequenceNumber"] = format!("{}", 100 + i).into();
            record["dynamodb"]["NewImage"]["event_id"]["S"] = format!("01JDX9Q4ZK3M5N7P9R1S3T5V{i:02}").into();
            record
        })
        .collect();
    batch["Records"] = serde_json::Value::Array(records);
    let event: Event = serde_json::from_value(batch).unwrap();

    let forwarder = AuditForwarder::new(&sdk, &bus);
    assert!(consume(&event, Some(&forwarder)).await.batch_item_failures.is_empty());
    let mut received = Vec::new();
    while received.len() < 12 {
        let out = sqs.receive_message().queue_url(&queue_url).max_number_of_messages(10).send().await.unwrap();
        let messages = out.messages.unwrap_or_default();
        assert!(!messages.is_empty(), "only {} of 12 audit events arrived", received.len());
        for message in messages {
            let body: serde_json::Value = serde_json::from_str(message.body().unwrap()).unwrap();
            received.push(body);
        }
    }
    let ids: Vec<_> = received.iter().map(|e| e["detail"]["event_id"].as_str().unwrap().to_string()).collect();
    let expected: Vec<_> = (0..12).map(|i| format!("01JDX9Q4ZK3M5N7P9R1S3T5V{i:02}")).collect();
    assert_eq!(ids, expected);
    let first = &received[0];
    assert_eq!(first["source"], EVENT_SOURCE);
    assert_eq!(first["detail-type"], first["detail"]["event_type"]);
    assert!(first["detail"]["account_id"].is_string() && first["detail"]["resource_id"].is_string());

    // Nowhere to put them: the first record is reported and nothing is lost.
    let missing = AuditForwarder::new(&sdk, format!("no-such-bus-{unique}"));
    let failures = consume(&event, Some(&missing)).await.batch_item_failures;
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].item_identifier.as_deref(), Some("100"));
}

/// Each function's timeout in the SAM template outlasts the deadline the
/// code keeps for its requests (`mailkeys::aws`), with the largest
/// connectivity-test timeout the template allows: a stalled dependency is
/// answered with the service's own 503, never cut off by Lambda.
#[test]
fn function_timeouts_outlast_request_deadlines() {
    use mailkeys::aws::REQUEST_DEADLINE;
    let template =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../infra/template.yaml")).unwrap();
    let number_after = |text: &str, key: &str| -> Option<u64> {
        let rest = &text[text.find(key)? + key.len()..];
        rest.trim_start().split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
    };
    let globals = &template[template.find("Globals:").unwrap()..];
    let default_timeout = number_after(globals, "Timeout:").expect("a global function timeout");
    let parameter = &template[template.find("TestTimeoutSeconds:").unwrap()..];
    let max_test_seconds = number_after(parameter, "MaxValue:").expect("a bound on TestTimeoutSeconds");
    for function in Function::ALL {
        let start = template.find(&format!("Binary: {} ", function.name())).expect("declared");
        let declaration = &template[start..];
        let end = declaration.find("Type: HttpApi").expect("its event");
        let timeout = number_after(&declaration[..end], "Timeout:").unwrap_or(default_timeout);
        let extra = if function.tests_connectivity() {
            max_test_seconds
        } else if function.sends_webhooks() {
            mailkeys::connectivity::webhook::DELIVERY_TIMEOUT.as_secs()
        } else {
            0
        };
        let deadline = REQUEST_DEADLINE.as_secs() + extra;
        assert!(
            timeout > deadline,
            "{}: Timeout {timeout} s must exceed its deadline of {deadline} s",
            function.name()
        );
    }
}

/// `make dev` checks its port before it installs, starts or writes anything:
/// a port that is not a number, or one in use, is a clear error and exit 2,
/// and a running stack's `.local/env` and admin key stay as they were.
#[test]
fn make_dev_refuses_a_bad_or_busy_port_before_touching_anything() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let modified = |name: &str| std::fs::metadata(root.join(".local").join(name)).and_then(|m| m.modified()).ok();
    let before = (modified("env"), modified("admin-key"));
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy_port = busy.local_addr().unwrap().port().to_string();
    for (port, says) in [
        ("abc", "PORT must be a port number"),
        ("70000", "PORT must be a port number"),
        (busy_port.as_str(), "already in use"),
    ] {
        let out =
            std::process::Command::new(root.join("scripts/dev.sh")).env("PORT", port).output().expect("dev.sh runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "PORT={port}: {stderr}");
        assert!(stderr.contains(says), "PORT={port}: {stderr}");
    }
    assert_eq!((modified("env"), modified("admin-key")), before, "nothing under .local/ was touched");
}

/// A user's `make dev` keeps its state while the tests (and CI's other
/// steps) start stacks of their own: its env file and admin key stay as
/// they were, and it still answers with them. Here "make dev" keeps its state
/// in a folder of the test's (as `make dev` does in .local), and the others
/// are the very commands `make test` runs: `scripts/with-dev.sh` and
/// `scripts/with-local-aws.sh`. The workspace's own `.local/env` and
/// `.local/admin-key` are not touched either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_make_dev_keeps_its_state_when_others_start() {
    use std::os::unix::process::CommandExt;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let read = |path: PathBuf| std::fs::read(path).ok();
    let workspace_state = || (read(root.join(".local/env")), read(root.join(".local/admin-key")));
    let before = workspace_state();
    let state = std::env::temp_dir().join(format!("mailkeys-dev-{}", ulid::Ulid::new()));
    let port = mailkeys_tests::free_port();
    let mut dev = std::process::Command::new(root.join("scripts/dev.sh"))
        .env("PORT", port.to_string())
        .env("MAILKEYS_DEV_STATE", &state)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .process_group(0)
        .spawn()
        .expect("dev.sh runs");
    let stop = |dev: &mut std::process::Child| {
        let _ = std::process::Command::new("kill").args(["--", &format!("-{}", dev.id())]).status();
        let _ = dev.wait();
    };
    let url = format!("http://127.0.0.1:{port}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    mailkeys::connectivity::tls::install_crypto_provider();
    while !(state.join("env").exists() && reqwest::get(format!("{url}/health")).await.is_ok()) {
        if std::time::Instant::now() > deadline || dev.try_wait().unwrap().is_some() {
            stop(&mut dev);
            panic!("make dev did not start");
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let env = std::fs::read_to_string(state.join("env")).unwrap();
    let key = std::fs::read_to_string(state.join("admin-key")).unwrap().trim().to_string();
    assert!(env.contains(&format!("MAILKEYS_URL={url}")));

    for others in [["scripts/with-dev.sh", "true"], ["scripts/with-local-aws.sh", "true"]] {
        let status = std::process::Command::new(root.join(others[0])).arg(others[1]).status().unwrap();
        assert!(status.success(), "{} failed", others[0]);
    }

    let still =
        (std::fs::read_to_string(state.join("env")).ok(), std::fs::read_to_string(state.join("admin-key")).ok());
    let answered = reqwest::Client::new()
        .get(format!("{url}/api/email-providers"))
        .bearer_auth(&key)
        .send()
        .await
        .map(|r| r.status());
    stop(&mut dev);
    let _ = std::fs::remove_dir_all(&state);
    assert_eq!(still.0.as_deref(), Some(env.as_str()), "make dev's env file was replaced");
    assert_eq!(still.1.as_deref().map(str::trim), Some(key.as_str()), "make dev's admin key was replaced");
    assert_eq!(answered.ok(), Some(reqwest::StatusCode::OK), "make dev no longer answers with its own key");
    assert!(workspace_state() == before, "the workspace's .local/env or .local/admin-key changed");
}

/// `mailkeys-admin init` is idempotent past the first page of `ListTables`
/// (100 names): with more than 100 tables before ours, a second run still
/// sees that ours exist instead of trying to create them again.
#[tokio::test]
async fn table_setup_reads_every_page_of_table_names() {
    use aws_sdk_dynamodb::types::{AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType};
    use mailkeys::store::Store;
    let endpoints = mailkeys_tests::shared_endpoints();
    let sdk = mailkeys_tests::sdk_config_for(endpoints).await;
    let ddb = aws_sdk_dynamodb::Client::from_conf(mailkeys_tests::dynamodb_config(&sdk, endpoints).build());
    let unique = ulid::Ulid::new().to_string().to_lowercase();
    let filler = (0..101).map(|i| {
        let ddb = ddb.clone();
        let name = format!("page-{unique}-{i:03}");
        async move {
            ddb.create_table()
                .table_name(name)
                .billing_mode(BillingMode::PayPerRequest)
                .attribute_definitions(
                    AttributeDefinition::builder()
                        .attribute_name("pk")
                        .attribute_type(ScalarAttributeType::S)
                        .build()
                        .unwrap(),
                )
                .key_schema(KeySchemaElement::builder().attribute_name("pk").key_type(KeyType::Hash).build().unwrap())
                .send()
                .await
                .expect("a filler table")
        }
    });
    futures_util::future::join_all(filler).await;
    // `zzz` sorts after the filler: ours come after the first page.
    let tables = Tables { main: format!("zzz-{unique}"), audit: format!("zzz-{unique}-audit") };
    let store = Store::new(ddb, tables);
    store.create_tables_if_missing().await.expect("first setup");
    store.create_tables_if_missing().await.expect("a second setup finds the tables on a later page");
}

/// The wire's field names have one source, the Rust types, from which
/// `infra/openapi.json` is generated; the other places that write them out
/// (the CLI, the console, the sample-event script) are checked against that
/// document here: a field renamed in the API and not in a client fails this
/// test. Checked: every field a client reads or writes by name (`["name"]`,
/// `"name":` keys and the CLI's table columns in Rust and Python; every
/// snake_case name in the console's code, which are all wire names there).
#[test]
fn the_clients_use_only_field_names_the_api_document_has() {
    use std::collections::BTreeSet;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("infra/openapi.json")).unwrap()).unwrap();
    fn names(value: &serde_json::Value, found: &mut BTreeSet<String>) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(properties) = map.get("properties").and_then(|p| p.as_object()) {
                    found.extend(properties.keys().cloned());
                }
                if let Some(values) = map.get("enum").and_then(|e| e.as_array()) {
                    found.extend(values.iter().filter_map(|v| v.as_str()).map(str::to_string));
                }
                if map.get("in").is_some() {
                    found.extend(map.get("name").and_then(|n| n.as_str()).map(str::to_string));
                }
                map.values().for_each(|v| names(v, found));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| names(v, found)),
            _ => {}
        }
    }
    let mut known = BTreeSet::new();
    names(&doc, &mut known);
    // The parts of dotted wire names (event types: `smtp_credential.created`).
    let parts: Vec<String> =
        known.iter().filter(|n| n.contains('.')).flat_map(|n| n.split('.').map(str::to_string)).collect();
    known.extend(parts);
    // The sample-event script also reads Lambda's own envelopes (API
    // Gateway's answer, a stream consumer's batch response, the reminders'
    // count).
    known.extend(["body", "statusCode", "headers", "batchItemFailures", "reminders"].map(str::to_string));
    let files = |dir: &str, ext: &str| -> Vec<PathBuf> {
        let mut found = Vec::new();
        let mut pending = vec![root.join(dir)];
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()) {
                if entry.is_dir() {
                    pending.push(entry);
                } else if entry.extension().is_some_and(|e| e == ext) {
                    found.push(entry);
                }
            }
        }
        found
    };
    // `["name"]`, `"name":` and `("HEADER", "name")`.
    let quoted = |text: &str| -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        let chars: Vec<char> = text.chars().collect();
        let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
        let mut i = 0;
        while i < chars.len() {
            if chars[i] == '"' {
                let start = i + 1;
                let mut end = start;
                while end < chars.len() && word(chars[end]) {
                    end += 1;
                }
                if end < chars.len() && chars[end] == '"' && end > start && chars[start].is_ascii_lowercase() {
                    let name: String = chars[start..end].iter().collect();
                    // An index (`value["name"]`), not a list (`["name"]`).
                    let indexes = start >= 3 && chars[start - 2] == '[' && {
                        let c = chars[start - 3];
                        word(c) || c == ')' || c == ']'
                    };
                    let after: String = chars[end + 1..(end + 3).min(chars.len())].iter().collect();
                    let column = text.chars().skip(start.saturating_sub(12)).take(12).collect::<String>();
                    let is_key =
                        indexes || after.starts_with(':') || (after.starts_with(')') && column.contains("\", \""));
                    if is_key {
                        found.insert(name);
                    }
                }
                i = end + 1;
            } else {
                i += 1;
            }
        }
        found
    };
    let mut unknown = Vec::new();
    let mut checked = 0;
    for path in files("tools/src/bin/mailkeys", "rs").into_iter().chain([root.join("scripts/invoke_events.py")]) {
        let text = std::fs::read_to_string(&path).unwrap();
        for name in quoted(&text) {
            checked += 1;
            if !known.contains(&name) {
                unknown.push(format!("{}: {name}", path.display()));
            }
        }
    }
    for path in files("console", "js") {
        let text = std::fs::read_to_string(&path).unwrap();
        let words = text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'));
        // (Id prefixes such as `key_` are not names.)
        let snake: BTreeSet<&str> = words
            .filter(|w| w.contains('_') && !w.ends_with('_') && w.starts_with(|c: char| c.is_ascii_lowercase()))
            .collect();
        for name in snake {
            checked += 1;
            if !known.contains(name) {
                unknown.push(format!("{}: {name}", path.display()));
            }
        }
    }
    assert!(checked > 50, "the check found only {checked} names: it no longer reads the clients");
    assert!(unknown.is_empty(), "field names the API document does not have:\n{}", unknown.join("\n"));
}
