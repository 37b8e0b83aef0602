//! `/api/webhooks`: endpoints per account, and what they are told — signed
//! per Standard Webhooks, each delivery verified by the reference library
//! (`standardwebhooks` from PyPI), never a secret in a payload.

use std::time::Duration;

use mailkeys::domain::permission::Permission;
use mailkeys::domain::timestamp::Timestamp;
use mailkeys::service::webhooks::{Verdict, WebhookMessage};
use mailkeys_tests::{free_port, verify_with_standardwebhooks, TestApp, WebhookReceiver};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// Long enough for a loaded CI machine; `make bench` measures the delay.
const WITHIN: Duration = Duration::from_secs(30);

async fn endpoint(app: &TestApp, key: &str, url: &str, events: Value) -> (String, String) {
    let res = app.call(Method::POST, "/api/webhooks", Some(key), Some(&json!({"url": url, "events": events}))).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let body = res.json();
    (body["id"].as_str().unwrap().to_string(), body["secret"].as_str().unwrap().to_string())
}

/// The verified payloads of every request `receiver` got, in order.
fn verified(secret: &str, receiver: &WebhookReceiver) -> Vec<Value> {
    let received = receiver.received();
    verify_with_standardwebhooks(secret, &received)
        .into_iter()
        .map(|r| r.unwrap_or_else(|err| panic!("standardwebhooks refused a delivery: {err}")))
        .collect()
}

fn types(payloads: &[Value]) -> Vec<String> {
    let mut types: Vec<String> = payloads.iter().map(|p| p["type"].as_str().unwrap().to_string()).collect();
    types.sort();
    types
}

#[tokio::test]
async fn endpoints_are_managed_and_their_secret_is_shown_once() {
    let app = TestApp::start().await;
    let res = app
        .admin(
            Method::POST,
            "/api/webhooks",
            Some(&json!({"url": "https://hooks.example.com/in", "events": ["*"], "description": "Alerts"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let created = res.json();
    let id = created["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("wh_"));
    let secret = created["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_") && secret.len() > 40, "whsec_ and base64 of 32 bytes");
    assert_eq!((created["enabled"].as_bool(), created["events"].clone()), (Some(true), json!(["*"])));
    let got = app.admin(Method::GET, &format!("/api/webhooks/{id}"), None).await;
    assert_eq!(got.status, StatusCode::OK);
    assert!(got.json().get("secret").is_none() && !got.text.contains(secret), "shown once");
    let listed = app.admin(Method::GET, "/api/webhooks", None).await.json();
    assert_eq!((listed["items"].as_array().unwrap().len(), listed["next_cursor"].clone()), (1, Value::Null));
    assert!(!app.all_items().await.iter().any(|item| mailkeys_tests::item_contains(item, secret)), "sealed at rest");

    let patched = app
        .admin(
            Method::PATCH,
            &format!("/api/webhooks/{id}"),
            Some(&json!({"events": ["api_key.exposed", "credential.resolved"], "enabled": false})),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    assert_eq!(patched.json()["events"], json!(["api_key.exposed", "credential.resolved"]));
    assert_eq!(patched.json()["enabled"], false);

    for (body, message) in [
        (json!({"url": "https://h.example.com", "events": ["api_key.nope"]}), "Unknown event types: api_key.nope"),
        (json!({"url": "ftp://h.example.com", "events": ["*"]}), "url must be an absolute http or https URL"),
        (json!({"url": "https://u:p@h.example.com", "events": ["*"]}), "url must not contain a username or password"),
        (json!({"url": "https://h.example.com", "events": []}), "events must name at least one event type, or \"*\""),
    ] {
        let res = app.admin(Method::POST, "/api/webhooks", Some(&body)).await;
        assert_eq!((res.status, res.error_message()), (StatusCode::BAD_REQUEST, message.to_string()), "{body}");
    }

    // `webhooks` (or admin) manages them; other permissions do not.
    let reader = app.key_with(&[Permission::Read]).await;
    let res = app.call(Method::GET, "/api/webhooks", Some(&reader), None).await;
    assert_eq!((res.status, res.error_message()), (StatusCode::FORBIDDEN, "Requires a valid key with webhooks".into()));
    let manager = app.key_with(&[Permission::Webhooks]).await;
    assert_eq!(app.call(Method::GET, "/api/webhooks", Some(&manager), None).await.status, StatusCode::OK);
    // Another account sees none of them.
    let (_, other) = app.other_account().await;
    let res = app.call(Method::GET, &format!("/api/webhooks/{id}"), Some(&other), None).await;
    assert_eq!((res.status, res.error_message()), (StatusCode::NOT_FOUND, "Webhook endpoint not found".into()));

    // Ten per account.
    for n in 1..10 {
        let body = json!({"url": format!("https://h{n}.example.com/"), "events": ["*"]});
        assert_eq!(
            app.call(Method::POST, "/api/webhooks", Some(&manager), Some(&body)).await.status,
            StatusCode::CREATED
        );
    }
    let res =
        app.admin(Method::POST, "/api/webhooks", Some(&json!({"url": "https://h.example.com", "events": ["*"]}))).await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.text);
    let page = app.admin(Method::GET, "/api/webhooks?limit=4", None).await.json();
    assert_eq!(page["items"].as_array().unwrap().len(), 4);
    let next = page["next_cursor"].as_str().unwrap();
    let rest = app.admin(Method::GET, &format!("/api/webhooks?limit=100&cursor={next}"), None).await.json();
    assert_eq!(rest["items"].as_array().unwrap().len(), 6);
    assert_eq!(app.admin(Method::DELETE, &format!("/api/webhooks/{id}"), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.admin(Method::GET, &format!("/api/webhooks/{id}"), None).await.status, StatusCode::NOT_FOUND);
    let res =
        app.admin(Method::POST, "/api/webhooks", Some(&json!({"url": "https://h.example.com", "events": ["*"]}))).await;
    assert_eq!(res.status, StatusCode::CREATED, "a deleted endpoint frees its place");
    let trail: Vec<String> =
        app.trail(&id).await.iter().map(|e| e["event_type"].as_str().unwrap().to_string()).collect();
    assert_eq!(trail, ["WEBHOOK_DELETED", "WEBHOOK_UPDATED", "WEBHOOK_CREATED"], "newest first");
}

#[tokio::test]
async fn each_account_hears_exactly_its_own_events_signed() {
    let app = TestApp::start().await;
    // Made before the pipeline starts: its admin key's creation is not told.
    let (other_account, other_admin) = app.other_account().await;
    app.start_webhook_pipeline().await;
    let (mine, theirs) = (WebhookReceiver::start().await, WebhookReceiver::start().await);
    let (_, my_secret) = endpoint(&app, &app.admin_key, &mine.url, json!(["*", "credential.resolved"])).await;
    let (_, their_secret) = endpoint(&app, &other_admin, &theirs.url, json!(["*"])).await;

    // Keys: an email API key and an SMTP credential, each through its life.
    let created = app
        .admin(Method::POST, "/api/email/api-keys", Some(&json!({"name": "sender", "permissions": ["send"]})))
        .await
        .json();
    let api_key = created["data"]["key"].as_str().unwrap().to_string();
    let api_key_id = created["data"]["id"].as_str().unwrap().to_string();
    let path = format!("/api/email/api-keys/{api_key_id}");
    assert_eq!(app.admin(Method::PATCH, &path, Some(&json!({"name": "sender 2"}))).await.status, StatusCode::OK);
    let rotated = app.admin(Method::POST, &format!("{path}/rotate"), None).await.json();
    let new_api_key_id = rotated["data"]["id"].as_str().unwrap().to_string();
    let new_api_key = rotated["data"]["key"].as_str().unwrap().to_string();
    let revoked = app.admin(Method::DELETE, &format!("/api/email/api-keys/{new_api_key_id}"), None).await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.text);
    let smtp =
        app.admin(Method::POST, "/api/smtp-credentials", Some(&json!({"name": "printer", "scopes": ["smtp"]}))).await;
    let smtp = smtp.json();
    let smtp_key = smtp["apiKey"].as_str().unwrap().to_string();
    let smtp_id = smtp["id"].as_str().unwrap().to_string();
    let res = app.admin(Method::POST, &format!("/api/smtp-credentials/{smtp_id}/rotate"), None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let smtp_key_2 = res.json()["apiKey"].as_str().unwrap().to_string();
    // Found in public: revoked, and told.
    let res =
        app.call(Method::POST, "/api/public/keys/revoke", None, Some(&json!({"credentials": [smtp_key_2]}))).await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.text);

    // An email provider, tested against a closed port (fails), and deleted.
    let closed = free_port();
    let provider = json!({"name": "Relay", "provider_type": "smtp", "region": "local",
        "smtp_credentials": {"host": "127.0.0.1", "port": closed, "username": "relay@example.com",
                             "password": "relay-secret-Wh1", "encryption": "starttls"}});
    let provider = app.admin(Method::POST, "/api/email-providers", Some(&provider)).await.json();
    let provider_id = provider["id"].as_u64().unwrap();
    let ppath = format!("/api/email-providers/{provider_id}");
    assert_eq!(app.admin(Method::PATCH, &ppath, Some(&json!({"name": "Relay 2"}))).await.status, StatusCode::OK);
    assert_eq!(app.admin(Method::POST, &format!("{ppath}/test"), None).await.json()["status"], "failed");
    // A worker reads its secret (opt-in event).
    let internal = app.key_with(&[Permission::Internal]).await;
    let body = json!({"account_id": app.account_id, "email_provider_id": provider_id, "purpose": "send"});
    let res = app.call(Method::POST, "/api/internal/credentials/resolve", Some(&internal), Some(&body)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(app.admin(Method::DELETE, &ppath, None).await.status, StatusCode::NO_CONTENT);

    // A provider credential: created, changed, rotated, tested (fails), deleted.
    let credentials = format!("/api/accounts/{}/provider-credentials", app.account_id);
    let credential = json!({"provider_kind": "imap", "host": "127.0.0.1", "port": closed, "security_mode": "starttls",
                            "auth_kind": "password", "username": "ada@example.com", "password": "imap-secret-Wh2"});
    let credential = app.admin(Method::POST, &credentials, Some(&credential)).await.json();
    let cpath = format!("/api/provider-credentials/{}", credential["id"].as_str().unwrap());
    let res = app.admin(Method::PATCH, &cpath, Some(&json!({"port": 1143, "password": "imap-secret-Wh2"}))).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let res = app.admin(Method::POST, &format!("{cpath}/rotate"), Some(&json!({"password": "imap-secret-Wh3"}))).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(app.admin(Method::POST, &format!("{cpath}/test"), None).await.json()["status"], "failed");
    assert_eq!(app.admin(Method::DELETE, &cpath, None).await.status, StatusCode::NO_CONTENT);

    // The other account's one change.
    let res = app
        .call(
            Method::POST,
            "/api/email/api-keys",
            Some(&other_admin),
            Some(&json!({"name": "theirs", "permissions": ["read"]})),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED);

    let expected_mine = [
        "api_key.created",
        "api_key.revoked",
        "api_key.rotated",
        "api_key.updated",
        "credential.resolved",
        "email_provider.created",
        "email_provider.deleted",
        "email_provider.test_failed",
        "email_provider.updated",
        "provider_credential.created",
        "provider_credential.deleted",
        "provider_credential.rotated",
        "provider_credential.test_failed",
        "provider_credential.updated",
        "smtp_credential.created",
        "smtp_credential.created",
        "smtp_credential.exposed",
        "smtp_credential.rotated",
    ];
    // The internal key made above is an SMTP credential (its vocabulary).
    mine.wait_for(expected_mine.len(), WITHIN).await;
    theirs.wait_for(1, WITHIN).await;
    tokio::time::sleep(Duration::from_secs(2)).await; // nothing more comes
    let my_payloads = verified(&my_secret, &mine);
    assert_eq!(types(&my_payloads), expected_mine);
    let their_payloads = verified(&their_secret, &theirs);
    assert_eq!(types(&their_payloads), ["api_key.created"]);
    assert_eq!(their_payloads[0]["data"]["account_id"], other_account.to_string());
    // One account's secret does not verify the other's deliveries.
    assert!(verify_with_standardwebhooks(&their_secret, &mine.received()).iter().all(Result::is_err));

    // Payloads: ids, prefixes and field names, never a secret.
    for hook in mine.received() {
        for secret in [
            api_key.as_str(),
            &new_api_key,
            &smtp_key,
            &smtp_key_2,
            "relay-secret-Wh1",
            "imap-secret-Wh2",
            "imap-secret-Wh3",
            &my_secret,
        ] {
            assert!(!hook.body.contains(secret), "a secret in a {} payload", hook.payload()["type"]);
        }
        assert!(hook.header("webhook-id").starts_with("evt_"));
        Timestamp::parse(hook.payload()["timestamp"].as_str().unwrap()).expect("RFC 3339");
    }
    let by_type = |t: &str| my_payloads.iter().find(|p| p["type"] == t).unwrap().clone();
    let rotation = by_type("api_key.rotated");
    assert_eq!(
        (rotation["data"]["id"].as_str(), rotation["data"]["new_id"].as_str()),
        (Some(api_key_id.as_str()), Some(new_api_key_id.as_str()))
    );
    assert_eq!(by_type("api_key.updated")["data"]["changed_fields"], json!(["name"]));
    assert_eq!(by_type("smtp_credential.exposed")["data"]["source"], Value::Null, "a public revocation names no place");
    assert_eq!(by_type("credential.resolved")["data"]["purpose"], "send");
    // Names as they are when the event is queued (a key's stays after revocation).
    let printer =
        my_payloads.iter().find(|p| p["type"] == "smtp_credential.created" && p["data"]["id"] == smtp_id.as_str());
    assert_eq!(printer.unwrap()["data"]["name"], "printer");
}

#[tokio::test]
async fn failed_deliveries_are_retried_under_the_same_id_and_listed() {
    let app = TestApp::start().await;
    app.start_webhook_pipeline().await;
    let receiver = WebhookReceiver::start().await;
    receiver.answer(&[500]);
    let (id, secret) = endpoint(&app, &app.admin_key, &receiver.url, json!(["api_key.created"])).await;
    app.key_with(&[Permission::Read]).await;
    // The first attempt fails; the second, 5 seconds later, is answered 200.
    let hooks = receiver.wait_for(2, WITHIN + Duration::from_secs(5)).await;
    assert_eq!(hooks.len(), 2);
    assert_eq!(hooks[0].header("webhook-id"), hooks[1].header("webhook-id"), "one event, one id");
    assert_eq!(hooks[0].body, hooks[1].body, "the same bytes");
    assert!(verify_with_standardwebhooks(&secret, &hooks).iter().all(Result::is_ok));
    let mut deliveries = Value::Null;
    for _ in 0..50 {
        deliveries = app.admin(Method::GET, &format!("/api/webhooks/{id}/deliveries"), None).await.json();
        if deliveries["items"].as_array().is_some_and(|items| items.len() == 2) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let items = deliveries["items"].as_array().unwrap();
    assert_eq!((items[0]["attempt"].as_u64(), items[0]["status_code"].as_u64()), (Some(2), Some(200)), "newest first");
    assert_eq!((items[1]["attempt"].as_u64(), items[1]["status_code"].as_u64()), (Some(1), Some(500)));
    assert_eq!(items[1]["error"], "the receiver answered 500");
    assert_eq!(items[0]["event_id"], hooks[0].header("webhook-id"));
    assert_eq!(items[0]["type"], "api_key.created");
    let endpoint = app.admin(Method::GET, &format!("/api/webhooks/{id}"), None).await.json();
    assert_eq!(endpoint["failing_since"], Value::Null, "a success clears it");
}

/// The dispatcher's rules, with a clock the test controls.
#[tokio::test]
async fn an_endpoint_failing_for_three_days_is_disabled_and_says_why() {
    let app = TestApp::start().await;
    let receiver = WebhookReceiver::start().await;
    receiver.answer(&[500; 10]);
    let (id, _) = endpoint(&app, &app.admin_key, &receiver.url, json!(["*"])).await;
    let message = WebhookMessage {
        account_id: app.account_id.clone(),
        endpoint_id: id.parse().unwrap(),
        event_id: "evt_01jf0000000000000000000000".into(),
        event_type: mailkeys::domain::webhook::EventType::ApiKeyCreated,
        body: r#"{"type":"api_key.created","timestamp":"2026-12-06T10:00:00Z","data":{}}"#.into(),
    };
    let start = Timestamp::now();
    let webhooks = &app.state.webhooks;
    assert_eq!(webhooks.deliver(&message, 1, start).await.unwrap(), Verdict::RetryAfter(Duration::from_secs(5)));
    let endpoint = app.admin(Method::GET, &format!("/api/webhooks/{id}"), None).await.json();
    assert!(endpoint["failing_since"].is_string());
    let later = start + time::Duration::hours(30);
    assert_eq!(webhooks.deliver(&message, 2, later).await.unwrap(), Verdict::RetryAfter(Duration::from_secs(300)));
    assert_eq!(webhooks.deliver(&message, 6, later).await.unwrap(), Verdict::Done, "six attempts in all");
    let days_later = start + time::Duration::days(3) + time::Duration::minutes(1);
    assert_eq!(webhooks.deliver(&message, 1, days_later).await.unwrap(), Verdict::Done);
    let endpoint = app.admin(Method::GET, &format!("/api/webhooks/{id}"), None).await.json();
    assert_eq!(endpoint["enabled"], false);
    assert!(endpoint["disabled_reason"].as_str().unwrap().contains("enable it again"), "{endpoint}");
    let sent = receiver.received().len();
    assert_eq!(webhooks.deliver(&message, 1, days_later).await.unwrap(), Verdict::Done);
    assert_eq!(receiver.received().len(), sent, "a disabled endpoint is sent nothing");
    let trail: Vec<Value> = app.trail(&id).await;
    assert_eq!(trail[0]["event_type"], "WEBHOOK_DISABLED");
    assert_eq!(trail[0]["actor_key_id"], "webhook-dispatcher");
    // Its owner turns it on again: a clean record.
    let on = app.admin(Method::PATCH, &format!("/api/webhooks/{id}"), Some(&json!({"enabled": true}))).await.json();
    assert_eq!(
        (on["enabled"].clone(), on["disabled_reason"].clone(), on["failing_since"].clone()),
        (json!(true), Value::Null, Value::Null)
    );
    // Deleted: nothing more is sent.
    assert_eq!(app.admin(Method::DELETE, &format!("/api/webhooks/{id}"), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(webhooks.deliver(&message, 1, days_later).await.unwrap(), Verdict::Done);
    assert_eq!(receiver.received().len(), sent);
}

#[tokio::test]
async fn a_rotated_secret_signs_beside_the_old_one_for_a_day() {
    let app = TestApp::start().await;
    let receiver = WebhookReceiver::start().await;
    let (id, old_secret) = endpoint(&app, &app.admin_key, &receiver.url, json!(["*"])).await;
    let res = app.admin(Method::POST, &format!("/api/webhooks/{id}/test"), None).await;
    assert_eq!(res.json(), json!({"delivered": true, "status_code": 200, "error": null}));
    let rotated = app.admin(Method::POST, &format!("/api/webhooks/{id}/rotate-secret"), None).await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.text);
    let new_secret = rotated.json()["secret"].as_str().unwrap().to_string();
    assert_ne!(new_secret, old_secret);
    app.admin(Method::POST, &format!("/api/webhooks/{id}/test"), None).await;
    let hooks = receiver.received();
    assert_eq!(hooks.len(), 2);
    assert_eq!(hooks[0].payload()["type"], "webhook.test");
    assert_eq!(hooks[1].header("webhook-signature").split(' ').count(), 2, "both signatures");
    for secret in [&old_secret, &new_secret] {
        assert!(verify_with_standardwebhooks(secret, &hooks[1..])[0].is_ok(), "verifies under either secret");
    }
    assert!(verify_with_standardwebhooks(&new_secret, &hooks[..1])[0].is_err(), "the first was signed before");
    // A day later only the new one signs.
    let message = WebhookMessage {
        account_id: app.account_id.clone(),
        endpoint_id: id.parse().unwrap(),
        event_id: "evt_01jf0000000000000000000001".into(),
        event_type: mailkeys::domain::webhook::EventType::ApiKeyRevoked,
        body: "{}".into(),
    };
    let tomorrow = Timestamp::now() + time::Duration::hours(25);
    app.state.webhooks.deliver(&message, 1, tomorrow).await.unwrap();
    assert_eq!(receiver.received()[2].header("webhook-signature").split(' ').count(), 1);

    // What a failing receiver says, as the test route answers it.
    receiver.answer(&[503]);
    let res = app.admin(Method::POST, &format!("/api/webhooks/{id}/test"), None).await;
    assert_eq!(res.json(), json!({"delivered": false, "status_code": 503, "error": "the receiver answered 503"}));
}

#[tokio::test]
async fn private_targets_are_refused_unless_allowed() {
    let app = TestApp::start_with(|settings| settings.connectivity.allow_private_hosts = false).await;
    for url in [
        "http://127.0.0.1:9/in",
        "http://localhost:9/in",
        "http://[::1]/in",
        "http://169.254.169.254/latest",
        "http://10.1.2.3/",
    ] {
        let res = app.admin(Method::POST, "/api/webhooks", Some(&json!({"url": url, "events": ["*"]}))).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{url}: {}", res.text);
        assert!(res.error_message().starts_with("url is not allowed: "), "{}", res.error_message());
    }
    // At delivery too (a name can point elsewhere later): nothing is sent.
    let receiver = WebhookReceiver::start().await;
    let sender =
        mailkeys::connectivity::webhook::WebhookSender::new(false, app.state.settings.connectivity.trust.clone());
    let url =
        mailkeys::domain::webhook::WebhookUrl::parse(&receiver.url.replace("127.0.0.1", "localhost"), false).unwrap();
    let sent = sender.send(&url, &[], b"{}").await;
    assert_eq!(sent.status_code, None);
    assert_eq!(sent.error.as_deref(), Some(mailkeys::connectivity::webhook::FORBIDDEN_ADDRESS));
    assert!(receiver.received().is_empty());
    // In the live stage only https.
    let live = TestApp::start_with(|settings| settings.stage = "live".into()).await;
    let res = live
        .admin(Method::POST, "/api/webhooks", Some(&json!({"url": "http://hooks.example.com/", "events": ["*"]})))
        .await;
    assert_eq!((res.status, res.error_message()), (StatusCode::BAD_REQUEST, "url must use https".to_string()));
}

#[tokio::test]
async fn expiry_reminders_come_once_per_threshold() {
    let app = TestApp::start().await;
    app.start_webhook_pipeline().await;
    let receiver = WebhookReceiver::start().await;
    let (_, secret) =
        endpoint(&app, &app.admin_key, &receiver.url, json!(["api_key.expiring", "smtp_credential.expiring"])).await;
    let created = app
        .admin(
            Method::POST,
            "/api/email/api-keys",
            Some(&json!({"name": "soon", "permissions": ["read"], "expiresIn": 5})),
        )
        .await
        .json();
    let key_id = created["data"]["id"].as_str().unwrap().to_string();
    // An SMTP credential rotated with a two-day overlap: reminded the day before its end.
    let smtp = app
        .admin(Method::POST, "/api/smtp-credentials", Some(&json!({"name": "old", "scopes": ["smtp"]})))
        .await
        .json();
    let smtp_id = smtp["id"].as_str().unwrap().to_string();
    let res = app
        .admin(
            Method::POST,
            &format!("/api/smtp-credentials/{smtp_id}/rotate"),
            Some(&json!({"keepOldForSeconds": 172800})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let reminders = &app.state.reminders;
    let now = Timestamp::now();
    assert_eq!(reminders.run(now).await.unwrap(), 1, "the key, 7 days ahead");
    assert_eq!(reminders.run(now).await.unwrap(), 0, "never twice");
    let a_day_later = now + time::Duration::hours(25);
    assert_eq!(reminders.run(a_day_later).await.unwrap(), 1, "the overlap's end, the day before");
    let four_days_later = now + time::Duration::days(4) + time::Duration::hours(1);
    assert_eq!(reminders.run(four_days_later).await.unwrap(), 1, "the key, the day before");
    assert_eq!(reminders.run(four_days_later).await.unwrap(), 0);
    receiver.wait_for(3, WITHIN).await;
    let payloads: Vec<Value> =
        verify_with_standardwebhooks(&secret, &receiver.received()).into_iter().map(Result::unwrap).collect();
    assert_eq!(types(&payloads), ["api_key.expiring", "api_key.expiring", "smtp_credential.expiring"]);
    let mine: Vec<&Value> = payloads.iter().filter(|p| p["data"]["id"] == key_id.as_str()).collect();
    assert_eq!(mine.len(), 2);
    assert_eq!(mine[0]["data"]["expires_at"], created["data"]["expiresAt"]);
    let overlap = payloads.iter().find(|p| p["type"] == "smtp_credential.expiring").unwrap();
    assert_eq!(overlap["data"]["id"], smtp_id.as_str());
}

/// A receiver that accepts connections and then never answers, or drops
/// them at once: (its URL, the accepted connections kept open).
async fn misbehaving_receiver(hang: bool) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            if hang {
                held.push(stream);
            } else {
                drop(stream);
            }
        }
    });
    url
}

#[tokio::test]
async fn redirects_hangs_and_resets_are_failed_deliveries() {
    let app = TestApp::start().await;
    let redirecting = WebhookReceiver::start().await;
    redirecting.answer(&[302]);
    let (id, secret) = endpoint(&app, &app.admin_key, &redirecting.url, json!(["*"])).await;
    let res = app.admin(Method::POST, &format!("/api/webhooks/{id}/test"), None).await.json();
    assert_eq!(verified(&secret, &redirecting).len(), 1, "sent signed, though not delivered");
    assert_eq!(res["delivered"], false);
    assert_eq!(res["status_code"], 302);
    assert_eq!(res["error"], "the receiver answered 302, a redirect (not followed)");
    for (hang, error) in [
        (true, "the receiver did not answer within 5 seconds"),
        (false, "the connection to the receiver failed before it answered"),
    ] {
        let url = misbehaving_receiver(hang).await;
        let (id, _) = endpoint(&app, &app.admin_key, &url, json!(["*"])).await;
        let res = app.admin(Method::POST, &format!("/api/webhooks/{id}/test"), None).await.json();
        assert_eq!(res, json!({"delivered": false, "status_code": null, "error": error}), "hang: {hang}");
    }
    let closed = format!("http://127.0.0.1:{}/hooks", free_port());
    let (id, _) = endpoint(&app, &app.admin_key, &closed, json!(["*"])).await;
    let res = app.admin(Method::POST, &format!("/api/webhooks/{id}/test"), None).await.json();
    assert_eq!(res["error"], "could not connect to the receiver");
}

#[tokio::test]
async fn a_receiver_that_hangs_does_not_hold_up_another() {
    let app = TestApp::start().await;
    app.start_webhook_pipeline().await;
    let hanging = misbehaving_receiver(true).await;
    let (slow, _) = endpoint(&app, &app.admin_key, &hanging, json!(["api_key.created"])).await;
    let fine = WebhookReceiver::start().await;
    let (_, secret) = endpoint(&app, &app.admin_key, &fine.url, json!(["api_key.created"])).await;
    app.key_with(&[Permission::Read]).await;
    assert_eq!(fine.wait_for(1, WITHIN).await.len(), 1);
    assert_eq!(verified(&secret, &fine).len(), 1);
    // Delivered while the other attempt still waits for its receiver (5 s).
    let slow_deliveries = app.admin(Method::GET, &format!("/api/webhooks/{slow}/deliveries"), None).await.json();
    assert_eq!(slow_deliveries["items"], json!([]), "the hanging receiver's attempt has not ended yet");
}

/// A key given an expiry before the expiry index existed is reminded once
/// `mailkeys-admin migrate-keys` has put it there.
#[tokio::test]
async fn keys_expiring_from_before_the_index_are_reminded_after_migrate_keys() {
    let app = TestApp::start().await;
    let created = app
        .admin(
            Method::POST,
            "/api/email/api-keys",
            Some(&json!({"name": "older", "permissions": ["read"], "expiresIn": 3})),
        )
        .await
        .json();
    let key_id = created["data"]["id"].as_str().unwrap();
    app.ddb()
        .update_item()
        .table_name(&app.tables().main)
        .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(format!("ACCOUNT#{}", app.account_id)))
        .key("sk", aws_sdk_dynamodb::types::AttributeValue::S(format!("API_KEY#{key_id}")))
        .update_expression("REMOVE expiry_pk, expiry_sk")
        .send()
        .await
        .unwrap();
    let now = Timestamp::now();
    assert_eq!(app.state.reminders.run(now).await.unwrap(), 0, "not in the index");
    assert_eq!(app.state.accounts.migrate_keys().await.unwrap(), 1);
    assert_eq!(app.state.accounts.migrate_keys().await.unwrap(), 0, "once");
    assert_eq!(app.state.reminders.run(now).await.unwrap(), 1);
}
