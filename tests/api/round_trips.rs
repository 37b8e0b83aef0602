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

/// The id of the key a rotation at `path` made (read back from the list).
async fn rotated_id(app: &TestApp, path: &str) -> String {
    let old = path.trim_start_matches("/api/smtp-credentials/").trim_end_matches("/rotate");
    let listed = app.admin(Method::GET, "/api/smtp-credentials", None).await.json();
    let keys = listed["keys"].as_array().unwrap();
    let newest = keys.iter().rfind(|k| k["id"] != old && k["name"] == "mail").expect("the new key");
    newest["id"].as_str().unwrap().to_string()
}

/// What was measured, printed as a table at the end (`make bench` shows it).
#[derive(Default)]
struct Seen(Vec<(&'static str, (usize, usize))>);

impl Seen {
    fn check(&mut self, what: &'static str, measured: (usize, usize), expected: (usize, usize)) {
        assert_eq!(measured, expected, "{what}: (round trips, KMS calls)");
        self.0.push((what, measured));
    }
}

impl Drop for Seen {
    fn drop(&mut self) {
        for (what, (trips, kms)) in &self.0 {
            eprintln!("round trips {trips}, KMS calls {kms}: {what}");
        }
    }
}

#[tokio::test]
async fn round_trips_and_kms_calls_per_route() {
    let mut seen = Seen::default();
    let app = TestApp::start().await;
    let key = app.admin_key.clone();

    // A key's first use in a minute records it beside the request's own calls.
    seen.check("first use", cost(&app, Method::GET, "/api/email-providers", &key, None, 200).await, (2, 0));
    seen.check("list: key, query", cost(&app, Method::GET, "/api/email-providers", &key, None, 200).await, (2, 0));

    let ses = json!({"name": "SES", "provider_type": "ses", "region": "eu-west-1",
                     "ses_credentials": {"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "secret-1"}});
    // Email-provider ids come from the account's counter; the data key is
    // fetched meanwhile (the id is bound by the blob's associated data, not
    // the KMS context): key, counter ‖ GenerateDataKey, write.
    seen.check(
        "create a provider",
        cost(&app, Method::POST, "/api/email-providers", &key, Some(&ses), 201).await,
        (3, 1),
    );
    seen.check("get: key, item", cost(&app, Method::GET, "/api/email-providers/1", &key, None, 200).await, (2, 0));
    seen.check(
        "rename: key, item, transaction",
        cost(&app, Method::PATCH, "/api/email-providers/1", &key, Some(&json!({"name": "SES 2"})), 200).await,
        (3, 0),
    );
    let rotate = json!({"ses_credentials": {"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "secret-2"}});
    seen.check(
        "a new secret is sealed while the item is read",
        cost(&app, Method::PATCH, "/api/email-providers/1", &key, Some(&rotate), 200).await,
        (3, 1),
    );

    let credential = json!({"provider_kind": "smtp", "host": "smtp.example.com", "port": 587, "security_mode": "starttls",
                            "auth_kind": "password", "username": "worker@example.com", "password": "pw-1"});
    let path = format!("/api/accounts/{}/provider-credentials", app.account_id);
    let (trips, kms) = (app.round_trips.get(), app.kms_calls.get());
    let created = app.admin(Method::POST, &path, Some(&credential)).await.json();
    seen.check("create a credential", (app.round_trips.get() - trips, app.kms_calls.get() - kms), (3, 1));
    let pc = created["id"].as_str().unwrap().to_string();
    seen.check("credential list", cost(&app, Method::GET, &format!("{path}?limit=10"), &key, None, 200).await, (2, 0));
    seen.check(
        "key list: counted beside the query",
        cost(&app, Method::GET, "/api/email/api-keys", &key, None, 200).await,
        (2, 0),
    );
    let smtp = app
        .admin(Method::POST, "/api/smtp-credentials", Some(&json!({"name": "mail", "scopes": ["imap"]})))
        .await
        .json();
    let rotate_path = format!("/api/smtp-credentials/{}/rotate", smtp["id"].as_str().unwrap());
    let rotated = cost(&app, Method::POST, &rotate_path, &key, None, 200).await;
    seen.check("SMTP rotate: key, (limit + old key), transaction", rotated, (3, 0));
    let new_id = rotated_id(&app, &rotate_path).await;
    let overlap = json!({"keepOldForSeconds": 3600});
    let new_rotate = format!("/api/smtp-credentials/{new_id}/rotate");
    let kept = cost(&app, Method::POST, &new_rotate, &key, Some(&overlap), 200).await;
    seen.check("SMTP rotate keeping the old key: the same", kept, (3, 0));
    let bound = json!({"name": "mail (office)", "allowedCidrs": ["192.0.2.0/24"]});
    let smtp_patch =
        cost(&app, Method::PATCH, &format!("/api/smtp-credentials/{new_id}"), &key, Some(&bound), 200).await;
    seen.check("SMTP credential update: key, limit, item, transaction", smtp_patch, (4, 0));
    let email = app.admin(Method::POST, "/api/email/api-keys", Some(&json!({"name": "to rotate"}))).await.json();
    let email_rotate = format!("/api/email/api-keys/{}/rotate", email["data"]["id"].as_str().unwrap());
    let kept = cost(&app, Method::POST, &email_rotate, &key, Some(&overlap), 201).await;
    seen.check("API key rotate keeping the old key: key, (limit + old key), transaction", kept, (3, 0));
    // A key bound to networks, used from inside them: the check reads the
    // one item it always reads.
    let bound_key = app
        .admin(
            Method::POST,
            "/api/email/api-keys",
            Some(&json!({"name": "bound", "permissions": ["EmailProvidersRead"], "allowedCidrs": ["127.0.0.0/8"]})),
        )
        .await
        .json();
    let bound_key = bound_key["data"]["key"].as_str().unwrap().to_string();
    cost(&app, Method::GET, "/api/email-providers", &bound_key, None, 200).await;
    seen.check(
        "list with an allow-listed key: key, query",
        cost(&app, Method::GET, "/api/email-providers", &bound_key, None, 200).await,
        (2, 0),
    );

    // The internal routes check the caller's key beside their own first read.
    let servers = app
        .admin(Method::POST, "/api/smtp-credentials", Some(&json!({"name": "servers", "scopes": ["internal"]})))
        .await;
    let internal = servers.json()["apiKey"].as_str().unwrap().to_string();
    cost(&app, Method::GET, "/api/whoami", &internal, None, 200).await; // its first use
    let verify = json!({"apiKey": key, "protocol": "imap"});
    seen.check(
        "verify-key",
        cost(&app, Method::POST, "/api/internal/verify-key", &internal, Some(&verify), 200).await,
        (1, 0),
    );
    let resolve = json!({"account_id": app.account_id, "email_provider_id": 1, "purpose": "send"});
    seen.check(
        "resolve: (key + item), (Decrypt + audit record)",
        cost(&app, Method::POST, "/api/internal/credentials/resolve", &internal, Some(&resolve), 200).await,
        (2, 1),
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
    seen.check("a 304 is one round trip", (app.round_trips.get() - trips, app.kms_calls.get() - kms), (1, 0));

    // A data key is bound to the account and the kind, not the row: it is
    // asked for while the row is read.
    let rotate_to = json!({"password": "pw-2", "username": "worker@example.com"});
    seen.check(
        "rotate a credential: key, item ‖ GenerateDataKey, transaction",
        cost(&app, Method::POST, &format!("/api/provider-credentials/{pc}/rotate"), &key, Some(&rotate_to), 200).await,
        (3, 1),
    );
    // Keeping the username, which is only in the blob, opens it first.
    seen.check(
        "rotate keeping the username: + Decrypt",
        cost(
            &app,
            Method::POST,
            &format!("/api/provider-credentials/{pc}/rotate"),
            &key,
            Some(&json!({"password": "pw-3"})),
            200,
        )
        .await,
        (4, 2),
    );
    seen.check(
        "move a credential: key, item ‖ GenerateDataKey, Decrypt (username), transaction",
        cost(
            &app,
            Method::PATCH,
            &format!("/api/provider-credentials/{pc}"),
            &key,
            Some(&json!({"port": 2587, "password": "pw-4"})),
            200,
        )
        .await,
        (4, 2),
    );
}

/// The webhook routes; telling a change costs no route anything (events
/// come from the audit stream).
#[tokio::test]
async fn round_trips_and_kms_calls_of_the_webhook_routes() {
    let mut seen = Seen::default();
    let app = TestApp::start().await;
    let key = app.admin_key.clone();
    let receiver = mailkeys_tests::WebhookReceiver::start().await;
    cost(&app, Method::GET, "/api/webhooks", &key, None, 200).await; // the key's first use this minute
    let body = json!({"url": receiver.url, "events": ["*"]});
    let (trips, kms) = (app.round_trips.get(), app.kms_calls.get());
    let created = app.call(Method::POST, "/api/webhooks", Some(&key), Some(&body)).await;
    seen.check(
        "create a webhook: key, GenerateDataKey, transaction",
        (app.round_trips.get() - trips, app.kms_calls.get() - kms),
        (3, 1),
    );
    let id = created.json()["id"].as_str().unwrap().to_string();
    seen.check("list webhooks: key, query", cost(&app, Method::GET, "/api/webhooks", &key, None, 200).await, (2, 0));
    let path = format!("/api/webhooks/{id}");
    seen.check("get a webhook: key, item", cost(&app, Method::GET, &path, &key, None, 200).await, (2, 0));
    seen.check(
        "test a webhook: key, item, Decrypt, delivery record",
        cost(&app, Method::POST, &format!("{path}/test"), &key, None, 200).await,
        (4, 1),
    );
    seen.check(
        "rotate a webhook's secret: key, item, GenerateDataKey, transaction",
        cost(&app, Method::POST, &format!("{path}/rotate-secret"), &key, None, 200).await,
        (4, 1),
    );
}
