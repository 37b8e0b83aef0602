//! Leaked keys stop working at once: GitHub's secret scanning reports,
//! signed with a test key pair served as the keys document on loopback, and
//! public revocation (docs/api/exposure.md).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use base64::Engine;
use mailkeys::auth::{IssuedKey, KeyHash, KeyPrefix};
use mailkeys::domain::permission::Permission;
use mailkeys::domain::secret::ExposeSecret;
use mailkeys_tests::TestApp;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::{EncodePublicKey, LineEnding};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const REPORT: &str = "/api/public/secret-scanning/github";
const REVOKE: &str = "/api/public/keys/revoke";
const KEY_ID: &str = "test-key-1";

/// GitHub's side: a signing key, and its public half served as GitHub's
/// keys document (counting the fetches).
struct FakeGithub {
    signing: SigningKey,
    keys_url: String,
    fetches: Arc<AtomicUsize>,
}

impl FakeGithub {
    async fn start() -> FakeGithub {
        let signing = SigningKey::from_slice(&[0x42; 32]).unwrap();
        let pem = signing.verifying_key().to_public_key_pem(LineEnding::LF).unwrap();
        let document = json!({"public_keys": [
            {"key_identifier": "retired-key", "key": pem, "is_current": false},
            {"key_identifier": KEY_ID, "key": pem, "is_current": true},
        ]});
        let fetches = Arc::new(AtomicUsize::new(0));
        let counted = fetches.clone();
        let router = axum::Router::new().route(
            "/meta/public_keys/secret_scanning",
            axum::routing::get(move || {
                counted.fetch_add(1, Ordering::SeqCst);
                let document = document.clone();
                async move { axum::Json(document) }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let keys_url = format!("http://{}/meta/public_keys/secret_scanning", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        FakeGithub { signing, keys_url, fetches }
    }

    fn sign(&self, body: &[u8]) -> String {
        let signature: Signature = self.signing.sign(body);
        base64::engine::general_purpose::STANDARD.encode(signature.to_der().as_bytes())
    }

    /// Sends `body` signed (or with the signature of `signed_body`).
    async fn send(&self, app: &TestApp, body: &[u8], signed_body: &[u8]) -> (StatusCode, String) {
        let res = app
            .http_client()
            .post(format!("{}{REPORT}", app.base_url))
            .header("content-type", "application/json")
            .header("Github-Public-Key-Identifier", KEY_ID)
            .header("Github-Public-Key-Signature", self.sign(signed_body))
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        (res.status(), res.text().await.unwrap())
    }

    async fn report(&self, app: &TestApp, entries: &Value) -> (StatusCode, String) {
        let body = serde_json::to_vec(entries).unwrap();
        self.send(app, &body, &body).await
    }
}

fn entry(token: &str, n: usize) -> Value {
    json!({"token": token, "type": "mailkeys_api_key",
           "url": format!("https://github.com/octo-org/octo-repo/blob/abc{n}/config.env"), "source": "content"})
}

fn sha256_hex(token: &str) -> String {
    KeyHash::of(token).as_str().to_string()
}

async fn status_of(app: &TestApp, key: &str) -> StatusCode {
    app.call(Method::GET, "/api/whoami", Some(key), None).await.status
}

async fn exposed_records(app: &TestApp, admin_key: &str) -> Vec<Value> {
    let res = app.call(Method::GET, "/api/audit-events?event_type=API_KEY_EXPOSED", Some(admin_key), None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.json()["events"].as_array().unwrap().clone()
}

async fn smtp_key(app: &TestApp, body: Value) -> (String, String) {
    let res = app.admin(Method::POST, "/api/smtp-credentials", Some(&body)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let created = res.json();
    (created["id"].as_str().unwrap().to_string(), created["apiKey"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn a_signed_report_revokes_our_keys_of_every_kind_and_nothing_else() {
    let github = FakeGithub::start().await;
    let url = github.keys_url.clone();
    let app = TestApp::start_with(|s| s.github_scanning_keys_url = url).await;
    let (other_account, other_admin) = app.other_account().await;
    let email = app.key_with(&[Permission::Send]).await;
    let (_, smtp) = smtp_key(&app, json!({"name": "Thunderbird", "scopes": ["imap"]})).await;
    let mobile = app
        .admin(
            Method::POST,
            "/api/smtp-credentials/mobile",
            Some(&json!({"name": "Phone", "platform": "ios", "deviceId": "d-1"})),
        )
        .await
        .json()["apiKey"]
        .as_str()
        .unwrap()
        .to_string();
    let (service_id, service) = app.state.accounts.create_service_key("mail servers").await.unwrap();
    let service = service.plaintext.expose_secret().to_string();
    let untouched = app.key_with(&[Permission::Send]).await;
    let (already_id, already) = smtp_key(&app, json!({"name": "Old phone", "scopes": ["imap"]})).await;
    assert_eq!(app.admin(Method::DELETE, &format!("/api/smtp-credentials/{already_id}"), None).await.status, 204);
    let unknown = IssuedKey::generate(KeyPrefix::Test).plaintext.expose_secret().to_string();
    let tokens = [
        email.as_str(),
        smtp.as_str(),
        mobile.as_str(),
        other_admin.as_str(),
        service.as_str(),
        already.as_str(),
        unknown.as_str(),
        "ghp_notoneofours",
        "pk_live_checksumfails1111111111111111111111111111111",
    ];
    let entries = Value::Array(tokens.iter().enumerate().map(|(n, t)| entry(t, n)).collect());
    let records_before = exposed_records(&app, &app.admin_key).await.len();

    let (trips, kms, ddb) = (app.round_trips.get(), app.kms_calls.get(), app.ddb_calls.get());
    let (status, text) = github.report(&app, &entries).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    // A batch read, then the revocations side by side; no KMS call.
    assert!(app.round_trips.get() - trips <= 3, "round trips: {}", app.round_trips.get() - trips);
    assert_eq!(app.kms_calls.get() - kms, 0);
    assert_eq!(app.ddb_calls.get() - ddb, 1 + 5, "one batch read and five revocations");
    let labels: Vec<Value> = serde_json::from_str(&text).unwrap();
    let expected = ["true", "true", "true", "true", "true", "true", "false", "false", "false"];
    for ((label, token), ours) in labels.iter().zip(tokens).zip(expected) {
        assert_eq!(label["token_hash"], sha256_hex(token));
        assert_eq!(label["token_type"], "mailkeys_api_key");
        assert_eq!(label["label"], if ours == "true" { "true_positive" } else { "false_positive" });
    }
    assert_eq!(labels.len(), tokens.len());
    for token in tokens {
        assert!(!text.contains(token), "the answer names tokens by hash only");
    }
    assert_eq!(github.fetches.load(Ordering::SeqCst), 1, "the keys fetched once, then kept");

    // Refused on the very next request, every kind.
    for key in [&email, &smtp, &mobile, &other_admin] {
        assert_eq!(status_of(&app, key).await, StatusCode::UNAUTHORIZED);
    }
    let check = json!({"apiKey": smtp, "protocol": "imap"});
    let res = app.call(Method::POST, "/api/internal/verify-key", Some(&service), Some(&check)).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "the exposed service key itself");
    let servers = app.state.accounts.create_service_key("new mail servers").await.unwrap().1;
    let servers = servers.plaintext.expose_secret().to_string();
    let res = app.call(Method::POST, "/api/internal/verify-key", Some(&servers), Some(&check)).await;
    assert_eq!(res.json()["valid"], false, "the exposed SMTP credential");
    assert_eq!(status_of(&app, &untouched).await, StatusCode::OK, "a key not reported is untouched");
    assert_eq!(status_of(&app, &app.admin_key).await, StatusCode::OK);

    // The trail: one record a revoked key, the report's url and source, never the key.
    let records = exposed_records(&app, &app.admin_key).await;
    assert_eq!(records.len() - records_before, 3, "email, SMTP and mobile keys of this account");
    for record in &records {
        assert_eq!(record["actor_key_id"], "github-secret-scanning");
        assert_eq!(record["source"], "content");
        assert!(record["url"].as_str().unwrap().starts_with("https://github.com/octo-org/octo-repo/blob/abc"));
        let text = record.to_string();
        assert!(tokens.iter().all(|t| !text.contains(t)));
    }
    // The same records reach the audit stream (and so EventBridge), no token in them.
    let streamed: Vec<_> = app
        .audit_stream_images()
        .await
        .iter()
        .map(|i| mailkeys::store::audit::read_event(i).expect("an audit record"))
        .filter(|e| e.event_type == "API_KEY_EXPOSED")
        .collect();
    assert_eq!(streamed.len(), 5, "four tenant keys and the service key");
    for event in &streamed {
        assert_eq!(event.source.as_deref(), Some("content"));
        assert!(event.url.as_deref().is_some_and(|u| u.starts_with("https://github.com/octo-org/")));
        let text = format!("{event:?}");
        assert!(tokens.iter().all(|t| !text.contains(t)));
    }
    let other_keys = app.state.accounts.list_keys(&other_account).await.unwrap();
    assert_eq!(other_keys[0].revoked_reason.as_deref(), Some("exposed"), "the last admin key too");
    assert_eq!(
        other_keys[0].exposed_url.as_deref(),
        Some("https://github.com/octo-org/octo-repo/blob/abc3/config.env")
    );
    let service_keys = app.state.accounts.list_service_keys().await.unwrap();
    let exposed_service = service_keys.iter().find(|k| k.key_id == service_id.key_id).unwrap();
    assert_eq!(exposed_service.revoked_reason.as_deref(), Some("exposed"));
    let mine = app.state.accounts.list_keys(&app.account_id).await.unwrap();
    let owner_revoked = mine.iter().find(|k| k.key_id.as_str() == already_id).unwrap();
    assert_eq!(owner_revoked.revoked_reason, None, "a key its owner revoked stays as it was");

    // The same report again: the same answer, nothing more written.
    let writes = app.ddb_calls.get();
    let (again_status, again) = github.report(&app, &entries).await;
    assert_eq!((again_status, again), (StatusCode::OK, text));
    assert_eq!(app.ddb_calls.get() - writes, 1, "one batch read, no write");
    assert_eq!(exposed_records(&app, &app.admin_key).await.len(), records.len());
}

#[tokio::test]
async fn bad_signatures_sizes_and_shapes_change_nothing() {
    let github = FakeGithub::start().await;
    let url = github.keys_url.clone();
    let app = TestApp::start_with(|s| s.github_scanning_keys_url = url).await;
    let key = app.key_with(&[Permission::Send]).await;
    let body = serde_json::to_vec(&json!([entry(&key, 0)])).unwrap();
    let ddb = app.ddb_calls.get();

    // A signature over another body (one byte changed).
    let mut changed = body.clone();
    let last = changed.len() - 3;
    changed[last] ^= 1;
    let (status, text) = github.send(&app, &changed, &body).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{text}");
    assert!(!text.contains(&key));
    // No headers; another key's identifier; a signature that is no DER.
    let plain = app.http_client().post(format!("{}{REPORT}", app.base_url)).body(body.clone()).send().await.unwrap();
    assert_eq!(plain.status(), StatusCode::UNAUTHORIZED);
    let unknown = app
        .http_client()
        .post(format!("{}{REPORT}", app.base_url))
        .header("Github-Public-Key-Identifier", "someone-else")
        .header("Github-Public-Key-Signature", github.sign(&body))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let fetched = github.fetches.load(Ordering::SeqCst);
    let again = app
        .http_client()
        .post(format!("{}{REPORT}", app.base_url))
        .header("Github-Public-Key-Identifier", "someone-else-again")
        .header("Github-Public-Key-Signature", github.sign(&body))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(github.fetches.load(Ordering::SeqCst), fetched, "an unknown key fetches at most once a minute");

    // Too large: 413 before the signature is looked at.
    let huge = vec![b' '; 1024 * 1024 + 1];
    let res = app.http_client().post(format!("{}{REPORT}", app.base_url)).body(huge).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let many = Value::Array((0..1001).map(|n| entry("ghp_x", n)).collect());
    assert_eq!(github.report(&app, &many).await.0, StatusCode::PAYLOAD_TOO_LARGE);

    // Signed, but not a report: 400 for the whole of it.
    for bad in [
        b"not json".to_vec(),
        b"{\"token\": \"x\"}".to_vec(),
        vec![0xff, 0xfe, b'[', b']'],
        serde_json::to_vec(&json!([entry(&key, 0), {"type": "no token", "url": "u"}])).unwrap(),
        serde_json::to_vec(&json!([{"token": 12345}])).unwrap(),
    ] {
        let (status, text) = github.send(&app, &bad, &bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
        assert!(!text.contains(&key));
    }
    assert_eq!(app.ddb_calls.get(), ddb, "nothing was read for any of them");
    assert_eq!(status_of(&app, &key).await, StatusCode::OK, "nothing revoked");
}

#[tokio::test]
async fn a_report_of_a_thousand_tokens_reads_in_batches() {
    let github = FakeGithub::start().await;
    let url = github.keys_url.clone();
    let app = TestApp::start_with(|s| s.github_scanning_keys_url = url).await;
    let mut tokens = Vec::new();
    for _ in 0..100 {
        tokens.push(app.key_with(&[Permission::Send]).await);
    }
    // Of the rest, half look like ours (read, not found), half do not.
    for n in 0..900 {
        tokens.push(match n % 2 {
            0 => IssuedKey::generate(KeyPrefix::Live).plaintext.expose_secret().to_string(),
            _ => format!("ghp_not_ours_{n}"),
        });
    }
    let entries = Value::Array(tokens.iter().enumerate().map(|(n, t)| entry(t, n)).collect());
    let (trips, ddb) = (app.round_trips.get(), app.ddb_calls.get());
    let (status, text) = github.report(&app, &entries).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(app.round_trips.get() - trips <= 3, "round trips: {}", app.round_trips.get() - trips);
    assert_eq!(app.ddb_calls.get() - ddb, 6 + 100, "550 lookups in 6 batches, 100 revocations");
    let labels: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(labels.iter().filter(|l| l["label"] == "true_positive").count(), 100);
    assert_eq!(status_of(&app, &tokens[57]).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn anyone_holding_a_key_can_revoke_it_and_learns_nothing() {
    let app = TestApp::start().await;
    let key = app.key_with(&[Permission::Send]).await;
    let send = |body: Value, from: &'static str| {
        let client =
            reqwest::Client::builder().local_address(from.parse::<std::net::IpAddr>().unwrap()).build().unwrap();
        let url = format!("{}{REVOKE}", app.base_url);
        async move {
            let res = client.post(url).json(&body).send().await.unwrap();
            let retry = res.headers().get("retry-after").cloned();
            (res.status(), res.text().await.unwrap(), retry)
        }
    };
    let unknown = IssuedKey::generate(KeyPrefix::Test).plaintext.expose_secret().to_string();
    let (status, real, _) = send(json!({"credentials": [key, "garbage"]}), "127.0.0.1").await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, fake, _) = send(json!({"credentials": [unknown]}), "127.0.0.1").await;
    assert_eq!((status, &fake), (StatusCode::ACCEPTED, &real), "the same bytes whatever was sent");
    assert_eq!(status_of(&app, &key).await, StatusCode::UNAUTHORIZED);
    let records = exposed_records(&app, &app.admin_key).await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["actor_key_id"], "public-revocation");
    assert!(!records[0].to_string().contains(&key));

    for bad in [json!({"credentials": []}), json!({"credentials": vec!["x"; 101]}), json!({"keys": ["x"]})] {
        assert_eq!(send(bad, "127.0.0.1").await.0, StatusCode::BAD_REQUEST);
    }
    // Ten a minute per address; another address has its own ten.
    for _ in 0..10 {
        assert_eq!(send(json!({"credentials": ["x"]}), "127.0.0.9").await.0, StatusCode::ACCEPTED);
    }
    let (status, _, retry) = send(json!({"credentials": ["x"]}), "127.0.0.9").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(retry.is_some());
    assert_eq!(send(json!({"credentials": ["x"]}), "127.0.0.10").await.0, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn a_key_of_an_older_shape_is_revoked_all_the_same() {
    let github = FakeGithub::start().await;
    let url = github.keys_url.clone();
    let app = TestApp::start_with(|s| s.github_scanning_keys_url = url).await;
    let key = app.key_with(&[Permission::Send]).await;
    // An auth item as written before auth items carried the listing.
    let hash = sha256_hex(&key);
    app.ddb()
        .update_item()
        .table_name(&app.tables().main)
        .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(format!("KEY#{hash}")))
        .key("sk", aws_sdk_dynamodb::types::AttributeValue::S("KEY".into()))
        .update_expression("REMOVE #v, prefix")
        .expression_attribute_names("#v", "version")
        .send()
        .await
        .unwrap();
    let (status, text) = github.report(&app, &json!([entry(&key, 0)])).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(status_of(&app, &key).await, StatusCode::UNAUTHORIZED);
    let records = exposed_records(&app, &app.admin_key).await;
    assert_eq!(records.len(), 1);
    assert_eq!((records[0]["key_prefix"].clone(), records[0]["version"].clone()), (json!("pk_test_..."), json!(2)));
}
