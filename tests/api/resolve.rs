//! `POST /api/internal/credentials/resolve`: trusted workers get the secret
//! behind a credential id, audited first, revalidated cheaply.

use mailkeys::domain::permission::Permission;
use mailkeys::domain::secret::ExposeSecret;
use mailkeys_tests::{item_contains, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const RESOLVE: &str = "/api/internal/credentials/resolve";
const SES_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const SCW_KEY: &str = "scw-api-key-resolve-Tq4";
const SMTP_PASSWORD: &str = "relay-password-resolve-8Kd";
const IMAP_PASSWORD: &str = "imap-password-resolve-3Xa";
const TOKEN: &str = "ya29.resolve-token-Zz1";

/// HMAC-SHA256 written out from its definition (RFC 2104), so that the
/// SES derivation is checked against code that is not the service's.
fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new().chain_update(pad(0x36)).chain_update(message).finalize();
    Sha256::new().chain_update(pad(0x5c)).chain_update(inner).finalize().to_vec()
}

/// AWS's documented SMTP password derivation for SES.
fn expected_ses_password(secret: &str, region: &str) -> String {
    let mut signature = hmac_sha256(format!("AWS4{secret}").as_bytes(), b"11111111");
    for part in [region, "ses", "aws4_request", "SendRawEmail"] {
        signature = hmac_sha256(&signature, part.as_bytes());
    }
    let mut versioned = vec![0x04];
    versioned.extend(signature);
    base64_encode(&versioned)
}

fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            out.push(if i <= chunk.len() { ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char } else { '=' });
        }
    }
    out
}

/// Compares a resolved value that holds a secret without printing it.
fn assert_secret_eq(actual: &Value, expected: Value, what: &str) {
    assert!(*actual == expected, "{what}: the resolved value differs (not shown: it holds a secret)");
}

async fn provider(app: &TestApp, body: Value) -> u64 {
    let res = app.admin(Method::POST, "/api/email-providers", Some(&body)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.json()["id"].as_u64().unwrap()
}

fn ses(region: &str) -> Value {
    json!({"name": format!("SES {region}"), "provider_type": "ses", "region": region,
           "ses_credentials": {"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": SES_SECRET}})
}

async fn credential(app: &TestApp, body: Value) -> String {
    let res =
        app.admin(Method::POST, &format!("/api/accounts/{}/provider-credentials", app.account_id), Some(&body)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.json()["id"].as_str().unwrap().to_string()
}

async fn resolve(app: &TestApp, key: &str, body: Value, etag: Option<&str>) -> mailkeys_tests::Response {
    let mut req = reqwest::Client::new().post(format!("{}{RESOLVE}", app.base_url)).bearer_auth(key).json(&body);
    if let Some(etag) = etag {
        req = req.header("if-none-match", etag);
    }
    let res = req.send().await.unwrap();
    mailkeys_tests::Response { status: res.status(), headers: res.headers().clone(), text: res.text().await.unwrap() }
}

/// A platform service key (resolves in every account).
async fn service_key(app: &TestApp) -> String {
    let (_, service) = app.state.accounts.create_service_key("workers").await.unwrap();
    service.plaintext.expose_secret().to_string()
}

/// SES: the SMTP password is AWS's derivation, region by region; where SES
/// has no SMTP endpoint there is no relay.
#[tokio::test]
async fn ses_resolves_with_the_smtp_password_derived_for_its_region() {
    let app = TestApp::start().await;
    let service = service_key(&app).await;
    let account = app.account_id.clone();
    for region in ["eu-west-1", "us-east-1", "ap-southeast-2"] {
        let id = provider(&app, ses(region)).await;
        let res =
            resolve(&app, &service, json!({"account_id": account, "email_provider_id": id, "purpose": "send"}), None)
                .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.status);
        let body = res.json();
        assert_eq!(
            (body["resource_type"].clone(), body["resource_id"].clone()),
            (json!("email_provider"), json!(id.to_string()))
        );
        assert_secret_eq(
            &body["credentials"],
            json!({"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": SES_SECRET}),
            "credentials",
        );
        assert_eq!(body["name"], format!("SES {region}"), "the GET fields are there");
        let smtp = &body["smtp"];
        assert_eq!(smtp["host"], format!("email-smtp.{region}.amazonaws.com"));
        assert_eq!((smtp["port"].clone(), smtp["encryption"].clone()), (json!(587), json!("starttls")));
        assert_eq!(smtp["username"], "AKIAIOSFODNN7EXAMPLE");
        assert!(
            smtp["password"] == expected_ses_password(SES_SECRET, region),
            "{region}: the derived SMTP password differs"
        );
        assert_eq!(res.headers["etag"], format!("\"{}\"", body["version"]).as_str());
        assert_eq!(res.headers["cache-control"], "no-store");
        // Its GET shows the relay for a person to configure, without secrets.
        let shown = app.admin(Method::GET, &format!("/api/email-providers/{id}"), None).await.json();
        assert_eq!(
            (shown["smtp_host"].clone(), shown["smtp_port"].clone(), shown["smtp_username"].clone()),
            (json!(format!("email-smtp.{region}.amazonaws.com")), json!(587), json!("AKIA...MPLE"))
        );
    }
    let id = provider(&app, ses("mars-north-1")).await;
    let res =
        resolve(&app, &service, json!({"account_id": account, "email_provider_id": id, "purpose": "send"}), None).await;
    assert_eq!(res.json()["smtp"], Value::Null, "no SES SMTP endpoint there");
    assert_eq!(res.json()["smtp_host"], Value::Null);
}

/// Scaleway: TEM's relay, the project id logging in with the API key.
#[tokio::test]
async fn scaleway_resolves_with_tems_relay() {
    let app = TestApp::start().await;
    let service = service_key(&app).await;
    let account = app.account_id.clone();
    let id = provider(
        &app,
        json!({"name": "TEM", "provider_type": "scaleway", "region": "fr-par",
        "scaleway_credentials": {"api_key": SCW_KEY, "project_id": "proj-42"}}),
    )
    .await;
    let body =
        resolve(&app, &service, json!({"account_id": account, "email_provider_id": id, "purpose": "send"}), None)
            .await
            .json();
    assert_secret_eq(&body["credentials"], json!({"api_key": SCW_KEY, "project_id": "proj-42"}), "credentials");
    assert_secret_eq(
        &body["smtp"],
        json!({"host": "smtp.tem.scaleway.com", "port": 587, "encryption": "starttls",
                                    "username": "proj-42", "password": SCW_KEY}),
        "smtp",
    );
}

/// An SMTP provider resolves as stored.
#[tokio::test]
async fn an_smtp_provider_resolves_as_stored() {
    let app = TestApp::start().await;
    let service = service_key(&app).await;
    let account = app.account_id.clone();
    let id = provider(
        &app,
        json!({"name": "Relay", "provider_type": "smtp", "region": "local",
        "smtp_credentials": {"host": "smtp.example.com", "port": 465, "username": "mailer@example.com",
                             "password": SMTP_PASSWORD, "encryption": "tls"}}),
    )
    .await;
    let body =
        resolve(&app, &service, json!({"account_id": account, "email_provider_id": id, "purpose": "send"}), None)
            .await
            .json();
    assert_secret_eq(&body["credentials"]["password"], json!(SMTP_PASSWORD), "credentials");
    assert_secret_eq(
        &body["smtp"],
        json!({"host": "smtp.example.com", "port": 465, "encryption": "tls",
                                    "username": "mailer@example.com", "password": SMTP_PASSWORD}),
        "smtp",
    );
}

/// Provider credentials: IMAP with a password, SMTP with an OAuth token;
/// every resolve is audited with its purpose, and no secret is stored in
/// clear.
#[tokio::test]
async fn provider_credentials_resolve_with_their_password_or_token() {
    let app = TestApp::start().await;
    let service = service_key(&app).await;
    let account = app.account_id.clone();
    let imap = credential(
        &app,
        json!({"provider_kind": "imap", "host": "imap.example.com", "port": 993,
        "security_mode": "ssl_tls", "auth_kind": "password", "username": "box@example.com", "password": IMAP_PASSWORD}),
    )
    .await;
    let body = resolve(
        &app,
        &service,
        json!({"account_id": account, "provider_credential_id": imap, "purpose": "sync"}),
        None,
    )
    .await
    .json();
    assert_secret_eq(
        &body["credentials"],
        json!({"username": "box@example.com", "password": IMAP_PASSWORD}),
        "credentials",
    );
    assert_eq!((body["provider_kind"].clone(), body["smtp"].clone()), (json!("imap"), Value::Null));
    let oauth = credential(
        &app,
        json!({"provider_kind": "smtp", "host": "smtp.gmail.com", "port": 587,
        "security_mode": "starttls", "auth_kind": "oauth2", "username": "box@example.com", "access_token": TOKEN}),
    )
    .await;
    let body = resolve(
        &app,
        &service,
        json!({"account_id": account, "provider_credential_id": oauth, "purpose": "send"}),
        None,
    )
    .await
    .json();
    assert_secret_eq(
        &body["credentials"],
        json!({"username": "box@example.com", "access_token": TOKEN}),
        "credentials",
    );
    assert_eq!(body["smtp"]["host"], "smtp.gmail.com");

    // Every resolve was audited, with its purpose and no value.
    let events = app.admin(Method::GET, &format!("/api/audit-events?resource_id={imap}"), None).await.json();
    let record = &events["events"][0];
    assert_eq!(
        (record["event_type"].clone(), record["purpose"].clone()),
        (json!("CREDENTIAL_RESOLVED"), json!("sync"))
    );
    assert_eq!(record["changed_fields"], json!([]));
    for item in app.all_items().await {
        for secret in [SES_SECRET, SCW_KEY, SMTP_PASSWORD, IMAP_PASSWORD, TOKEN] {
            assert!(!item_contains(&item, secret), "a secret is stored in clear");
        }
    }
}

#[tokio::test]
async fn revalidation_costs_one_read_and_no_kms_call() {
    let app = TestApp::start().await;
    let (_, service) = app.state.accounts.create_service_key("workers").await.unwrap();
    let service = service.plaintext.expose_secret().to_string();
    let id = provider(&app, ses("eu-west-1")).await;
    let body = json!({"account_id": app.account_id, "email_provider_id": id, "purpose": "send"});
    // The key's first use this minute is recorded now.
    resolve(&app, &service, body.clone(), Some("\"0\"")).await;

    let (ddb, kms) = (app.ddb_calls.get(), app.kms_calls.get());
    let res = resolve(&app, &service, body.clone(), None).await;
    assert_eq!(res.status, StatusCode::OK);
    let etag = res.headers["etag"].to_str().unwrap().to_string();
    assert_eq!(app.kms_calls.get() - kms, 1, "one Decrypt per 200");
    assert_eq!(app.ddb_calls.get() - ddb, 3, "the caller's key, the item, the audit record");

    let audited = app.admin(Method::GET, &format!("/api/audit-events?resource_id={id}"), None).await.json()["events"]
        .as_array()
        .unwrap()
        .len();
    let (ddb, kms) = (app.ddb_calls.get(), app.kms_calls.get());
    let res = resolve(&app, &service, body.clone(), Some(&etag)).await;
    assert_eq!((res.status, res.text.as_str()), (StatusCode::NOT_MODIFIED, ""));
    assert_eq!(res.headers["etag"], etag.as_str());
    assert_eq!(app.kms_calls.get() - kms, 0, "no KMS call on a 304");
    assert_eq!(app.ddb_calls.get() - ddb, 2, "the caller's key and the item");
    let now = app.admin(Method::GET, &format!("/api/audit-events?resource_id={id}"), None).await.json()["events"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(now, audited, "no audit record for a 304");

    // A change makes the held copy stale.
    app.admin(Method::PATCH, &format!("/api/email-providers/{id}"), Some(&json!({"name": "renamed"}))).await;
    assert_eq!(resolve(&app, &service, body, Some(&etag)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn no_audit_record_no_secret() {
    let app = TestApp::start().await;
    let (_, service) = app.state.accounts.create_service_key("workers").await.unwrap();
    let service = service.plaintext.expose_secret().to_string();
    let id = provider(&app, ses("eu-west-1")).await;
    app.ddb().delete_table().table_name(&app.tables().audit).send().await.unwrap();
    let res = resolve(
        &app,
        &service,
        json!({"account_id": app.account_id, "email_provider_id": id, "purpose": "send"}),
        None,
    )
    .await;
    assert!(res.status.is_server_error(), "{}", res.status);
    assert!(!res.text.contains(SES_SECRET) && !res.text.contains("AKIAIOSFODNN7EXAMPLE"));
}

#[tokio::test]
async fn refusals() {
    let app = TestApp::start().await;
    let id = provider(&app, ses("eu-west-1")).await;
    let own = json!({"account_id": app.account_id, "email_provider_id": id, "purpose": "send"});
    // A tenant admin key is no internal caller; a tenant internal key acts in its own account only.
    assert_eq!(resolve(&app, &app.admin_key, own.clone(), None).await.status, StatusCode::FORBIDDEN);
    let internal = app.key_with(&[Permission::Internal]).await;
    assert_eq!(resolve(&app, &internal, own.clone(), None).await.status, StatusCode::OK);
    let (other_account, other_admin) = app.other_account().await;
    let res = app
        .call(
            Method::POST,
            "/api/smtp-credentials",
            Some(&other_admin),
            Some(&json!({"name": "w", "scopes": ["internal"]})),
        )
        .await;
    let other_internal = res.json()["apiKey"].as_str().unwrap().to_string();
    let res = resolve(&app, &other_internal, own.clone(), None).await;
    assert_eq!((res.status, res.error_message()), (StatusCode::NOT_FOUND, "Provider not found".to_string()));
    let theirs = json!({"account_id": other_account, "email_provider_id": id, "purpose": "send"});
    assert_eq!(resolve(&app, &internal, theirs, None).await.status, StatusCode::NOT_FOUND);
    for (body, status, message) in [
        (
            json!({"account_id": app.account_id, "email_provider_id": 999, "purpose": "send"}),
            StatusCode::NOT_FOUND,
            "Provider not found",
        ),
        (
            json!({"account_id": app.account_id, "provider_credential_id": "pc_nope", "purpose": "sync"}),
            StatusCode::NOT_FOUND,
            "Provider credential not found",
        ),
        (
            json!({"account_id": "acc_x", "email_provider_id": id, "purpose": "send"}),
            StatusCode::NOT_FOUND,
            "Provider not found",
        ),
        (json!({"email_provider_id": id, "purpose": "send"}), StatusCode::BAD_REQUEST, "Missing field `account_id`"),
        (
            json!({"account_id": app.account_id, "purpose": "send"}),
            StatusCode::BAD_REQUEST,
            "exactly one of email_provider_id and provider_credential_id is required",
        ),
        (
            json!({"account_id": app.account_id, "email_provider_id": id, "provider_credential_id": "pc_x", "purpose": "send"}),
            StatusCode::BAD_REQUEST,
            "exactly one of email_provider_id and provider_credential_id is required",
        ),
        (
            json!({"account_id": app.account_id, "email_provider_id": id}),
            StatusCode::BAD_REQUEST,
            "purpose must be 1 to 64 printable characters",
        ),
        (
            json!({"account_id": app.account_id, "email_provider_id": id, "purpose": "x".repeat(65)}),
            StatusCode::BAD_REQUEST,
            "purpose must be 1 to 64 printable characters",
        ),
        (
            json!({"account_id": app.account_id, "email_provider_id": id, "purpose": "send\u{202E}"}),
            StatusCode::BAD_REQUEST,
            "purpose must be 1 to 64 printable characters",
        ),
    ] {
        let res = resolve(&app, &internal, body.clone(), None).await;
        assert_eq!((res.status, res.error_message()), (status, message.to_string()), "{body}");
    }
    // A disabled provider is not handed out.
    app.admin(Method::PATCH, &format!("/api/email-providers/{id}"), Some(&json!({"is_active": false}))).await;
    let res = resolve(&app, &internal, own, None).await;
    assert_eq!((res.status, res.error_message()), (StatusCode::CONFLICT, "Provider is disabled".to_string()));
    assert!(!res.text.contains(SES_SECRET));
}

/// Someone with write access to the table copies a whole row under another
/// key: into another account's partition (only `pk` changed), or under
/// another id of the same account (only `sk` changed), and the same again
/// with the row's own `account_id`/`id` rewritten to match. None of them
/// opens: the binding comes from the key the row was read under, and a row
/// whose attributes disagree with its key is refused.
#[tokio::test]
async fn a_row_copied_under_another_key_never_opens() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let app = TestApp::start().await;
    let (_, service) = app.state.accounts.create_service_key("workers").await.unwrap();
    let service = service.plaintext.expose_secret().to_string();
    let (other_account, _) = app.other_account().await;
    let provider_id = provider(&app, ses("eu-west-1")).await;
    let credential_id = credential(
        &app,
        json!({"provider_kind": "imap", "host": "imap.example.com", "port": 993,
        "security_mode": "ssl_tls", "auth_kind": "password", "username": "box@example.com", "password": IMAP_PASSWORD}),
    )
    .await;
    let copied_pc = format!("pc_{}", ulid::Ulid::new().to_string().to_lowercase());
    let rows = [
        (
            format!("EMAIL_PROVIDER#{provider_id:020}"),
            "email_provider_id",
            json!(provider_id),
            format!("EMAIL_PROVIDER#{:020}", provider_id + 100),
            json!(provider_id + 100),
        ),
        (
            format!("PROVIDER_CREDENTIAL#{credential_id}"),
            "provider_credential_id",
            json!(credential_id),
            format!("PROVIDER_CREDENTIAL#{copied_pc}"),
            json!(copied_pc),
        ),
    ];
    let table = app.tables().main.clone();
    for (sk, field, id, other_sk, other_id) in rows {
        let original = app
            .ddb()
            .get_item()
            .table_name(&table)
            .key("pk", AttributeValue::S(format!("ACCOUNT#{}", app.account_id)))
            .key("sk", AttributeValue::S(sk.clone()))
            .send()
            .await
            .unwrap()
            .item
            .expect("the row");
        let id_attr = |id: &Value| match id {
            Value::Number(n) => AttributeValue::N(n.to_string()),
            other => AttributeValue::S(other.as_str().unwrap().to_string()),
        };
        // (pk, sk, rewrite the attributes too?, the account and id to resolve)
        let copies = [
            (format!("ACCOUNT#{other_account}"), sk.clone(), false, other_account.clone(), id.clone()),
            (format!("ACCOUNT#{other_account}"), sk.clone(), true, other_account.clone(), id.clone()),
            (format!("ACCOUNT#{}", app.account_id), other_sk.clone(), false, app.account_id.clone(), other_id.clone()),
            (format!("ACCOUNT#{}", app.account_id), other_sk.clone(), true, app.account_id.clone(), other_id.clone()),
        ];
        for (pk, sk, rewrite, account, resolve_id) in copies {
            let mut copy = original.clone();
            copy.insert("pk".into(), AttributeValue::S(pk.clone()));
            copy.insert("sk".into(), AttributeValue::S(sk.clone()));
            if rewrite {
                copy.insert("account_id".into(), AttributeValue::S(account.to_string()));
                copy.insert("id".into(), id_attr(&resolve_id));
            }
            app.ddb().put_item().table_name(&table).set_item(Some(copy)).send().await.unwrap();
            let res =
                resolve(&app, &service, json!({"account_id": account, field: resolve_id, "purpose": "steal"}), None)
                    .await;
            let what = format!("{field} copied to {pk}/{sk} (attributes rewritten: {rewrite})");
            assert_eq!(res.status, StatusCode::INTERNAL_SERVER_ERROR, "{what}");
            assert_eq!(res.json()["error"]["code"], "INTERNAL_ERROR", "{what}");
            assert!(!res.text.contains(SES_SECRET) && !res.text.contains(IMAP_PASSWORD), "{what}: a secret left");
            app.ddb()
                .delete_item()
                .table_name(&table)
                .key("pk", AttributeValue::S(pk))
                .key("sk", AttributeValue::S(sk))
                .send()
                .await
                .unwrap();
        }
    }
    // The originals still open where they were written.
    for body in [
        json!({"account_id": app.account_id, "email_provider_id": provider_id, "purpose": "send"}),
        json!({"account_id": app.account_id, "provider_credential_id": credential_id, "purpose": "sync"}),
    ] {
        assert_eq!(resolve(&app, &service, body, None).await.status, StatusCode::OK);
    }
}

/// `If-None-Match` as RFC 9110 reads it: a list of entity tags compared
/// weakly, `*` for any current version; a malformed or unquoted value
/// holds nothing.
#[tokio::test]
async fn if_none_match_follows_rfc_9110() {
    let app = TestApp::start().await;
    let (_, service) = app.state.accounts.create_service_key("workers").await.unwrap();
    let service = service.plaintext.expose_secret().to_string();
    let id = provider(&app, ses("eu-west-1")).await;
    let body = json!({"account_id": app.account_id, "email_provider_id": id, "purpose": "send"});
    for (held, status) in [
        ("\"1\"", StatusCode::NOT_MODIFIED),
        ("W/\"1\"", StatusCode::NOT_MODIFIED),
        ("\"7\", W/\"1\"", StatusCode::NOT_MODIFIED),
        ("*", StatusCode::NOT_MODIFIED),
        ("\"01\"", StatusCode::OK),
        ("1", StatusCode::OK),
        ("\"1", StatusCode::OK),
        ("\"2\"", StatusCode::OK),
    ] {
        assert_eq!(resolve(&app, &service, body.clone(), Some(held)).await.status, status, "If-None-Match: {held}");
    }
}
