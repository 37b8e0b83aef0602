//! Provider credentials: every operation but the connectivity test, against
//! the emulator over HTTP.

use aws_sdk_dynamodb::types::AttributeValue;
use futures_util::future::join_all;
use mailkeys::domain::permission::Permission;
use mailkeys::domain::secret::ExposeSecret;
use mailkeys_tests::{assert_versions_gap_free, item_contains, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const PASSWORD: &str = "imap-app-password-7Hq2";
const PASSWORD_2: &str = "rotated-password-Kd93";
const TOKEN: &str = "ya29.oauth-token-secret-Zx81";
const USERNAME: &str = "mailbox.owner@example.com";

fn imap_body() -> Value {
    json!({"provider_kind": "imap", "host": "imap.example.com", "port": 993, "security_mode": "ssl_tls",
           "auth_kind": "password", "username": USERNAME, "password": PASSWORD})
}

fn collection(app: &TestApp) -> String {
    format!("/api/accounts/{}/provider-credentials", app.account_id)
}

async fn create(app: &TestApp, body: Value) -> Value {
    let res = app.admin(Method::POST, &collection(app), Some(&body)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.json()
}

async fn stored_secret(app: &TestApp, id: &str) -> AttributeValue {
    let item = app
        .ddb()
        .get_item()
        .table_name(&app.tables().main)
        .key("pk", AttributeValue::S(format!("ACCOUNT#{}", app.account_id)))
        .key("sk", AttributeValue::S(format!("PROVIDER_CREDENTIAL#{id}")))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .expect("stored");
    item["secret"].clone()
}

#[tokio::test]
async fn create_get_and_the_public_record() {
    let app = TestApp::start().await;
    let body = create(&app, imap_body()).await;
    let id = body["id"].as_str().unwrap();
    assert!(id.starts_with("pc_"));
    assert_eq!(body["account_id"], app.account_id.as_str());
    assert_eq!(body["provider_kind"], "imap");
    assert_eq!(body["host"], "imap.example.com");
    assert_eq!(body["port"], 993);
    assert_eq!(body["security_mode"], "ssl_tls");
    assert_eq!(body["auth_kind"], "password");
    assert_eq!(body["username_masked"], "m***@example.com");
    assert_eq!(body["last_test"], Value::Null);
    let fields: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(fields.len(), 11, "{fields:?}");

    let got = app.admin(Method::GET, &format!("/api/provider-credentials/{id}"), None).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.json(), body);

    let oauth = create(
        &app,
        json!({"provider_kind": "smtp", "host": "smtp.gmail.com", "port": 587, "security_mode": "starttls",
        "auth_kind": "oauth2", "username": USERNAME, "access_token": TOKEN}),
    )
    .await;
    assert_eq!(oauth["auth_kind"], "oauth2");

    let mut seen = String::new();
    seen.push_str(&app.admin(Method::GET, &collection(&app), None).await.text);
    seen.push_str(&body.to_string());
    seen.push_str(&oauth.to_string());
    for secret in [PASSWORD, TOKEN, USERNAME] {
        assert!(!seen.contains(secret));
        for item in app.all_items().await {
            assert!(!item_contains(&item, secret), "a secret or the plain username is stored");
        }
    }
}

#[tokio::test]
async fn validation_rules() {
    let app = TestApp::start().await;
    let with = |field: &str, value: Value| {
        let mut body = imap_body();
        body[field] = value;
        body
    };
    let without = |field: &str| {
        let mut body = imap_body();
        body.as_object_mut().unwrap().remove(field);
        body
    };
    let host_rule = "host must be a DNS name or IP address of at most 253 characters (no scheme, port, path or spaces)";
    let cases = [
        (with("host", json!("imaps://imap.example.com")), host_rule.to_string()),
        (with("host", json!("imap.example.com:993")), host_rule.to_string()),
        (with("host", json!("imap.example.com/inbox")), host_rule.to_string()),
        (with("host", json!("imap example.com")), host_rule.to_string()),
        (with("host", json!(format!("{}.com", "a".repeat(250)))), host_rule.to_string()),
        (with("host", json!("")), "host is required".to_string()),
        (with("port", json!(0)), "port must be between 1 and 65535".to_string()),
        (with("port", json!(70000)), "port must be between 1 and 65535".to_string()),
        (
            with("security_mode", json!("none")),
            "security_mode none would send credentials in clear; use ssl_tls or starttls".to_string(),
        ),
        (
            with("security_mode", json!("tls")),
            "Invalid value for `security_mode`: expected one of `ssl_tls`, `starttls`, `none`".to_string(),
        ),
        (
            with("auth_kind", json!("kerberos")),
            "Invalid value for `auth_kind`: expected `password` or `oauth2`".to_string(),
        ),
        (
            with("provider_kind", json!("pop3")),
            "Invalid value for `provider_kind`: expected `imap` or `smtp`".to_string(),
        ),
        (with("access_token", json!(TOKEN)), "access_token is only for auth_kind oauth2".to_string()),
        (without("password"), "password is required".to_string()),
        (with("username", json!("")), "username is required".to_string()),
        (with("folder", json!("INBOX")), "Unknown field `folder`".to_string()),
    ];
    for (body, message) in cases {
        let res = app.admin(Method::POST, &collection(&app), Some(&body)).await;
        assert_eq!((res.status, res.error_message()), (StatusCode::BAD_REQUEST, message), "{body}");
        assert!(!res.text.contains(PASSWORD) && !res.text.contains(TOKEN));
    }
    assert_eq!(app.admin(Method::GET, &collection(&app), None).await.json()["items"], json!([]));

    // PATCH: non-secret fields only, checked as a whole.
    let id = create(&app, imap_body()).await["id"].as_str().unwrap().to_string();
    let path = format!("/api/provider-credentials/{id}");
    for (body, message) in [
        (
            json!({"password": PASSWORD_2}),
            "password can be sent with PATCH only when host, port or security_mode changes; \
             use POST /api/provider-credentials/{id}/rotate",
        ),
        (
            json!({"access_token": TOKEN}),
            "access_token can be sent with PATCH only when host, port or security_mode changes; \
             use POST /api/provider-credentials/{id}/rotate",
        ),
        (
            json!({"host": "elsewhere.example.net"}),
            "password is required when host, port or security_mode changes: \
             a stored secret only goes to the server it was given for",
        ),
        (json!({"port": 143, "access_token": TOKEN}), "access_token is only for auth_kind oauth2"),
        (
            json!({"username": "x@example.com"}),
            "username cannot be changed with PATCH; use POST /api/provider-credentials/{id}/rotate",
        ),
        (
            json!({"security_mode": "none"}),
            "security_mode none would send credentials in clear; use ssl_tls or starttls",
        ),
        (json!({"port": -1}), "port must be between 1 and 65535"),
    ] {
        let res = app.admin(Method::PATCH, &path, Some(&body)).await;
        assert_eq!((res.status, res.error_message()), (StatusCode::BAD_REQUEST, message.to_string()), "{body}");
        assert!(!res.text.contains(PASSWORD_2) && !res.text.contains(TOKEN));
    }
}

#[tokio::test]
async fn update_rotate_delete_and_their_audit() {
    let app = TestApp::start().await;
    let id = create(&app, imap_body()).await["id"].as_str().unwrap().to_string();
    let path = format!("/api/provider-credentials/{id}");
    let blob = stored_secret(&app, &id).await;

    // A change that is not a destination leaves the blob byte-identical.
    let res = app.admin(Method::PATCH, &path, Some(&json!({"provider_kind": "smtp"}))).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(stored_secret(&app, &id).await, blob, "PATCH leaves the blob byte-identical");
    app.admin(Method::PATCH, &path, Some(&json!({"provider_kind": "imap"}))).await;

    // A new destination comes with the secret, sealed again for it.
    let moved = json!({"port": 143, "security_mode": "starttls", "host": "IMAP2.example.com", "password": PASSWORD});
    let res = app.admin(Method::PATCH, &path, Some(&moved)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let body = res.json();
    assert_eq!(
        (body["port"].clone(), body["security_mode"].clone(), body["host"].clone()),
        (json!(143), json!("starttls"), json!("imap2.example.com"))
    );
    let resealed = stored_secret(&app, &id).await;
    assert_ne!(resealed, blob, "a destination change seals the secret again");
    let record = app.state.provider_credentials.get(&app.account_id, &id.parse().unwrap()).await.unwrap();
    let opened = app.state.provider_credentials.open_secret(&record).await.unwrap();
    assert!(opened.username.expose_secret() == USERNAME && opened.secret.expose_secret() == PASSWORD);
    assert_eq!(app.admin(Method::PATCH, &path, Some(&json!({"port": 143}))).await.status, StatusCode::OK, "no-op");
    assert_eq!(stored_secret(&app, &id).await, resealed, "a no-op writes nothing");

    let res = app.admin(Method::POST, &format!("{path}/rotate"), Some(&json!({"password": PASSWORD_2}))).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.json()["username_masked"], "m***@example.com");
    let rotated = stored_secret(&app, &id).await;
    assert_ne!(rotated, blob);
    let record = app.state.provider_credentials.get(&app.account_id, &id.parse().unwrap()).await.unwrap();
    let opened = app.state.provider_credentials.open_secret(&record).await.unwrap();
    assert!(
        opened.secret.expose_secret() == PASSWORD_2 && opened.username.expose_secret() == USERNAME,
        "the blob holds the new secret and the kept username"
    );

    let res = app
        .admin(
            Method::POST,
            &format!("{path}/rotate"),
            Some(&json!({"auth_kind": "oauth2", "access_token": TOKEN, "username": "new.user@example.org"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        (res.json()["auth_kind"].clone(), res.json()["username_masked"].clone()),
        (json!("oauth2"), json!("n***@example.org"))
    );
    for (body, message) in [
        (json!({}), "access_token is required"),
        (json!({"password": PASSWORD}), "password is only for auth_kind password"),
    ] {
        let res = app.admin(Method::POST, &format!("{path}/rotate"), Some(&body)).await;
        assert_eq!((res.status, res.error_message()), (StatusCode::BAD_REQUEST, message.to_string()));
    }

    assert_eq!(app.admin(Method::DELETE, &path, None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.admin(Method::GET, &path, None).await.error_message(), "Provider credential not found");
    assert_eq!(app.admin(Method::DELETE, &path, None).await.status, StatusCode::NOT_FOUND);

    let events = app.admin(Method::GET, &format!("/api/audit-events?resource_id={id}"), None).await.json();
    let summary: Vec<(String, Value)> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["event_type"].as_str().unwrap().to_string(), e["changed_fields"].clone()))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("PROVIDER_CREDENTIAL_DELETED".into(), json!([])),
            ("PROVIDER_CREDENTIAL_ROTATED".into(), json!(["secret", "username", "auth_kind"])),
            ("PROVIDER_CREDENTIAL_ROTATED".into(), json!(["secret"])),
            ("PROVIDER_CREDENTIAL_UPDATED".into(), json!(["host", "port", "security_mode", "secret"])),
            ("PROVIDER_CREDENTIAL_UPDATED".into(), json!(["provider_kind"])),
            ("PROVIDER_CREDENTIAL_UPDATED".into(), json!(["provider_kind"])),
            (
                "PROVIDER_CREDENTIAL_CREATED".into(),
                json!(["provider_kind", "host", "port", "security_mode", "auth_kind", "username", "secret"])
            ),
        ]
    );
    for item in app.all_items().await {
        for secret in [PASSWORD, PASSWORD_2, TOKEN, USERNAME, "new.user@example.org"] {
            assert!(!item_contains(&item, secret));
        }
    }
}

#[tokio::test]
async fn list_pages_and_search_filters() {
    let app = TestApp::start().await;
    let mut ids = Vec::new();
    for (kind, host, mode, port) in [
        ("imap", "imap.example.com", "ssl_tls", 993),
        ("imap", "imap.example.com", "starttls", 143),
        ("smtp", "smtp.example.com", "starttls", 587),
        ("smtp", "smtp.example.com", "ssl_tls", 465),
        ("imap", "other.example.net", "ssl_tls", 993),
    ] {
        let mut body = imap_body();
        body["provider_kind"] = json!(kind);
        body["host"] = json!(host);
        body["security_mode"] = json!(mode);
        body["port"] = json!(port);
        ids.push(create(&app, body).await["id"].as_str().unwrap().to_string());
    }
    let mut listed = Vec::new();
    let mut cursor = None::<String>;
    let queries_before = app.ddb_calls.query_limits().len();
    loop {
        let path = match &cursor {
            Some(c) => format!("{}?limit=2&cursor={c}", collection(&app)),
            None => format!("{}?limit=2", collection(&app)),
        };
        let page = app.admin(Method::GET, &path, None).await.json();
        assert!(page["items"].as_array().unwrap().len() <= 2);
        listed.extend(page["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_string()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(listed, ids);
    // Each page reads its own items and one more (to know whether a next
    // page exists), with DynamoDB's paging: never the whole account.
    let queries = app.ddb_calls.query_limits()[queries_before..].to_vec();
    assert_eq!(queries, vec![Some(3); 3], "one Query of limit + 1 per page");

    let search = |filter: Value| {
        let app = &app;
        async move {
            let res = app.admin(Method::POST, &format!("{}/search", collection(app)), Some(&filter)).await;
            assert_eq!(res.status, StatusCode::OK, "{}", res.text);
            res.json()["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(search(json!({"provider_kind": "smtp"})).await, ids[2..4]);
    assert_eq!(search(json!({"host": "IMAP.example.com"})).await, ids[0..2]);
    assert_eq!(
        search(json!({"provider_kind": "imap", "security_mode": "ssl_tls"})).await,
        [ids[0].clone(), ids[4].clone()]
    );
    assert_eq!(search(json!({"auth_kind": "oauth2"})).await, Vec::<String>::new());
    assert_eq!(search(json!({"last_test_status": "never"})).await, ids);
    assert_eq!(search(json!({"last_test_status": "failed"})).await, Vec::<String>::new());
    let page = app
        .admin(
            Method::POST,
            &format!("{}/search", collection(&app)),
            Some(&json!({"provider_kind": "imap", "limit": 2})),
        )
        .await
        .json();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let next = page["next_cursor"].as_str().unwrap();
    let rest = app
        .admin(
            Method::POST,
            &format!("{}/search", collection(&app)),
            Some(&json!({"provider_kind": "imap", "limit": 2, "cursor": next})),
        )
        .await
        .json();
    assert_eq!(rest["items"][0]["id"], ids[4].as_str());
    assert_eq!(rest["next_cursor"], Value::Null);
    for (filter, message) in [
        (json!({"limit": 0}), "limit must be an integer from 1 to 100"),
        (json!({"cursor": "zzz"}), "Invalid cursor"),
        (
            json!({"last_test_status": "maybe"}),
            "Invalid value for `last_test_status`: expected one of `ok`, `failed`, `never`",
        ),
    ] {
        let res = app.admin(Method::POST, &format!("{}/search", collection(&app)), Some(&filter)).await;
        assert_eq!((res.status, res.error_message()), (StatusCode::BAD_REQUEST, message.to_string()));
    }
}

#[tokio::test]
async fn other_accounts_and_permissions() {
    let app = TestApp::start().await;
    let id = create(&app, imap_body()).await["id"].as_str().unwrap().to_string();
    let (other_account, other_key) = app.other_account().await;
    let path = format!("/api/provider-credentials/{id}");
    for (method, path, body) in [
        (Method::GET, path.clone(), None),
        (Method::PATCH, path.clone(), Some(json!({"port": 995}))),
        (Method::DELETE, path.clone(), None),
        (Method::POST, format!("{path}/rotate"), Some(json!({"password": PASSWORD_2}))),
    ] {
        let res = app.call(method, &path, Some(&other_key), body.as_ref()).await;
        assert_eq!(
            (res.status, res.error_message()),
            (StatusCode::NOT_FOUND, "Provider credential not found".to_string())
        );
    }
    // My key naming the other account, and the other key naming mine: both 404.
    for (key, account) in [(&app.admin_key, &other_account), (&other_key, &app.account_id)] {
        let res =
            app.call(Method::GET, &format!("/api/accounts/{account}/provider-credentials"), Some(key), None).await;
        assert_eq!((res.status, res.error_message()), (StatusCode::NOT_FOUND, "Account not found".to_string()));
        let res = app
            .call(Method::POST, &format!("/api/accounts/{account}/provider-credentials"), Some(key), Some(&imap_body()))
            .await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);
    }
    assert_eq!(app.admin(Method::GET, &path, None).await.json()["port"], 993);

    let reader = app.key_with(&[Permission::ProviderCredentialsRead]).await;
    assert_eq!(app.call(Method::GET, &path, Some(&reader), None).await.status, StatusCode::OK);
    let res = app.call(Method::PATCH, &path, Some(&reader), Some(&json!({"port": 995}))).await;
    assert_eq!(
        (res.status, res.error_message()),
        (StatusCode::FORBIDDEN, "Requires a valid key with ProviderCredentialsWrite".to_string())
    );
    let providers_only = app.key_with(&[Permission::EmailProvidersWrite]).await;
    assert_eq!(
        app.call(Method::GET, &collection(&app), Some(&providers_only), None).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.call(Method::GET, &path, None, None).await.status, StatusCode::UNAUTHORIZED);
}

/// Eleven PATCHes (each a new port with the password) and a rotate race on
/// one credential, twenty times: the trail is in commit order (versions
/// without a gap, one record per 200), and its newest update is the one
/// whose port is stored.
#[tokio::test]
async fn the_trail_is_in_commit_order_when_writers_race() {
    let app = TestApp::start().await;
    for round in 0..20 {
        let id = create(&app, imap_body()).await["id"].as_str().unwrap().to_string();
        let path = format!("/api/provider-credentials/{id}");
        let patches = (0..11u16).map(|i| {
            let body = json!({"port": 10_000 + i, "password": format!("pw-{round}-{i}")});
            let (app, path) = (&app, path.clone());
            async move { (10_000 + i, app.admin(Method::PATCH, &path, Some(&body)).await) }
        });
        let (rotate_path, rotate_body) = (format!("{path}/rotate"), json!({"password": PASSWORD_2}));
        let rotate = app.admin(Method::POST, &rotate_path, Some(&rotate_body));
        let (answers, rotated) = tokio::join!(join_all(patches), rotate);
        let mut port_of_request = std::collections::HashMap::new();
        let mut ok = usize::from(rotated.status == StatusCode::OK);
        for (port, answer) in &answers {
            match answer.status {
                StatusCode::OK => {
                    ok += 1;
                    port_of_request.insert(answer.headers["x-request-id"].to_str().unwrap().to_string(), *port);
                }
                StatusCode::CONFLICT | StatusCode::SERVICE_UNAVAILABLE => {}
                other => panic!("round {round}: {other}: {}", answer.text),
            }
        }
        let trail = app.trail(&id).await;
        let changes: Vec<&Value> = trail.iter().filter(|e| e["event_type"] != "PROVIDER_CREDENTIAL_CREATED").collect();
        assert_eq!(changes.len(), ok, "round {round}: one record per 200");
        assert_versions_gap_free(&trail, &format!("round {round}"));
        let stored = app.state.provider_credentials.get(&app.account_id, &id.parse().unwrap()).await.unwrap();
        assert_eq!(
            json!(stored.version),
            trail[0]["version"],
            "round {round}: the newest record is the stored version"
        );
        if let Some(newest_update) = trail.iter().find(|e| e["event_type"] == "PROVIDER_CREDENTIAL_UPDATED") {
            let request = newest_update["request_id"].as_str().unwrap();
            assert_eq!(stored.endpoint.port, port_of_request[request], "round {round}: the newest update's port");
        }
    }
}
