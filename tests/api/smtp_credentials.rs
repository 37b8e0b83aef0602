//! SMTP credentials (`/api/smtp-credentials`) and the mail servers' key check.

use mailkeys::domain::permission::Permission;
use mailkeys::domain::secret::ExposeSecret;
use mailkeys_tests::{item_contains, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const BASE: &str = "/api/smtp-credentials";
const VERIFY: &str = "/api/internal/verify-key";

async fn create(app: &TestApp, key: &str, body: Value) -> Value {
    let res = app.call(Method::POST, BASE, Some(key), Some(&body)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.json()
}

#[tokio::test]
async fn connection_info_create_list_revoke() {
    let app = TestApp::start().await;
    let res = app.admin(Method::GET, BASE, None).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        res.json(),
        json!({"connectionInfo": {
            "smtp": {"serverName": "smtp.example.com", "port": 587, "securePort": 465, "enabled": true},
            "pop3": {"serverName": "pop3.example.com", "port": 110, "securePort": 995, "enabled": true},
            "imap": {"serverName": "imap.example.com", "port": 143, "securePort": 993, "enabled": true}},
            "keys": []})
    );

    let created = create(
        &app,
        &app.admin_key,
        json!({"name": "My Email Client", "scopes": ["smtp", "pop3", "imap", "api:read", "api:write"]}),
    )
    .await;
    let api_key = created["apiKey"].as_str().unwrap().to_string();
    assert!(api_key.starts_with("rm_"));
    assert_eq!(created["name"], "My Email Client");
    assert_eq!(created["lastUsedAt"], Value::Null);
    assert_eq!(created["isActive"], true);
    assert_eq!(created["scopes"], json!(["smtp", "pop3", "imap", "api:read", "api:write"]));
    let fields: Vec<&str> = created.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(fields.len(), 12, "{fields:?}");
    let id = created["id"].as_str().unwrap().to_string();

    let listed = app.admin(Method::GET, BASE, None).await;
    assert!(!listed.text.contains(&api_key));
    let keys = listed.json()["keys"].as_array().unwrap().clone();
    assert_eq!(keys.len(), 1, "email API keys are not listed here");
    assert_eq!(keys[0]["id"], id.as_str());
    assert!(keys[0].get("apiKey").is_none());
    assert_eq!(keys[0]["isActive"], true);

    // The key authenticates, but only for what its scopes allow.
    let res = app.call(Method::GET, "/api/email-providers", Some(&api_key), None).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);

    let res = app.admin(Method::DELETE, &format!("{BASE}/{id}"), None).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    assert!(res.text.is_empty());
    let res = app.call(Method::GET, "/api/email-providers", Some(&api_key), None).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "revoked keys are refused on the next request");
    assert_eq!(app.admin(Method::GET, BASE, None).await.json()["keys"], json!([]));
    let res = app.admin(Method::DELETE, &format!("{BASE}/{id}"), None).await;
    assert_eq!((res.status, res.error_message()), (StatusCode::NOT_FOUND, "API key not found".to_string()));
    for item in app.all_items().await {
        assert!(!item_contains(&item, &api_key));
    }
}

#[tokio::test]
async fn validation_escalation_and_foreign_keys() {
    let app = TestApp::start().await;
    for (body, message) in [
        (json!({"name": "x"}), "scopes is required"),
        (json!({"name": "x", "scopes": []}), "scopes must not be empty"),
        (json!({"scopes": ["smtp"]}), "name is required"),
        (json!({"name": "x", "scopes": ["smtp"], "permissions": ["admin"]}), "Unknown field `permissions`"),
    ] {
        let res = app.admin(Method::POST, BASE, Some(&body)).await;
        assert_eq!((res.status, res.error_message()), (StatusCode::BAD_REQUEST, message.to_string()), "{body}");
    }
    let res = app.admin(Method::POST, BASE, Some(&json!({"name": "x", "scopes": ["smtp", "admin"]}))).await;
    assert!(res
        .error_message()
        .starts_with("scopes may only contain: smtp, pop3, imap, api:read, api:write, app, internal"));

    // `app` may manage SMTP credentials, but not mint `internal`, nor rotate an `internal` key.
    let app_key = app.key_with(&[Permission::App]).await;
    let ok = create(&app, &app_key, json!({"name": "Thunderbird", "scopes": ["smtp", "imap"]})).await;
    assert_eq!(ok["scopes"], json!(["smtp", "imap"]));
    let res = app
        .call(Method::POST, BASE, Some(&app_key), Some(&json!({"name": "svc", "scopes": ["smtp", "internal"]})))
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(res.error_message(), "A key cannot be given permissions that the calling key does not hold");
    let internal = create(&app, &app.admin_key, json!({"name": "svc", "scopes": ["internal"]})).await;
    let res = app
        .call(Method::POST, &format!("{BASE}/{}/rotate", internal["id"].as_str().unwrap()), Some(&app_key), None)
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);

    // Without `app` or `admin`: 403 with the documented message.
    let imap_only = app.key_with(&[Permission::Imap]).await;
    let res = app.call(Method::GET, BASE, Some(&imap_only), None).await;
    assert_eq!(
        (res.status, res.error_message()),
        (StatusCode::FORBIDDEN, "Insufficient permissions to manage API keys".to_string())
    );

    // Another account's key, or an email API key id, is not found here.
    let (_, other) = app.other_account().await;
    let id = ok["id"].as_str().unwrap();
    for (method, path) in [(Method::DELETE, format!("{BASE}/{id}")), (Method::POST, format!("{BASE}/{id}/rotate"))] {
        let res = app.call(method, &path, Some(&other), None).await;
        assert_eq!((res.status, res.error_message()), (StatusCode::NOT_FOUND, "API key not found".to_string()));
    }
    let email_keys = app.admin(Method::GET, "/api/email/api-keys", None).await.json();
    let email_key_id = email_keys["data"]["keys"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(app.admin(Method::DELETE, &format!("{BASE}/{email_key_id}"), None).await.status, StatusCode::NOT_FOUND);
    // Thunderbird, svc, and the two protocol-scoped keys the test made.
    assert_eq!(app.admin(Method::GET, BASE, None).await.json()["keys"].as_array().unwrap().len(), 4);
}

/// The check as the platform's mail servers make it, with a service key
/// (which no account's list shows).
async fn verify_imap(app: &TestApp, key: &str) -> Value {
    let (_, service) = app.state.accounts.create_service_key("mail servers").await.unwrap();
    let internal = service.plaintext.expose_secret().to_string();
    let body = json!({"apiKey": key, "protocol": "imap", "sourceIp": "192.0.2.1"});
    app.call(Method::POST, VERIFY, Some(&internal), Some(&body)).await.json()
}

#[tokio::test]
async fn rotate_replaces_the_key_atomically() {
    let app = TestApp::start().await;
    let old = create(&app, &app.admin_key, json!({"name": "Thunderbird", "scopes": ["smtp", "pop3", "imap"]})).await;
    let old_key = old["apiKey"].as_str().unwrap().to_string();
    let old_id = old["id"].as_str().unwrap().to_string();
    let res = app.admin(Method::POST, &format!("{BASE}/{old_id}/rotate"), None).await;
    assert_eq!(res.status, StatusCode::OK);
    let new = res.json();
    assert_ne!(new["id"], old["id"]);
    assert_eq!(new["name"], "Thunderbird");
    assert_eq!(new["scopes"], json!(["smtp", "pop3", "imap"]));
    assert_eq!(new["isActive"], true);
    assert_eq!(new["lastUsedAt"], Value::Null);
    let new_key = new["apiKey"].as_str().unwrap().to_string();
    assert!(new_key.starts_with("rm_") && new_key != old_key);

    assert_eq!(verify_imap(&app, &old_key).await["valid"], false, "the rotated-away key is refused at once");
    assert_eq!(verify_imap(&app, &new_key).await["valid"], true);
    let keys = app.admin(Method::GET, BASE, None).await.json()["keys"].as_array().unwrap().clone();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["id"], new["id"]);

    let events = app.admin(Method::GET, &format!("/api/audit-events?resource_id={old_id}"), None).await.json();
    let rotated = &events["events"][0];
    assert_eq!(rotated["event_type"], "API_KEY_ROTATED");
    assert_eq!(rotated["related_resource_id"], new["id"]);
    assert_eq!(rotated["key_prefix"], "rm_...");
    assert!(!events.to_string().contains(&new_key) && !events.to_string().contains(&old_key));
}

#[tokio::test]
async fn concurrent_rotations_have_exactly_one_winner() {
    let app = TestApp::start().await;
    for round in 0..3 {
        let key = create(&app, &app.admin_key, json!({"name": format!("client {round}"), "scopes": ["imap"]})).await;
        let path = format!("{BASE}/{}/rotate", key["id"].as_str().unwrap());
        let (a, b) = tokio::join!(app.admin(Method::POST, &path, None), app.admin(Method::POST, &path, None));
        let mut statuses = [a.status.as_u16(), b.status.as_u16()];
        statuses.sort();
        assert_eq!(statuses, [200, 409], "round {round}");
        let loser = if a.status == StatusCode::OK { &b } else { &a };
        assert_eq!(loser.json()["error"]["code"], "CONFLICT");
        // Rotating the rotated-away key later is a conflict too; a revoked one is gone.
        assert_eq!(app.admin(Method::POST, &path, None).await.status, StatusCode::CONFLICT);
    }
    let keys = app.admin(Method::GET, BASE, None).await.json()["keys"].as_array().unwrap().clone();
    assert_eq!(keys.len(), 3, "one live key per rotated key");
    let revoked = create(&app, &app.admin_key, json!({"name": "gone", "scopes": ["imap"]})).await;
    let id = revoked["id"].as_str().unwrap();
    assert_eq!(app.admin(Method::DELETE, &format!("{BASE}/{id}"), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.admin(Method::POST, &format!("{BASE}/{id}/rotate"), None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn mobile_keys() {
    let app = TestApp::start().await;
    let res = app
        .admin(
            Method::POST,
            &format!("{BASE}/mobile"),
            Some(&json!({"name": "iPhone 15", "platform": "ios", "deviceId": "device-identifier"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED);
    let body = res.json();
    assert_eq!(body["scopes"], json!(["app"]));
    assert_eq!(body["platform"], "ios");
    assert_eq!(body["deviceId"], "device-identifier");
    assert!(body["apiKey"].as_str().unwrap().starts_with("rm_"));
    let listed = app.admin(Method::GET, BASE, None).await.json();
    assert_eq!(listed["keys"][0]["platform"], "ios");
    assert_eq!(listed["keys"][0]["deviceId"], "device-identifier");
    for (body, message) in [
        (
            json!({"name": "x", "platform": "windows", "deviceId": "d"}),
            "Invalid value for `platform`: expected `ios` or `android`",
        ),
        (json!({"name": "x", "platform": "android", "deviceId": " "}), "deviceId is required"),
        (json!({"name": "x", "deviceId": "d"}), "Missing field `platform`"),
    ] {
        let res = app.admin(Method::POST, &format!("{BASE}/mobile"), Some(&body)).await;
        assert_eq!((res.status, res.error_message()), (StatusCode::BAD_REQUEST, message.to_string()));
    }
    // A mobile key's `app` scope lets it check mail over every protocol.
    let key = body["apiKey"].as_str().unwrap();
    let internal = app.key_with(&[Permission::Internal]).await;
    for protocol in ["smtp", "pop3", "imap"] {
        let check = json!({"apiKey": key, "protocol": protocol});
        let res = app.call(Method::POST, VERIFY, Some(&internal), Some(&check)).await;
        assert_eq!(res.json()["valid"], true, "{protocol}");
    }
}

#[tokio::test]
async fn verify_key_for_each_protocol() {
    let app = TestApp::start().await;
    let created = create(&app, &app.admin_key, json!({"name": "smtp only", "scopes": ["smtp"]})).await;
    let key = created["apiKey"].as_str().unwrap();
    let service = app.key_with(&[Permission::Internal]).await;
    let check = |protocol: &'static str, key: String| {
        let service = service.clone();
        let app = &app;
        async move {
            let body = json!({"apiKey": key, "protocol": protocol, "sourceIp": "198.51.100.7"});
            app.call(Method::POST, VERIFY, Some(&service), Some(&body)).await
        }
    };
    let res = check("smtp", key.to_string()).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        res.json(),
        json!({"valid": true, "accountId": app.account_id, "keyId": created["id"], "scopes": ["smtp"]})
    );
    for protocol in ["pop3", "imap"] {
        assert_eq!(
            check(protocol, key.to_string()).await.json(),
            json!({"valid": false, "accountId": null, "keyId": null, "scopes": []})
        );
    }
    let res = app.call(Method::POST, VERIFY, Some(&service), Some(&json!({"apiKey": key, "protocol": "ftp"}))).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(!res.text.contains(key));
    // A check without a key is malformed, not a failed key.
    let res = app.call(Method::POST, VERIFY, Some(&service), Some(&json!({"protocol": "smtp"}))).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert_eq!(res.json()["error"]["message"], "Missing field `apiKey`");
    // Only `internal` callers may ask.
    let res = app.call(Method::POST, VERIFY, Some(key), Some(&json!({"apiKey": key, "protocol": "smtp"}))).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn repeated_failures_are_slowed_down_per_caller_and_never_refuse_a_valid_key() {
    let app = TestApp::start().await;
    let internal = app.key_with(&[Permission::Internal]).await;
    let good = create(&app, &app.admin_key, json!({"name": "ok", "scopes": ["imap"]})).await["apiKey"]
        .as_str()
        .unwrap()
        .to_string();
    let wrong = mailkeys::auth::IssuedKey::generate(mailkeys::auth::KeyPrefix::Smtp);
    let wrong = wrong.plaintext.expose_secret();
    let body = |key: &str, ip: &str| json!({"apiKey": key, "protocol": "imap", "sourceIp": ip});
    let check = |caller: &str, key: &str, ip: &str| {
        let (caller, body) = (caller.to_string(), body(key, ip));
        let app = &app;
        async move { app.call(Method::POST, VERIFY, Some(&caller), Some(&body)).await }
    };
    for _ in 0..5 {
        assert_eq!(check(&internal, wrong, "203.0.113.9").await.json()["valid"], false);
    }
    let res = check(&internal, wrong, "203.0.113.9").await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(res.json()["error"]["code"], "RATE_LIMITED");
    let retry: u64 = res.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=300).contains(&retry));
    // A valid key is never refused by the throttle, nor is another source.
    assert_eq!(check(&internal, &good, "203.0.113.9").await.json()["valid"], true);
    assert_eq!(check(&internal, wrong, "203.0.113.10").await.json()["valid"], false);

    // Another account's internal key, and a platform service key, checking
    // for the same client address: their failures are their own.
    let (other_account, other_admin) = app.other_account().await;
    let other_internal = create(&app, &other_admin, json!({"name": "mail servers", "scopes": ["internal"]})).await
        ["apiKey"]
        .as_str()
        .unwrap()
        .to_string();
    let other_good = create(&app, &other_admin, json!({"name": "ok", "scopes": ["imap"]})).await["apiKey"]
        .as_str()
        .unwrap()
        .to_string();
    let res = check(&other_internal, &other_good, "203.0.113.9").await;
    assert_eq!((res.json()["valid"].clone(), res.json()["accountId"].clone()), (json!(true), json!(other_account)));
    assert_eq!(check(&other_internal, wrong, "203.0.113.9").await.json()["valid"], false);
    let (_, service) = app.state.accounts.create_service_key("mail servers").await.unwrap();
    let service = service.plaintext.expose_secret().to_string();
    assert_eq!(check(&service, wrong, "203.0.113.9").await.json()["valid"], false);
    assert_eq!(check(&service, &other_good, "203.0.113.9").await.json()["valid"], true);

    let res = check(&internal, &good, "not-an-ip").await;
    assert_eq!(
        (res.status, res.error_message()),
        (StatusCode::BAD_REQUEST, "sourceIp must be an IP address".to_string())
    );
}

/// Platform service keys reach the internal routes for every account and
/// nothing else; a tenant's `internal` key reaches them for its own account
/// only; a tenant `admin` key is no internal caller.
#[tokio::test]
async fn service_keys_and_tenant_keys_on_the_internal_routes() {
    use mailkeys::http::Function;
    let app = TestApp::start().await;
    let (record, service) = app.state.accounts.create_service_key("mail servers").await.unwrap();
    let service = service.plaintext.expose_secret().to_string();
    assert!(service.starts_with("pk_svc_"));
    let internal = app.key_with(&[Permission::Internal]).await;
    let mine = create(&app, &app.admin_key, json!({"name": "mine", "scopes": ["smtp"]})).await["apiKey"]
        .as_str()
        .unwrap()
        .to_string();
    let (other_account_id, other_admin) = app.other_account().await;
    let theirs = create(&app, &other_admin, json!({"name": "theirs", "scopes": ["smtp"]})).await["apiKey"]
        .as_str()
        .unwrap()
        .to_string();
    let verify = |caller: &str, key: &str| {
        let (caller, body) = (caller.to_string(), json!({"apiKey": key, "protocol": "smtp"}));
        let app = &app;
        async move { app.call(Method::POST, VERIFY, Some(&caller), Some(&body)).await }
    };
    // A provider in each account, for the resolve route.
    let ses = json!({"name": "SES", "provider_type": "ses", "region": "eu-west-1",
        "ses_credentials": {"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "svc-test-secret"}});
    let my_provider = app.admin(Method::POST, "/api/email-providers", Some(&ses)).await.json()["id"].as_u64().unwrap();
    let their_provider = app.call(Method::POST, "/api/email-providers", Some(&other_admin), Some(&ses)).await.json()
        ["id"]
        .as_u64()
        .unwrap();
    let resolve = |caller: &str, account: &str, provider: u64| {
        let body = json!({"account_id": account, "email_provider_id": provider, "purpose": "send"});
        let (caller, app) = (caller.to_string(), &app);
        async move { app.call(Method::POST, "/api/internal/credentials/resolve", Some(&caller), Some(&body)).await.status }
    };
    for internal_route in Function::ALL.iter().filter(|f| f.path().starts_with("/api/internal/")) {
        match internal_route {
            Function::VerifyKey => {
                assert_eq!(verify(&service, &mine).await.json()["valid"], true);
                assert_eq!(verify(&service, &theirs).await.json()["valid"], true, "service keys act across accounts");
                assert_eq!(verify(&internal, &mine).await.json()["valid"], true);
                assert_eq!(
                    verify(&internal, &theirs).await.json()["valid"],
                    false,
                    "a tenant's internal key: own account"
                );
                let res = verify(&app.admin_key, &mine).await;
                assert_eq!(res.status, StatusCode::FORBIDDEN, "admin does not imply internal");
            }
            Function::CredentialsResolve => {
                assert_eq!(resolve(&service, app.account_id.as_str(), my_provider).await, StatusCode::OK);
                assert_eq!(resolve(&service, other_account_id.as_str(), their_provider).await, StatusCode::OK);
                assert_eq!(resolve(&internal, app.account_id.as_str(), my_provider).await, StatusCode::OK);
                assert_eq!(resolve(&internal, other_account_id.as_str(), their_provider).await, StatusCode::NOT_FOUND);
                assert_eq!(resolve(&app.admin_key, app.account_id.as_str(), my_provider).await, StatusCode::FORBIDDEN);
            }
            other => panic!("{other:?}: a new internal route needs its cases here"),
        }
    }
    // A service key is refused on every other route that takes a key
    // (the /api/public/* routes take none), before anything else.
    let takes_a_key = |f: &&Function| !f.path().starts_with("/api/internal/") && !f.path().starts_with("/api/public/");
    for function in Function::ALL.iter().filter(takes_a_key) {
        let path = function
            .path()
            .replace("{id}", "1")
            .replace("{keyId}", "key_01")
            .replace("{account_id}", app.account_id.as_str());
        let body = json!({});
        let res = app.call(function.method(), &path, Some(&service), Some(&body)).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{} {path}", function.method());
        assert_eq!(res.error_message(), "Platform service keys may call only the /api/internal/* routes");
    }
    // No tenant sees it; revoked, it stops at once.
    let listed =
        app.admin(Method::GET, BASE, None).await.text + &app.admin(Method::GET, "/api/email/api-keys", None).await.text;
    assert!(!listed.contains(record.key_id.as_str()));
    assert_eq!(app.state.accounts.list_service_keys().await.unwrap()[0].key_id, record.key_id);
    app.state.accounts.revoke_service_key(&record.key_id).await.unwrap();
    assert_eq!(verify(&service, &mine).await.status, StatusCode::UNAUTHORIZED);
}

/// verify-key looks the presented key up beside its caller's check, but a
/// caller whose own key fails leaves no trace on the presented key: no
/// `lastUsedAt` write, no DynamoDB write at all, and the same answer
/// whatever it presented.
#[tokio::test]
async fn a_failed_caller_writes_nothing_for_the_presented_key() {
    let app = TestApp::start().await;
    let (record, service) = app.state.accounts.create_service_key("mail servers").await.unwrap();
    let service = service.plaintext.expose_secret().to_string();
    app.state.accounts.revoke_service_key(&record.key_id).await.unwrap();
    let created = create(&app, &app.admin_key, json!({"name": "mail client", "scopes": ["imap"]})).await;
    let key = created["apiKey"].as_str().unwrap().to_string();
    let unknown = app.state.keys.build(
        &app.account_id,
        mailkeys::domain::key::KeyFace::Smtp,
        mailkeys::domain::key::NewKey {
            name: "never stored".into(),
            permissions: [Permission::Imap].into_iter().collect(),
            expires_in_days: None,
            device: None,
            allowed_cidrs: Default::default(),
        },
    );
    let unknown = unknown.key.plaintext.expose_secret().to_string();
    let mut answers = Vec::new();
    for presented in [key.as_str(), unknown.as_str(), "not-a-key"] {
        let writes_before = app.ddb_calls.get();
        let res = app
            .call(Method::POST, VERIFY, Some(&service), Some(&json!({"apiKey": presented, "protocol": "imap"})))
            .await;
        // The revoked caller's GetItem, and the presented key's lookup at most.
        assert!(app.ddb_calls.get() - writes_before <= 2, "{} calls", app.ddb_calls.get() - writes_before);
        answers.push((res.status, res.text));
    }
    assert!(answers.iter().all(|a| *a == answers[0]), "the same answer whatever was presented");
    assert_eq!(answers[0].0, StatusCode::UNAUTHORIZED);
    let listed = app.admin(Method::GET, BASE, None).await.json();
    assert_eq!(listed["keys"][0]["lastUsedAt"], Value::Null, "the failed caller's check recorded a use");

    // A caller that passes records the use.
    let (_, good) = app.state.accounts.create_service_key("mail servers 2").await.unwrap();
    let good = good.plaintext.expose_secret().to_string();
    let res = app.call(Method::POST, VERIFY, Some(&good), Some(&json!({"apiKey": key, "protocol": "imap"}))).await;
    assert_eq!(res.json()["valid"], true);
    let listed = app.admin(Method::GET, BASE, None).await.json();
    assert!(listed["keys"][0]["lastUsedAt"].is_string());
}
