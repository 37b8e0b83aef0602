//! Sequential AWS round trips and KMS calls per route: deterministic
//! counts (calls made at once share one round trip), so a change that adds
//! a wait fails here. Timing itself is `make bench`'s business.

use mailkeys_tests::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// (round trips, KMS calls) of one request, which must answer `status`.
async fn cost(
    app: &TestApp,
    method: Method,
    path: &str,
    key: &str,
    body: Option<&Value>,
    status: u16,
) -> (usize, usize) {
    let (trips, kms) = (app.round_trips.get(), app.kms_calls.get());
    let res = app.call(method, path, Some(key), body).await;
    assert_eq!(res.status, StatusCode::from_u16(status).unwrap(), "{path}: {}", res.text);
    (app.round_trips.get() - trips, app.kms_calls.get() - kms)
}

#[tokio::test]
async fn round_trips_and_kms_calls_per_route() {
    let app = TestApp::start().await;
    let key = app.admin_key.clone();

    // A key's first use in a minute records it beside the request's own calls.
    assert_eq!(cost(&app, Method::GET, "/api/email-providers", &key, None, 200).await, (2, 0), "first use");
    assert_eq!(cost(&app, Method::GET, "/api/email-providers", &key, None, 200).await, (2, 0), "list: key, query");

    let ses = json!({"name": "SES", "provider_type": "ses", "region": "eu-west-1",
                     "ses_credentials": {"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "secret-1"}});
    // Email-provider ids come from the account's counter, and the id is part
    // of the KMS encryption context: key, counter, GenerateDataKey, write.
    assert_eq!(
        cost(&app, Method::POST, "/api/email-providers", &key, Some(&ses), 201).await,
        (4, 1),
        "create a provider"
    );
    assert_eq!(cost(&app, Method::GET, "/api/email-providers/1", &key, None, 200).await, (2, 0), "get: key, item");
    assert_eq!(
        cost(&app, Method::PATCH, "/api/email-providers/1", &key, Some(&json!({"name": "SES 2"})), 200).await,
        (3, 0),
        "rename: key, item, transaction"
    );
    let rotate = json!({"ses_credentials": {"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "secret-2"}});
    assert_eq!(
        cost(&app, Method::PATCH, "/api/email-providers/1", &key, Some(&rotate), 200).await,
        (3, 1),
        "a new secret is sealed while the item is read"
    );

    let credential = json!({"provider_kind": "smtp", "host": "smtp.example.com", "port": 587, "security_mode": "starttls",
                            "auth_kind": "password", "username": "worker@example.com", "password": "pw-1"});
    let path = format!("/api/accounts/{}/provider-credentials", app.account_id);
    let (trips, kms) = (app.round_trips.get(), app.kms_calls.get());
    let created = app.admin(Method::POST, &path, Some(&credential)).await.json();
    assert_eq!((app.round_trips.get() - trips, app.kms_calls.get() - kms), (3, 1), "create a credential");
    let pc = created["id"].as_str().unwrap().to_string();
    assert_eq!(cost(&app, Method::GET, &format!("{path}?limit=10"), &key, None, 200).await, (2, 0), "credential list");

    assert_eq!(
        cost(&app, Method::GET, "/api/email/api-keys", &key, None, 200).await,
        (2, 0),
        "key list: counted beside the query"
    );
    let smtp = app
        .admin(Method::POST, "/api/smtp-credentials", Some(&json!({"name": "mail", "scopes": ["imap"]})))
        .await
        .json();
    let rotate_path = format!("/api/smtp-credentials/{}/rotate", smtp["id"].as_str().unwrap());
    let rotated = cost(&app, Method::POST, &rotate_path, &key, None, 200).await;
    assert_eq!(rotated, (3, 0), "SMTP rotate: key, (limit + old key), transaction");

    // The internal routes check the caller's key beside their own first read.
    let servers = app
        .admin(Method::POST, "/api/smtp-credentials", Some(&json!({"name": "servers", "scopes": ["internal"]})))
        .await;
    let internal = servers.json()["apiKey"].as_str().unwrap().to_string();
    cost(&app, Method::GET, "/api/whoami", &internal, None, 200).await; // its first use
    let verify = json!({"apiKey": key, "protocol": "imap"});
    assert_eq!(
        cost(&app, Method::POST, "/api/internal/verify-key", &internal, Some(&verify), 200).await,
        (1, 0),
        "verify-key"
    );
    let resolve = json!({"account_id": app.account_id, "email_provider_id": 1, "purpose": "send"});
    assert_eq!(
        cost(&app, Method::POST, "/api/internal/credentials/resolve", &internal, Some(&resolve), 200).await,
        (2, 1),
        "resolve: (key + item), (Decrypt + audit record)"
    );
    let resolve_pc = json!({"account_id": app.account_id, "provider_credential_id": pc, "purpose": "send"});
    let (trips, kms) = (app.round_trips.get(), app.kms_calls.get());
    let res = app
        .http_client()
        .post(format!("{}/api/internal/credentials/resolve", app.base_url))
        .bearer_auth(&internal)
        .header("if-none-match", "\"1\"")
        .json(&resolve_pc)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    assert_eq!((app.round_trips.get() - trips, app.kms_calls.get() - kms), (1, 0), "a 304 is one round trip");
}
