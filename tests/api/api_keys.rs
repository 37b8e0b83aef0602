//! Email API keys (`/api/email/api-keys`) and the key checks every route
//! makes, against the emulator over HTTP.

use mailkeys::domain::permission::Permission;
use mailkeys::domain::secret::ExposeSecret;
use mailkeys_tests::{item_contains, LocalServer, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const KEYS: &str = "/api/email/api-keys";

async fn create_key(app: &TestApp, body: Value) -> Value {
    let res = app.admin(Method::POST, KEYS, Some(&body)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.json()
}

fn envelope_error(code: &str, message: &str) -> Value {
    json!({"success": false, "error": {"code": code, "message": message}})
}

#[tokio::test]
async fn create_list_update_revoke_as_documented() {
    let app = TestApp::start().await;
    let body =
        create_key(&app, json!({"name": "Production API Key", "permissions": ["send", "read"], "expiresIn": 365}))
            .await;
    assert_eq!(body["success"], true);
    assert_eq!(body["message"], "API key created successfully");
    let data = &body["data"];
    let id = data["id"].as_str().unwrap().to_string();
    let key = data["key"].as_str().unwrap().to_string();
    assert!(id.starts_with("key_"));
    assert!(key.starts_with("pk_test_") && key.len() > 50);
    assert_eq!(data["name"], "Production API Key");
    assert_eq!(data["prefix"], "pk_test_...");
    assert_eq!(data["permissions"], json!(["send", "read"]));
    let created_at = time::OffsetDateTime::parse(
        data["createdAt"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let expires_at = time::OffsetDateTime::parse(
        data["expiresAt"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(expires_at - created_at, time::Duration::days(365));
    let keys: Vec<&str> = data.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 8, "{keys:?}");

    // Defaults: send + read, no expiry.
    let plain = create_key(&app, json!({"name": "Development API Key"})).await;
    assert_eq!(plain["data"]["permissions"], json!(["send", "read"]));
    assert_eq!(plain["data"]["expiresAt"], Value::Null);

    // The new key works, and is never shown again.
    let res = app.call(Method::GET, "/api/email-providers", Some(&key), None).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "a send/read key authenticates but cannot manage providers");
    let list = app.admin(Method::GET, KEYS, None).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(!list.text.contains(&key));
    let body = list.json();
    assert_eq!(body["message"], "API keys retrieved successfully");
    let listed = body["data"]["keys"].as_array().unwrap();
    assert_eq!(listed.len(), 3, "the admin key and the two new ones");
    let mine = listed.iter().find(|k| k["id"] == id).unwrap();
    assert_eq!(mine["name"], "Production API Key");
    assert_eq!(mine["prefix"], "pk_test_...");
    assert_eq!(mine["permissions"], json!(["send", "read"]));
    assert!(mine["lastUsedAt"].is_string(), "the key was just used");
    assert_eq!(mine["expiresAt"], data["expiresAt"]);
    assert_eq!(mine["lastUsedFrom"], "127.0.0.1", "the socket's peer");
    assert_eq!(mine["lastUsedFor"], "email-providers-list");
    assert_eq!((mine["replacedBy"].clone(), mine["allowedCidrs"].clone()), (Value::Null, json!([])));
    let fields: Vec<&str> = mine.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(fields.len(), 11, "{fields:?}");

    let res = app
        .admin(
            Method::PATCH,
            &format!("{KEYS}/{id}"),
            Some(&json!({"name": "Updated Production Key", "permissions": ["send", "read", "webhooks"]})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    let body = res.json();
    assert_eq!(body["message"], "API key updated successfully");
    assert_eq!(body["data"]["id"], id.as_str());
    assert_eq!(body["data"]["name"], "Updated Production Key");
    assert_eq!(body["data"]["permissions"], json!(["send", "read", "webhooks"]));
    assert!(body["data"]["updatedAt"].is_string());

    let res = app.admin(Method::DELETE, &format!("{KEYS}/{id}"), None).await;
    assert_eq!(res.status, StatusCode::OK);
    let body = res.json();
    assert_eq!(body["message"], "API key revoked successfully");
    assert_eq!(body["data"]["id"], id.as_str());
    assert!(body["data"]["revokedAt"].is_string());

    // Revoked: refused on the very next request, gone from the list, 404 to manage.
    let res = app.call(Method::GET, "/api/email-providers", Some(&key), None).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert_eq!(res.json(), envelope_error("UNAUTHORIZED", "Invalid or missing API key"));
    let listed = app.admin(Method::GET, KEYS, None).await.json();
    assert!(listed["data"]["keys"].as_array().unwrap().iter().all(|k| k["id"] != id));
    for (method, body) in [(Method::DELETE, None), (Method::PATCH, Some(json!({"name": "x"})))] {
        let res = app.admin(method, &format!("{KEYS}/{id}"), body.as_ref()).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);
        assert_eq!(res.json(), envelope_error("NOT_FOUND", "API key not found"));
    }

    // Audit: created, updated (field names), revoked; the prefix, never the key.
    let events = app.admin(Method::GET, &format!("/api/audit-events?resource_id={id}"), None).await;
    let events = events.json()["events"].as_array().unwrap().clone();
    let types: Vec<&str> = events.iter().map(|e| e["event_type"].as_str().unwrap()).collect();
    assert_eq!(types, ["API_KEY_REVOKED", "API_KEY_UPDATED", "API_KEY_CREATED"]);
    assert_eq!(events[1]["changed_fields"], json!(["name", "permissions"]));
    assert!(events.iter().all(|e| e["key_prefix"] == "pk_test_..."));
    for item in app.all_items().await {
        assert!(!item_contains(&item, &key), "the key is stored in clear");
    }
}

#[tokio::test]
async fn validation_and_permissions() {
    let app = TestApp::start().await;
    for (body, message) in [
        (json!({}), "name is required"),
        (json!({"name": "  "}), "name is required"),
        (json!({"name": "k", "permissions": []}), "permissions must not be empty"),
        (json!({"name": "k", "expiresIn": 0}), "expiresIn must be a whole number of days from 1 to 3650, or null"),
        (json!({"name": "k", "expiresIn": 2.5}), "expiresIn must be a whole number of days from 1 to 3650, or null"),
        (json!({"name": "k", "expiresIn": "soon"}), "Invalid value for `expiresIn`: expected a JSON number"),
        (json!({"name": "k", "scopes": ["smtp"]}), "Unknown field `scopes`"),
    ] {
        let res = app.admin(Method::POST, KEYS, Some(&body)).await;
        assert_eq!((res.status, res.error_message()), (StatusCode::BAD_REQUEST, message.to_string()), "{body}");
    }
    let res = app.admin(Method::POST, KEYS, Some(&json!({"name": "k", "permissions": ["send", "superuser"]}))).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.error_message().starts_with("permissions may only contain: send, read, webhooks, admin"));
    assert!(!res.text.contains("superuser"), "errors do not echo input");

    // Managing keys needs admin.
    let send = app.key_with(&[Permission::Send, Permission::Read, Permission::EmailProvidersWrite]).await;
    let forbidden = envelope_error("FORBIDDEN", "Insufficient permissions to manage API keys");
    for (method, path, body) in [
        (Method::GET, KEYS.to_string(), None),
        (Method::POST, KEYS.to_string(), Some(json!({"name": "mine", "permissions": ["admin"]}))),
        (Method::PATCH, format!("{KEYS}/key_x"), Some(json!({"permissions": ["admin"]}))),
        (Method::DELETE, format!("{KEYS}/key_x"), None),
    ] {
        let res = app.call(method, &path, Some(&send), body.as_ref()).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        assert_eq!(res.json(), forbidden);
    }
    let res = app.call(Method::GET, KEYS, None, None).await;
    assert_eq!(res.json(), envelope_error("UNAUTHORIZED", "Invalid or missing API key"));

    // Another account's key: 404, and untouched.
    let victim = create_key(&app, json!({"name": "victim"})).await["data"]["id"].as_str().unwrap().to_string();
    let (_, other_admin) = app.other_account().await;
    for (method, body) in [(Method::DELETE, None), (Method::PATCH, Some(json!({"name": "mine now"})))] {
        let res = app.call(method, &format!("{KEYS}/{victim}"), Some(&other_admin), body.as_ref()).await;
        assert_eq!(res.json(), envelope_error("NOT_FOUND", "API key not found"));
    }
    let theirs = app.call(Method::GET, KEYS, Some(&other_admin), None).await.json();
    assert!(theirs["data"]["keys"].as_array().unwrap().iter().all(|k| k["id"] != victim.as_str()));
    let mine = app.admin(Method::GET, KEYS, None).await.json();
    assert!(mine["data"]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["id"] == victim.as_str() && k["name"] == "victim"));
}

#[tokio::test]
async fn a_made_up_key_is_refused_without_a_dynamodb_call() {
    let app = TestApp::start().await;
    let real = app.admin_key.clone();
    let mut typo: Vec<char> = real.chars().collect();
    let i = typo.len() - 3;
    typo[i] = if typo[i] == 'x' { 'y' } else { 'x' };
    let typo: String = typo.into_iter().collect();
    for key in [typo.as_str(), "pk_live_abc123xyz789_full_key_here", "rm_short", "not-a-key"] {
        let before = app.ddb_calls.get();
        let res = app.call(Method::GET, KEYS, Some(key), None).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
        assert_eq!(app.ddb_calls.get(), before, "a malformed key reached DynamoDB");
    }
    // A well-formed key that was never issued costs exactly one GetItem.
    let unissued = mailkeys::auth::IssuedKey::generate(mailkeys::auth::KeyPrefix::Test);
    let before = app.ddb_calls.get();
    assert_eq!(
        app.call(Method::GET, KEYS, Some(unissued.plaintext.expose_secret()), None).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.ddb_calls.get(), before + 1);
}

#[tokio::test]
async fn last_use_is_written_at_most_once_a_minute() {
    let app = TestApp::start().await;
    let reader = app.key_with(&[Permission::EmailProvidersRead]).await;
    let (before, trips) = (app.ddb_calls.get(), app.round_trips.get());
    assert_eq!(app.call(Method::GET, "/api/email-providers", Some(&reader), None).await.status, StatusCode::OK);
    let first = app.ddb_calls.get() - before;
    assert_eq!(first, 3, "GetItem for the key, one conditional update recording the use, the query");
    assert_eq!(app.round_trips.get() - trips, 2, "the use is recorded beside the query, not before it");
    let before = app.ddb_calls.get();
    assert_eq!(app.call(Method::GET, "/api/email-providers", Some(&reader), None).await.status, StatusCode::OK);
    assert_eq!(app.ddb_calls.get() - before, 2, "within the minute: no write");
    let listed = app.admin(Method::GET, KEYS, None).await.json();
    let used = listed["data"]["keys"].as_array().unwrap().iter().find(|k| k["name"] == "test key").unwrap().clone();
    assert!(used["lastUsedAt"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn an_expired_key_is_refused_on_the_next_request() {
    let app = TestApp::start().await;
    let created = create_key(&app, json!({"name": "short-lived", "permissions": ["admin"], "expiresIn": 1})).await;
    let key = created["data"]["key"].as_str().unwrap().to_string();
    assert_eq!(app.call(Method::GET, KEYS, Some(&key), None).await.status, StatusCode::OK);
    // A day passes: move its expiry into the past on both items.
    let hash = mailkeys::auth::recognise(&key).unwrap().1;
    let past = "2020-01-01T00:00:00Z";
    for (pk, sk) in [
        (format!("KEY#{}", hash.as_str()), "KEY".to_string()),
        (format!("ACCOUNT#{}", app.account_id), format!("API_KEY#{}", created["data"]["id"].as_str().unwrap())),
    ] {
        app.ddb()
            .update_item()
            .table_name(&app.tables().main)
            .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(pk))
            .key("sk", aws_sdk_dynamodb::types::AttributeValue::S(sk))
            .update_expression("SET expires_at = :past")
            .expression_attribute_values(":past", aws_sdk_dynamodb::types::AttributeValue::S(past.into()))
            .send()
            .await
            .unwrap();
    }
    let res = app.call(Method::GET, KEYS, Some(&key), None).await;
    assert_eq!(res.json(), envelope_error("UNAUTHORIZED", "Invalid or missing API key"));
    let listed = app.admin(Method::GET, KEYS, None).await.json();
    assert!(listed["data"]["keys"].as_array().unwrap().iter().all(|k| k["name"] != "short-lived"));
}

#[tokio::test]
async fn the_eleventh_create_in_any_minute_is_refused_across_two_server_processes() {
    let app = TestApp::start().await;
    let one = LocalServer::spawn(&app).await;
    let two = LocalServer::spawn(&app).await;
    let mut keys = Vec::new();
    for n in 0..10 {
        let server = if n % 2 == 0 { &one } else { &two };
        let res = app
            .call_at(
                &server.base_url,
                Method::POST,
                KEYS,
                Some(&app.admin_key),
                Some(&json!({"name": format!("k{n}")})),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "create {n}");
        assert_eq!(res.headers["x-ratelimit-limit"], "10");
        assert_eq!(res.headers["x-ratelimit-remaining"], (9 - n).to_string().as_str());
        assert!(res.headers.contains_key("x-ratelimit-reset"));
        keys.push(res.json()["data"]["key"].as_str().unwrap().to_string());
    }
    for server in [&one, &two] {
        let res = app
            .call_at(&server.base_url, Method::POST, KEYS, Some(&app.admin_key), Some(&json!({"name": "one too many"})))
            .await;
        assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(res.json()["error"]["code"], "RATE_LIMITED");
        assert_eq!(res.headers["x-ratelimit-remaining"], "0");
        let retry: u64 = res.headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&retry));
    }
    // Listing has its own, larger budget, and shows the headers too.
    let res = app.call_at(&one.base_url, Method::GET, KEYS, Some(&app.admin_key), None).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.headers["x-ratelimit-limit"], "60");
    // The other account is not limited by this one.
    let (_, other) = app.other_account().await;
    let res = app.call_at(&two.base_url, Method::POST, KEYS, Some(&other), Some(&json!({"name": "elsewhere"}))).await;
    assert_eq!(res.status, StatusCode::CREATED);
    // One JSON access line per request, with its id, route, status, latency
    // and account; neither process logged a key.
    let res = app.call_at(&one.base_url, Method::GET, KEYS, Some(&app.admin_key), None).await;
    let request_id = res.headers["x-request-id"].to_str().unwrap().to_string();
    let line = one.logs().lines().find(|l| l.contains(&request_id)).expect("an access log line").to_string();
    let line: Value = serde_json::from_str(&line).expect("JSON");
    assert_eq!(line["fields"]["route"], "GET /api/email/api-keys");
    assert_eq!(line["fields"]["status"], 200);
    assert_eq!(line["fields"]["account_id"], app.account_id.as_str());
    assert!(line["fields"]["latency_ms"].is_u64());
    for server in [&one, &two] {
        let logs = server.logs();
        assert!(!logs.contains(&app.admin_key));
        assert!(keys.iter().all(|k| !logs.contains(k.as_str())));
    }
}

#[tokio::test]
async fn an_account_cannot_lock_itself_out() {
    let app = TestApp::start().await;
    let keys = app.admin(Method::GET, KEYS, None).await.json();
    let first_id = keys["data"]["keys"][0]["id"].as_str().unwrap().to_string();
    let last_admin = "This is the account's last active key holding admin: \
                      create another admin key first, or the account could no longer manage its keys";
    let res = app.admin(Method::DELETE, &format!("{KEYS}/{first_id}"), None).await;
    assert_eq!((res.status, res.error_message()), (StatusCode::CONFLICT, last_admin.to_string()));
    let downgrade = json!({"permissions": ["send", "read"]});
    let res = app.admin(Method::PATCH, &format!("{KEYS}/{first_id}"), Some(&downgrade)).await;
    assert_eq!((res.status, res.error_message()), (StatusCode::CONFLICT, last_admin.to_string()));

    // With a second admin key, the first may go; then the second is the last.
    let second = create_key(&app, json!({"name": "second admin", "permissions": ["admin"]})).await;
    let (second_id, second_key) =
        (second["data"]["id"].as_str().unwrap().to_string(), second["data"]["key"].as_str().unwrap().to_string());
    let res = app.admin(Method::PATCH, &format!("{KEYS}/{first_id}"), Some(&downgrade)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let res = app.call(Method::DELETE, &format!("{KEYS}/{second_id}"), Some(&second_key), None).await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    // The operator's tool is outside the rule.
    app.state
        .accounts
        .revoke_key(&app.account_id, &second_id.parse().unwrap())
        .await
        .expect("the operator may revoke any key");
    assert_eq!(app.call(Method::GET, KEYS, Some(&second_key), None).await.status, StatusCode::UNAUTHORIZED);
}

/// `mailkeys-admin` mints keys for the stage the deployment says it is, and
/// none when it cannot tell.
#[tokio::test]
async fn mailkeys_admin_reads_the_stage_and_never_guesses() {
    use aws_sdk_dynamodb::types::Tag;
    use mailkeys::store::{Store, Tables};
    let app = TestApp::start().await;
    let admin = |env: Vec<(&'static str, String)>| {
        std::process::Command::new(mailkeys_tests::tool_binary("mailkeys-admin"))
            .env_clear()
            .envs(env)
            .args(["create-account", "--name", "staged"])
            .output()
            .expect("mailkeys-admin runs")
    };
    let without_stage: Vec<_> = app.server_env().into_iter().filter(|(k, _)| *k != "MAILKEYS_STAGE").collect();
    let out = admin(without_stage.clone());
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot tell whether this deployment is production, so no key was made"), "{stderr}");
    assert!(out.stdout.is_empty());

    // MAILKEYS_STAGE, as .local/env sets it, says which.
    let out = admin(app.server_env());
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(printed["api_key"].as_str().unwrap().starts_with("pk_test_"));

    // In AWS, the template tags the main table with its stage. DynamoDB Local
    // has no tagging, so this part runs on moto's DynamoDB.
    let moto = app.endpoints.aws.clone();
    let tables =
        Tables { main: format!("{}-tagged", app.tables().main), audit: format!("{}-tagged", app.tables().audit) };
    let ddb = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&app.sdk).endpoint_url(&moto).build(),
    );
    Store::new(ddb.clone(), tables.clone()).create_tables_if_missing().await.unwrap();
    let arn = ddb.describe_table().table_name(&tables.main).send().await.unwrap();
    let arn = arn.table().and_then(|t| t.table_arn()).unwrap().to_string();
    let tag = Tag::builder().key("mailkeys:stage").value("live").build().unwrap();
    ddb.tag_resource().resource_arn(arn).tags(tag).send().await.unwrap();
    let mut tagged: Vec<_> = without_stage
        .into_iter()
        .filter(|(k, _)| {
            !k.starts_with("AWS_ENDPOINT_URL_DYNAMODB")
                && !k.starts_with("MAILKEYS_TABLE")
                && *k != "MAILKEYS_AUDIT_TABLE"
        })
        .collect();
    tagged.extend([("MAILKEYS_TABLE", tables.main.clone()), ("MAILKEYS_AUDIT_TABLE", tables.audit.clone())]);
    let out = admin(tagged);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(printed["api_key"].as_str().unwrap().starts_with("pk_live_"));
}

/// `mailkeys-admin` answers in words: its version, permissions as people
/// type them, the valid names when one is wrong, and what to do without AWS
/// settings.
#[tokio::test]
async fn mailkeys_admin_talks_to_people() {
    let app = TestApp::start().await;
    let admin = |env: Vec<(&'static str, String)>, args: &[&str]| {
        let out = std::process::Command::new(mailkeys_tests::tool_binary("mailkeys-admin"))
            .env_clear()
            .envs(env)
            .args(args)
            .output()
            .expect("mailkeys-admin runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, out, _) = admin(vec![], &["--version"]);
    assert_eq!((code, out.starts_with("mailkeys-admin ")), (Some(0), true));
    let (code, _, err) = admin(vec![], &["create-account", "--name", "x"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("run `source .local/env` first"), "{err}");
    let (code, out, err) =
        admin(app.server_env(), &["create-key", "--account", app.account_id.as_str(), "--permissions", "send, read"]);
    assert_eq!(code, Some(0), "{err}");
    let id = serde_json::from_str::<Value>(&out).unwrap()["id"].as_str().unwrap().to_string();
    let listed = app.admin(Method::GET, KEYS, None).await.json();
    let key = listed["data"]["keys"].as_array().unwrap().iter().find(|k| k["id"] == id.as_str()).cloned().unwrap();
    assert_eq!(key["permissions"], json!(["send", "read"]));
    let (code, _, err) =
        admin(app.server_env(), &["create-key", "--account", app.account_id.as_str(), "--permissions", "sned"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("unknown permission \"sned\"; valid names: admin, EmailProvidersRead"), "{err}");
}

#[tokio::test]
async fn whoami_names_the_account_and_what_the_key_may_do() {
    let app = TestApp::start().await;
    let res = app.admin(Method::GET, "/api/whoami", None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let me = res.json();
    assert_eq!(me["account_id"], app.account_id.as_str());
    assert_eq!(me["permissions"], json!(["admin"]));
    let allows: Vec<&str> = me["allows"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
    for held in ["admin", "EmailProvidersWrite", "EmailProvidersRead", "ProviderCredentialsWrite", "app", "imap"] {
        assert!(allows.contains(&held), "admin allows {held}: {allows:?}");
    }
    assert!(!allows.contains(&"internal"), "admin is no internal caller");
    let grants: Vec<&str> = me["grants"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
    assert_eq!(grants.len(), Permission::ALL.len(), "admin may mint every key of its account, internal too");

    // An SMTP credential's face: its scopes, and what they imply.
    let created = app
        .admin(Method::POST, "/api/smtp-credentials", Some(&json!({"name": "Thunderbird", "scopes": ["imap", "smtp"]})))
        .await
        .json();
    let mail_key = created["apiKey"].as_str().unwrap().to_string();
    let res = app.call(Method::GET, "/api/whoami", Some(&mail_key), None).await;
    let me = res.json();
    assert_eq!(me["key_id"], created["id"]);
    assert_eq!(me["permissions"], json!(["smtp", "imap"]));
    assert_eq!(me["allows"], json!(["smtp", "imap"]));
    assert_eq!(me["grants"], json!(["smtp", "imap"]));

    // Answered from the key check alone: one GetItem (last use was just
    // written), no KMS.
    let (ddb, kms) = (app.ddb_calls.get(), app.kms_calls.get());
    assert_eq!(app.call(Method::GET, "/api/whoami", Some(&mail_key), None).await.status, StatusCode::OK);
    assert_eq!((app.ddb_calls.get() - ddb, app.kms_calls.get() - kms), (1, 0));

    assert_eq!(app.call(Method::GET, "/api/whoami", None, None).await.status, StatusCode::UNAUTHORIZED);
}

/// Lists page through the account's active keys in the active-keys index:
/// each Query asks for one page (plus one, to know whether there is more),
/// revoked keys are not read at all, and the cursor is the last key's id.
#[tokio::test]
async fn key_lists_page_through_active_keys_with_a_cursor() {
    let app = TestApp::start().await;
    let mut made = Vec::new();
    for n in 0..7 {
        let created = create_key(&app, json!({"name": format!("key {n}")})).await;
        made.push(created["data"]["id"].as_str().unwrap().to_string());
    }
    for revoked in [&made[1], &made[4]] {
        assert_eq!(app.admin(Method::DELETE, &format!("{KEYS}/{revoked}"), None).await.status, StatusCode::OK);
    }
    let queries_before = app.ddb_calls.query_limits().len();
    let (mut seen, mut cursor, mut pages) = (Vec::new(), None::<String>, 0);
    loop {
        let path = match &cursor {
            Some(c) => format!("{KEYS}?limit=2&cursor={c}"),
            None => format!("{KEYS}?limit=2"),
        };
        let res = app.admin(Method::GET, &path, None).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let data = res.json()["data"].clone();
        let keys = data["keys"].as_array().unwrap();
        assert!(keys.len() <= 2);
        seen.extend(keys.iter().map(|k| k["id"].as_str().unwrap().to_string()));
        pages += 1;
        match data.get("nextCursor").and_then(Value::as_str) {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    // The admin key first, then the new ones oldest first, without the revoked.
    let expected: Vec<String> =
        made.iter().enumerate().filter(|(n, _)| ![1, 4].contains(n)).map(|(_, id)| id.clone()).collect();
    assert_eq!(seen.len(), 6, "{seen:?}");
    assert_eq!(&seen[1..], expected.as_slice());
    assert_eq!(pages, 3);
    let limits = app.ddb_calls.query_limits()[queries_before..].to_vec();
    assert!(!limits.is_empty() && limits.iter().all(|l| *l == Some(3)), "{limits:?}");

    // Without a limit: 50, and every active key here fits.
    let all = app.admin(Method::GET, KEYS, None).await.json();
    assert_eq!(all["data"]["keys"].as_array().unwrap().len(), 6);
    assert!(all["data"].get("nextCursor").is_none());

    for bad in ["limit=0", "limit=101", "limit=x", "cursor=pc_01J0000000000000000000000", "cursor=key_nope"] {
        let res = app.admin(Method::GET, &format!("{KEYS}?{bad}"), None).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{bad}: {}", res.text);
        assert_eq!(res.json()["success"], false);
    }
}

/// Keys made before the active-keys index existed are not in it until the
/// operator runs `mailkeys-admin migrate-keys`; after that they list as
/// before, and a second run changes nothing.
#[tokio::test]
async fn keys_made_before_the_index_are_listed_after_migrate_keys() {
    let app = TestApp::start().await;
    let created = create_key(&app, json!({"name": "older key", "permissions": ["send"]})).await;
    let id = created["data"]["id"].as_str().unwrap().to_string();
    let key = created["data"]["key"].as_str().unwrap().to_string();
    let hash = mailkeys::auth::recognise(&key).unwrap().1;
    // What an auth item looked like before: the key check's fields only.
    app.ddb()
        .update_item()
        .table_name(&app.tables().main)
        .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(format!("KEY#{}", hash.as_str())))
        .key("sk", aws_sdk_dynamodb::types::AttributeValue::S("KEY".into()))
        .update_expression(
            "REMOVE face, key_hash, #name, prefix, created_at, updated_at, version, active_pk, active_sk",
        )
        .expression_attribute_names("#name", "name")
        .send()
        .await
        .unwrap();
    let listed = |body: Value| body["data"]["keys"].as_array().unwrap().iter().any(|k| k["id"] == id);
    assert!(!listed(app.admin(Method::GET, KEYS, None).await.json()));
    // Renamed before the migration ran: the rename writes the auth item too.
    let rename_first = app.admin(Method::PATCH, &format!("{KEYS}/{id}"), Some(&json!({"name": "old key"}))).await;
    assert_eq!(rename_first.status, StatusCode::OK);
    // The key itself kept working all along.
    assert_eq!(app.call(Method::GET, "/api/whoami", Some(&key), None).await.status, StatusCode::OK);

    let out = std::process::Command::new(mailkeys_tests::tool_binary("mailkeys-admin"))
        .arg("migrate-keys")
        .envs(app.server_env())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["keys_updated"], 1);
    let body = app.admin(Method::GET, KEYS, None).await.json();
    let found = body["data"]["keys"].as_array().unwrap().iter().find(|k| k["id"] == id).unwrap().clone();
    assert_eq!(found["name"], "old key");
    assert_eq!(found["permissions"], json!(["send"]));
    assert_eq!(found["createdAt"], created["data"]["createdAt"]);

    let again = std::process::Command::new(mailkeys_tests::tool_binary("mailkeys-admin"))
        .arg("migrate-keys")
        .envs(app.server_env())
        .output()
        .unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&again.stdout).unwrap()["keys_updated"], 0);
}
