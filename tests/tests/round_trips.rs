//! Sequential AWS round trips and KMS calls per route: deterministic
//! counts (calls made concurrently share one round trip), so a change that
//! adds a wait fails here. Timing itself is measured by `make bench`.

use mailkeys_tests::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// (round trips, KMS calls) of one request.
async fn cost(app: &TestApp, method: Method, path: &str, key: &str, body: Option<&Value>) -> (usize, usize, StatusCode) {
    let (trips, kms) = (app.round_trips.get(), app.kms_calls.get());
    let res = app.call(method, path, Some(key), body).await;
    (app.round_trips.get() - trips, app.kms_calls.get() - kms, res.status)
}

#[tokio::test]
async fn round_trips_per_route() {
    let app = TestApp::start().await;
    let key = app.admin_key.clone();
    // The key's first use in a minute writes lastUsedAt; measure that apart.
    let first_use = cost(&app, Method::GET, "/api/email-providers", &key, None).await;
    let ses = json!({"name": "SES", "provider_type": "ses", "region": "eu-west-1",
                     "ses_credentials": {"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "secret-1"}});
    let create = cost(&app, Method::POST, "/api/email-providers", &key, Some(&ses)).await;
    let get = cost(&app, Method::GET, "/api/email-providers/1", &key, None).await;
    let list = cost(&app, Method::GET, "/api/email-providers", &key, None).await;
    let rename = cost(&app, Method::PATCH, "/api/email-providers/1", &key, Some(&json!({"name": "SES 2"}))).await;
    let rotate = cost(&app, Method::PATCH, "/api/email-providers/1", &key,
        Some(&json!({"ses_credentials": {"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "secret-2"}}))).await;
    let key_list = cost(&app, Method::GET, "/api/email/api-keys", &key, None).await;
    let smtp = app.admin(Method::POST, "/api/smtp-credentials", Some(&json!({"name": "mail", "scopes": ["internal"]}))).await.json();
    let smtp_rotate = cost(&app, Method::POST, &format!("/api/smtp-credentials/{}/rotate", smtp["id"].as_str().unwrap()), &key, None).await;
    let internal = smtp_rotate_key(&app, &key).await;
    // Warm the internal key, then check a presented key.
    cost(&app, Method::GET, "/api/whoami", &internal, None).await;
    let verify = cost(&app, Method::POST, "/api/internal/verify-key", &internal,
        Some(&json!({"apiKey": key, "protocol": "imap"}))).await;
    let resolve_body = json!({"account_id": app.account_id, "email_provider_id": 1, "purpose": "send"});
    let resolve = cost(&app, Method::POST, "/api/internal/credentials/resolve", &internal, Some(&resolve_body)).await;
    for (name, measured) in [("first use", first_use), ("create", create), ("get", get), ("list", list),
        ("rename", rename), ("rotate", rotate), ("key list", key_list), ("smtp rotate", smtp_rotate),
        ("verify", verify), ("resolve", resolve)] {
        eprintln!("{name}: {} round trips, {} KMS, {}", measured.0, measured.1, measured.2);
    }
}

async fn smtp_rotate_key(app: &TestApp, key: &str) -> String {
    app.call(Method::POST, "/api/smtp-credentials", Some(key), Some(&json!({"name": "mail 2", "scopes": ["internal"]})))
        .await
        .json()["apiKey"]
        .as_str()
        .unwrap()
        .to_string()
}
