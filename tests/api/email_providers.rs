//! The email-provider API against the local emulator, over HTTP.

use futures_util::future::join_all;
use mailkeys::crypto::{Envelope, SealedSecret, SecretContext};
use mailkeys::domain::permission::Permission;
use mailkeys::domain::secret::ExposeSecret;
use mailkeys::store::email_providers::sealed_from_attr;
use mailkeys_tests::{assert_versions_gap_free, item_contains, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
const SES_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const SES_SECRET_2: &str = "rotated-ses-secret-Zq8vN3kP0aXw";
const SMTP_USER: &str = "mailer-user@example.com";
const SMTP_PASSWORD: &str = "smtp-password-Hk29fjQ";
const SMTP_PASSWORD_2: &str = "new-smtp-password-Lp0Xc";
const SCW_KEY: &str = "scw-api-key-9f8e7d6c-5b4a";

/// Every secret a test here submits: none may appear at rest or in any answer.
const SECRETS: [&str; 6] = [SES_SECRET, SES_SECRET_2, SMTP_USER, SMTP_PASSWORD, SMTP_PASSWORD_2, SCW_KEY];

fn ses_body() -> Value {
    json!({"name": "Production SES", "provider_type": "ses", "region": "us-east-1",
           "ses_credentials": {"access_key_id": AKID, "secret_access_key": SES_SECRET}})
}

fn smtp_body() -> Value {
    json!({"name": "Relay", "provider_type": "smtp", "region": "eu-west-1",
           "smtp_credentials": {"host": "smtp.example.com", "port": 587, "username": SMTP_USER, "password": SMTP_PASSWORD}})
}

fn scaleway_body() -> Value {
    json!({"name": "Scaleway TEM", "provider_type": "scaleway", "region": "fr-par",
           "scaleway_credentials": {"api_key": SCW_KEY, "project_id": "0f7b3b4e-1c2d-4e5f-8a9b-123456789abc"}})
}

async fn create(app: &TestApp, body: Value) -> u64 {
    let res = app.admin(Method::POST, "/api/email-providers", Some(&body)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.error_message());
    res.json()["id"].as_u64().expect("numeric id")
}

fn assert_no_secret(text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "a submitted secret was echoed");
    }
}

async fn patch(app: &TestApp, id: u64, body: Value) -> mailkeys_tests::Response {
    app.admin(Method::PATCH, &format!("/api/email-providers/{id}"), Some(&body)).await
}

#[tokio::test]
async fn create_answers_the_masked_provider_for_each_type() {
    let app = TestApp::start().await;
    let res = app.admin(Method::POST, "/api/email-providers", Some(&ses_body())).await;
    assert_eq!(res.status, StatusCode::CREATED);
    let body = res.json();
    assert_eq!(body["id"], 1);
    assert_eq!(body["name"], "Production SES");
    assert_eq!(body["provider_type"], "ses");
    assert_eq!(body["region"], "us-east-1");
    assert_eq!(body["is_active"], true);
    assert_eq!(body["credentials"], json!({"access_key_id": "AKIA...MPLE", "secret_access_key": "***"}));
    assert!(body["created_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(body["created_at"], body["updated_at"]);

    let res = app.admin(Method::POST, "/api/email-providers", Some(&smtp_body())).await;
    assert_eq!(res.status, StatusCode::CREATED);
    assert_eq!(res.json()["id"], 2);
    assert_eq!(
        res.json()["credentials"],
        json!({"host": "smtp.example.com", "port": 587, "username": "m***@example.com", "password": "***",
               "encryption": "starttls", "accept_invalid_certs": false})
    );

    let res = app.admin(Method::POST, "/api/email-providers", Some(&scaleway_body())).await;
    assert_eq!(res.status, StatusCode::CREATED);
    assert_eq!(
        res.json()["credentials"],
        json!({"api_key": "***", "project_id": "0f7b3b4e-1c2d-4e5f-8a9b-123456789abc"})
    );

    let mut no_password = smtp_body();
    no_password["smtp_credentials"] = json!({"host": "relay.internal", "port": 25, "encryption": "none"});
    no_password["is_active"] = json!(false);
    let res = app.admin(Method::POST, "/api/email-providers", Some(&no_password)).await;
    assert_eq!(res.status, StatusCode::CREATED);
    assert_eq!(res.json()["is_active"], false);
    assert_eq!(res.json()["credentials"]["username"], Value::Null);
    assert_eq!(res.json()["credentials"]["password"], Value::Null);
    assert_eq!(res.json()["credentials"]["encryption"], "none");

    let list = app.admin(Method::GET, "/api/email-providers", None).await;
    assert_eq!(list.status, StatusCode::OK);
    let ids: Vec<u64> = list.json().as_array().unwrap().iter().map(|p| p["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, [1, 2, 3, 4]);
    assert_no_secret(&list.text);

    let one = app.admin(Method::GET, "/api/email-providers/2", None).await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.json()["name"], "Relay");
    assert_no_secret(&one.text);
}

#[tokio::test]
async fn the_spec_examples_work_as_printed() {
    let app = TestApp::start().await;
    let ses = create(&app, ses_body()).await;
    let smtp = create(&app, smtp_body()).await;
    assert_eq!((ses, smtp), (1, 2));

    let res = patch(&app, 1, json!({"name": "Production SES (EU)"})).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.json()["name"], "Production SES (EU)");

    let res = patch(&app, 1, json!({"region": "eu-west-1", "is_active": false})).await;
    assert_eq!(res.status, StatusCode::OK);
    let body = res.json();
    assert_eq!(
        (body["id"].clone(), body["region"].clone(), body["is_active"].clone()),
        (json!(1), json!("eu-west-1"), json!(false))
    );
    assert_eq!(body["name"], "Production SES (EU)");
    assert_eq!(body["provider_type"], "ses");

    let res = patch(&app, 1, json!({"ses_credentials": {"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}})).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.json()["credentials"], json!({"access_key_id": "AKIA...MPLE", "secret_access_key": "***"}));

    let res = patch(
        &app,
        2,
        json!({"smtp_credentials": {"host": "email-smtp.eu-west-1.amazonaws.com", "port": 587,
        "username": "AKIAIOSFODNN7EXAMPLE", "password": "new-smtp-password", "encryption": "starttls"}}),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        res.json()["credentials"],
        json!({"host": "email-smtp.eu-west-1.amazonaws.com", "port": 587, "username": "AKIA...MPLE", "password": "***",
               "encryption": "starttls", "accept_invalid_certs": false})
    );
    assert!(!res.text.contains("new-smtp-password"));
}

#[tokio::test]
async fn omitting_credentials_leaves_the_blob_byte_identical() {
    let app = TestApp::start().await;
    let id = create(&app, ses_body()).await;
    let before = app.stored_provider(&app.account_id, id).await.unwrap();

    assert_eq!(patch(&app, id, json!({"name": "Renamed"})).await.status, StatusCode::OK);
    let renamed = app.stored_provider(&app.account_id, id).await.unwrap();
    assert_eq!(renamed["secret"], before["secret"]);
    assert_eq!(renamed["name"].as_s().unwrap(), "Renamed");

    assert_eq!(patch(&app, id, json!({"region": "eu-central-1", "is_active": false})).await.status, StatusCode::OK);
    let moved = app.stored_provider(&app.account_id, id).await.unwrap();
    assert_eq!(moved["secret"], before["secret"]);
    assert_eq!(moved["credentials_masked"], before["credentials_masked"]);
    assert_eq!(moved["is_active"].as_bool().unwrap(), &false);
}

#[tokio::test]
async fn a_credential_block_is_re_encrypted_under_a_fresh_data_key() {
    let app = TestApp::start().await;
    let id = create(&app, ses_body()).await;
    let before =
        sealed_from_attr(app.stored_provider(&app.account_id, id).await.unwrap()["secret"].as_m().unwrap()).unwrap();

    let res = patch(
        &app,
        id,
        json!({"ses_credentials": {"access_key_id": "AKIAROTATEDKEY000001", "secret_access_key": SES_SECRET_2}}),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.json()["credentials"]["access_key_id"], "AKIA...0001");
    let after =
        sealed_from_attr(app.stored_provider(&app.account_id, id).await.unwrap()["secret"].as_m().unwrap()).unwrap();
    assert_ne!(after.ciphertext, before.ciphertext);
    assert_ne!(after.encrypted_data_key, before.encrypted_data_key);
    assert_ne!(after.nonce, before.nonce);

    // The blob opens under its own context, to the new secret...
    let envelope = Envelope::new(aws_sdk_kms::Client::new(&app.sdk), app.state.settings.kms_key_id.clone());
    let context = SecretContext {
        account_id: app.account_id.to_string(),
        resource_type: "email_provider",
        resource_id: id.to_string(),
        destination: None,
    };
    let opened: Value = envelope.open_json(&context, &after).await.expect("opens");
    assert!(opened["secret_access_key"] == SES_SECRET_2, "the blob holds the rotated secret");
    // ...and not under another row's: a blob copied elsewhere is useless.
    let elsewhere = SecretContext { resource_id: (id + 1).to_string(), ..context.clone() };
    assert!(envelope.open(&elsewhere, &after).await.is_err());
    let other_account = SecretContext { account_id: "acc_other".into(), ..context };
    assert!(envelope.open(&other_account, &after).await.is_err());
}

/// Blobs of format 2 (the row's id in the KMS encryption context as well)
/// were written before format 3 and still open, bound to their row.
#[tokio::test]
async fn a_format_2_blob_still_opens_and_only_for_its_row() {
    use aes_gcm::aead::{Aead, KeyInit, Payload};
    let app = TestApp::start().await;
    let kms = aws_sdk_kms::Client::new(&app.sdk);
    let key_id = app.state.settings.kms_key_id.clone();
    let context = SecretContext {
        account_id: app.account_id.to_string(),
        resource_type: "email_provider",
        resource_id: "7".into(),
        destination: None,
    };
    let out = kms
        .generate_data_key()
        .key_id(&key_id)
        .key_spec(aws_sdk_kms::types::DataKeySpec::Aes256)
        .encryption_context("account_id", app.account_id.as_str())
        .encryption_context("resource_type", "email_provider")
        .encryption_context("resource_id", "7")
        .send()
        .await
        .expect("a data key");
    let cipher = aes_gcm::Aes256Gcm::new_from_slice(out.plaintext.unwrap().as_ref()).unwrap();
    let nonce = [7u8; 12];
    let aad = format!("mailkeys/v2/{}/email_provider/7", app.account_id);
    let ciphertext =
        cipher.encrypt(&nonce.into(), Payload { msg: b"{\"kept\":true}", aad: aad.as_bytes() }).expect("sealed");
    let sealed = SealedSecret {
        version: 2,
        key_id,
        encrypted_data_key: out.ciphertext_blob.unwrap().into_inner(),
        nonce,
        ciphertext,
    };
    let envelope = Envelope::new(kms, app.state.settings.kms_key_id.clone());
    let opened = envelope.open(&context, &sealed).await.expect("a format 2 blob opens");
    assert!(opened.as_slice() == b"{\"kept\":true}");
    let elsewhere = SecretContext { resource_id: "8".into(), ..context };
    assert!(envelope.open(&elsewhere, &sealed).await.is_err(), "bound to its row");
}

#[tokio::test]
async fn no_plaintext_secret_is_stored_or_answered() {
    let app = TestApp::start().await;
    let mut answers = String::new();
    for body in [ses_body(), smtp_body(), scaleway_body()] {
        let res = app.admin(Method::POST, "/api/email-providers", Some(&body)).await;
        assert_eq!(res.status, StatusCode::CREATED);
        answers.push_str(&res.text);
    }
    answers.push_str(
        &patch(&app, 1, json!({"ses_credentials": {"access_key_id": AKID, "secret_access_key": SES_SECRET_2}}))
            .await
            .text,
    );
    answers.push_str(&patch(&app, 2, json!({"smtp_credentials": {"host": "smtp.example.com", "port": 465, "username": SMTP_USER, "password": SMTP_PASSWORD_2, "encryption": "tls"}})).await.text);
    answers.push_str(&app.admin(Method::GET, "/api/email-providers", None).await.text);
    answers.push_str(&app.admin(Method::GET, "/api/audit-events", None).await.text);
    assert_no_secret(&answers);
    assert!(!answers.contains(AKID), "the access key id is shown masked only");

    let items = app.all_items().await;
    assert!(items.len() > 5);
    for item in &items {
        for secret in SECRETS.iter().chain([&AKID]) {
            assert!(!item_contains(item, secret), "a plaintext secret is stored");
        }
        assert!(!item_contains(item, &app.admin_key), "the admin key is stored in clear");
    }
}

#[tokio::test]
async fn patch_rules_and_messages_are_the_documented_ones() {
    let app = TestApp::start().await;
    let ses = create(&app, ses_body()).await;
    let smtp = create(&app, smtp_body()).await;
    let cases = [
        (ses, json!({"name": "   "}), "Provider name cannot be empty"),
        (
            ses,
            json!({"smtp_credentials": {"host": "h.example.com", "port": 25}}),
            "Credential block does not match existing provider type (ses)",
        ),
        (
            smtp,
            json!({"scaleway_credentials": {"api_key": "k", "project_id": "p"}}),
            "Credential block does not match existing provider type (smtp)",
        ),
        (
            ses,
            json!({"ses_credentials": {"access_key_id": AKID, "secret_access_key": SES_SECRET}, "smtp_credentials": {"host": "h", "port": 1}}),
            "Only one credential block (ses/scaleway/smtp) may be supplied per update",
        ),
        (smtp, json!({"smtp_credentials": {"host": "", "port": 25}}), "smtp_credentials.host is required"),
        (
            smtp,
            json!({"smtp_credentials": {"host": "smtp.example.com", "port": 0}}),
            "smtp_credentials.port must be greater than 0",
        ),
        (
            smtp,
            json!({"smtp_credentials": {"host": "smtp.example.com", "port": 65536}}),
            "smtp_credentials.port must be at most 65535",
        ),
        (
            smtp,
            json!({"smtp_credentials": {"host": "https://smtp.example.com/", "port": 25}}),
            "smtp_credentials.host must be a DNS name or IP address (no scheme, port, path or spaces)",
        ),
        (
            ses,
            json!({"ses_credentials": {"access_key_id": AKID, "secret_access_key": ""}}),
            "ses_credentials.secret_access_key is required",
        ),
        (
            ses,
            json!({"provider_type": "smtp"}),
            "provider_type cannot be changed; delete the provider and create a new one",
        ),
        (ses, json!({"region": ""}), "Region cannot be empty"),
        (ses, json!({"colour": "blue"}), "Unknown field `colour`"),
        (ses, json!({"is_active": "no"}), "Invalid value for `is_active`: expected a boolean"),
        (
            smtp,
            json!({"smtp_credentials": {"host": "smtp.example.com", "port": 25, "password": 1234567}}),
            "Invalid value for `smtp_credentials.password`: expected a string",
        ),
        (
            smtp,
            json!({"smtp_credentials": {"host": "smtp.example.com", "port": 25, "encryption": "ssl"}}),
            "Invalid value for `smtp_credentials.encryption`: expected one of `starttls`, `tls`, `none`",
        ),
    ];
    let before = app.all_items().await.len();
    for (id, body, message) in cases {
        let res = patch(&app, id, body.clone()).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(res.error_message(), message, "{body}");
        assert_eq!(res.json()["error"]["code"], "BAD_REQUEST");
        assert_no_secret(&res.text);
    }
    assert_eq!(app.all_items().await.len(), before, "a refused update wrote something");
    assert_eq!(app.admin(Method::GET, "/api/email-providers/1", None).await.json()["name"], "Production SES");
}

#[tokio::test]
async fn malformed_and_oversized_bodies_are_refused() {
    let app = TestApp::start().await;
    let id = create(&app, ses_body()).await;
    let path = format!("/api/email-providers/{id}");
    for (raw, message) in [
        ("{\"name\": ", "Request body is not valid JSON"),
        ("", "Request body is not valid JSON"),
        ("[\"name\"]", "Request body must be a JSON object"),
        ("\"wJalrXUtnFEMI\"", "Request body must be a JSON object"),
    ] {
        let res = app.call_raw(Method::PATCH, &path, &app.admin_key, raw).await;
        assert_eq!((res.status, res.error_message()), (StatusCode::BAD_REQUEST, message.to_string()), "{raw}");
    }
    let huge = json!({"name": "x".repeat(70 * 1024)}).to_string();
    let res = app.call_raw(Method::PATCH, &path, &app.admin_key, huge.clone()).await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(res.error_message(), "Request body must be at most 64 KiB");
    let res = app.call_raw(Method::POST, "/api/email-providers", &app.admin_key, huge).await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn create_validation() {
    let app = TestApp::start().await;
    let mut two_blocks = ses_body();
    two_blocks["smtp_credentials"] = json!({"host": "h.example.com", "port": 25});
    let mut wrong_block = smtp_body();
    wrong_block["provider_type"] = json!("ses");
    let mut no_block = ses_body();
    no_block.as_object_mut().unwrap().remove("ses_credentials");
    let mut empty_name = ses_body();
    empty_name["name"] = json!(" ");
    let mut bad_type = ses_body();
    bad_type["provider_type"] = json!("sendgrid");
    let mut no_type = ses_body();
    no_type.as_object_mut().unwrap().remove("provider_type");
    let mut unknown = scaleway_body();
    unknown["scaleway_credentials"]["secret_key"] = json!(SCW_KEY);
    let cases = [
        (two_blocks, "Only one credential block (ses/scaleway/smtp) may be supplied"),
        (wrong_block, "Credential block does not match provider type (ses)"),
        (no_block, "ses_credentials is required for provider_type ses"),
        (empty_name, "Provider name cannot be empty"),
        (bad_type, "Invalid value for `provider_type`: expected one of `ses`, `scaleway`, `smtp`"),
        (no_type, "Missing field `provider_type`"),
        (unknown, "Unknown field `scaleway_credentials.secret_key`"),
    ];
    for (body, message) in cases {
        let res = app.admin(Method::POST, "/api/email-providers", Some(&body)).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{message}");
        assert_eq!(res.error_message(), message);
        assert_no_secret(&res.text);
    }
    assert_eq!(app.admin(Method::GET, "/api/email-providers", None).await.json(), json!([]));
}

#[tokio::test]
async fn keys_and_permissions() {
    let app = TestApp::start().await;
    let id = create(&app, ses_body()).await;
    let path = format!("/api/email-providers/{id}");
    let reader = app.key_with(&[Permission::EmailProvidersRead]).await;
    let writer = app.key_with(&[Permission::EmailProvidersWrite]).await;
    let unrelated = app.key_with(&[Permission::ProviderCredentialsWrite, Permission::Send]).await;

    // 401: no key, another scheme, a made-up key, a well-formed key that was never issued.
    let unissued = mailkeys::auth::IssuedKey::generate(mailkeys::auth::KeyPrefix::Test);
    for key in [None, Some("pk_live_abc123xyz789_full_key_here"), Some(unissued.plaintext.expose_secret())] {
        let res = app.call(Method::GET, &path, key, None).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            res.json(),
            json!({"success": false, "error": {"code": "UNAUTHORIZED", "message": "Invalid or missing API key"}})
        );
    }
    let basic =
        reqwest::Client::new().get(format!("{}{path}", app.base_url)).basic_auth("u", Some("p")).send().await.unwrap();
    assert_eq!(basic.status(), StatusCode::UNAUTHORIZED);

    // 403: read-only keys cannot write; unrelated keys cannot read.
    for (method, body) in [(Method::PATCH, Some(json!({"name": "x"}))), (Method::DELETE, None)] {
        let res = app.call(method, &path, Some(&reader), body.as_ref()).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        assert_eq!(res.error_message(), "Requires a valid key with EmailProvidersWrite");
    }
    let res = app.call(Method::POST, "/api/email-providers", Some(&reader), Some(&ses_body())).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = app.call(Method::GET, &path, Some(&unrelated), None).await;
    assert_eq!(
        (res.status, res.error_message()),
        (StatusCode::FORBIDDEN, "Requires a valid key with EmailProvidersRead".into())
    );
    // The permission is checked before the body is read.
    let res = app.call_raw(Method::PATCH, &path, &reader, "{not json").await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = app.call(Method::GET, "/api/audit-events", Some(&writer), None).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);

    // Allowed: read with a reader, everything with a writer (Write implies Read).
    assert_eq!(app.call(Method::GET, &path, Some(&reader), None).await.status, StatusCode::OK);
    assert_eq!(app.call(Method::GET, "/api/email-providers", Some(&writer), None).await.status, StatusCode::OK);
    let res = app.call(Method::PATCH, &path, Some(&writer), Some(&json!({"name": "by writer"}))).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(app.call(Method::DELETE, &path, Some(&writer), None).await.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn unknown_and_foreign_ids_are_not_found() {
    let app = TestApp::start().await;
    let id = create(&app, smtp_body()).await;
    let (_, other_key) = app.other_account().await;
    let path = format!("/api/email-providers/{id}");
    let not_found = json!({"success": false, "error": {"code": "NOT_FOUND", "message": "Provider not found"}});

    for (method, body) in
        [(Method::GET, None), (Method::PATCH, Some(json!({"name": "taken over"}))), (Method::DELETE, None)]
    {
        let res = app.call(method.clone(), &path, Some(&other_key), body.as_ref()).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{method}");
        assert_eq!(res.json(), not_found);
        for missing in ["/api/email-providers/999", "/api/email-providers/abc", "/api/email-providers/0"] {
            let res = app.admin(method.clone(), missing, body.as_ref()).await;
            assert_eq!(res.json(), not_found, "{method} {missing}");
        }
    }
    assert_eq!(app.call(Method::GET, "/api/email-providers", Some(&other_key), None).await.json(), json!([]));
    let mine = app.admin(Method::GET, &path, None).await;
    assert_eq!(mine.json()["name"], "Relay", "the other account changed nothing");

    let res = app.admin(Method::GET, "/api/nothing-here", None).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = app.admin(Method::PUT, &path, None).await;
    assert_eq!(res.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(!res.error_message().is_empty());
}

#[tokio::test]
async fn delete_removes_the_provider_and_its_secret() {
    let app = TestApp::start().await;
    let id = create(&app, ses_body()).await;
    let path = format!("/api/email-providers/{id}");
    let res = app.admin(Method::DELETE, &path, None).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    assert!(res.text.is_empty());
    assert!(app.stored_provider(&app.account_id, id).await.is_none());
    assert_eq!(app.admin(Method::GET, &path, None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.admin(Method::DELETE, &path, None).await.status, StatusCode::NOT_FOUND);
    // Ids are not reused.
    assert_eq!(create(&app, ses_body()).await, id + 1);
}

async fn events_of(app: &TestApp, id: u64) -> Vec<Value> {
    let res = app.admin(Method::GET, &format!("/api/audit-events?resource_id={id}"), None).await;
    assert_eq!(res.status, StatusCode::OK);
    res.json()["events"].as_array().unwrap().clone()
}

#[tokio::test]
async fn every_change_is_audited_and_a_no_op_is_not() {
    let app = TestApp::start().await;
    let id = create(&app, smtp_body()).await;
    let other = create(&app, ses_body()).await;

    // No-ops: same values, an empty body. Answered 200, nothing written.
    let items_before = app.all_items().await.len();
    let version_before = app.stored_provider(&app.account_id, id).await.unwrap()["version"].clone();
    for body in [json!({}), json!({"name": "Relay", "region": "eu-west-1", "is_active": true}), json!({"name": null})] {
        let res = patch(&app, id, body).await;
        assert_eq!(res.status, StatusCode::OK);
        assert_eq!(res.json()["name"], "Relay");
    }
    assert_eq!(app.all_items().await.len(), items_before);
    assert_eq!(app.stored_provider(&app.account_id, id).await.unwrap()["version"], version_before);

    let renamed = patch(&app, id, json!({"name": "Relay 2", "is_active": true})).await;
    assert_eq!(renamed.status, StatusCode::OK);
    let rename_request = renamed.headers["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(
        patch(
            &app,
            id,
            json!({"smtp_credentials": {"host": "smtp.example.com", "port": 587, "password": SMTP_PASSWORD_2}})
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        app.admin(Method::DELETE, &format!("/api/email-providers/{id}"), None).await.status,
        StatusCode::NO_CONTENT
    );

    let events = events_of(&app, id).await;
    let summary: Vec<(String, Value)> =
        events.iter().map(|e| (e["event_type"].as_str().unwrap().to_string(), e["changed_fields"].clone())).collect();
    assert_eq!(
        summary,
        vec![
            ("EMAIL_PROVIDER_DELETED".to_string(), json!([])),
            ("EMAIL_PROVIDER_UPDATED".to_string(), json!(["credentials"])),
            ("EMAIL_PROVIDER_UPDATED".to_string(), json!(["name"])),
            (
                "EMAIL_PROVIDER_CREATED".to_string(),
                json!(["name", "provider_type", "region", "is_active", "credentials"])
            ),
        ]
    );
    let admin_key_id = &events[0]["actor_key_id"];
    for event in &events {
        assert_eq!(event["resource_type"], "email_provider");
        assert_eq!(event["resource_id"], id.to_string());
        assert_eq!(&event["actor_key_id"], admin_key_id);
        assert!(event["actor_key_id"].as_str().unwrap().starts_with("key_"));
        assert!(!event["request_id"].as_str().unwrap().is_empty());
        assert!(event["created_at"].as_str().unwrap().ends_with('Z'));
    }
    assert_eq!(events[2]["request_id"], rename_request.as_str(), "the audit record names the request");
    assert_eq!(events_of(&app, other).await.len(), 1);

    // The same records reach the audit stream, secrets nowhere in them.
    let images = app.audit_stream_images().await;
    let streamed: Vec<_> = images
        .iter()
        .map(|i| mailkeys::store::audit::read_event(i).expect("an audit record"))
        .filter(|e| e.resource_id == id.to_string())
        .map(|e| e.event_type)
        .collect();
    assert_eq!(
        streamed,
        ["EMAIL_PROVIDER_CREATED", "EMAIL_PROVIDER_UPDATED", "EMAIL_PROVIDER_UPDATED", "EMAIL_PROVIDER_DELETED"]
    );
    for image in &images {
        for secret in SECRETS {
            assert!(!item_contains(image, secret));
        }
    }
}

#[tokio::test]
async fn audit_events_page_newest_first() {
    let app = TestApp::start().await;
    let id = create(&app, ses_body()).await;
    for n in 0..4 {
        assert_eq!(patch(&app, id, json!({"name": format!("name {n}")})).await.status, StatusCode::OK);
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/audit-events?resource_id={id}&limit=2&cursor={c}"),
            None => format!("/api/audit-events?resource_id={id}&limit=2"),
        };
        let page = app.admin(Method::GET, &path, None).await.json();
        let events = page["events"].as_array().unwrap();
        assert!(events.len() <= 2);
        seen.extend(events.iter().map(|e| e["event_type"].as_str().unwrap().to_string()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5);
    assert_eq!(seen.last().unwrap(), "EMAIL_PROVIDER_CREATED");

    // Without a resource filter, the account's other events are there too.
    let all = app.admin(Method::GET, "/api/audit-events?limit=100", None).await.json();
    let types: Vec<&str> =
        all["events"].as_array().unwrap().iter().map(|e| e["event_type"].as_str().unwrap()).collect();
    assert!(types.contains(&"ACCOUNT_CREATED") && types.contains(&"API_KEY_CREATED"));
    assert_eq!(all["next_cursor"], Value::Null);

    for (query, message) in [
        ("limit=0", "limit must be an integer from 1 to 100"),
        ("limit=abc", "limit must be an integer from 1 to 100"),
        ("limit=101", "limit must be an integer from 1 to 100"),
        ("cursor=nope", "Invalid cursor"),
    ] {
        let res = app.admin(Method::GET, &format!("/api/audit-events?{query}"), None).await;
        assert_eq!((res.status, res.error_message()), (StatusCode::BAD_REQUEST, message.to_string()));
    }
    let (_, other_key) = app.other_account().await;
    let foreign = app.call(Method::GET, &format!("/api/audit-events?resource_id={id}"), Some(&other_key), None).await;
    assert_eq!(foreign.json()["events"], json!([]));
}

#[tokio::test]
async fn concurrent_patches_of_different_fields_never_lose_an_update() {
    let app = TestApp::start().await;
    let id = create(&app, ses_body()).await;
    for round in 0..5 {
        let name = format!("name {round}");
        let region = format!("region-{round}");
        let (a, b) = tokio::join!(patch(&app, id, json!({"name": name})), patch(&app, id, json!({"region": region})));
        let now = app.admin(Method::GET, &format!("/api/email-providers/{id}"), None).await.json();
        for (res, field, value) in [(&a, "name", &name), (&b, "region", &region)] {
            match res.status {
                StatusCode::OK => assert_eq!(&now[field], value, "round {round}: a successful {field} update was lost"),
                StatusCode::CONFLICT => assert_eq!(res.json()["error"]["code"], "CONFLICT"),
                other => panic!("unexpected status {other}"),
            }
        }
    }
}

#[tokio::test]
async fn a_stale_version_is_refused_by_the_store() {
    let app = TestApp::start().await;
    let id = create(&app, ses_body()).await;
    let actor = mailkeys::audit::Actor {
        account_id: app.account_id.clone(),
        key_id: "key_test".into(),
        request_id: "r".into(),
    };
    let event = mailkeys::audit::AuditEvent::new(
        &actor,
        mailkeys::audit::AuditEventType::EmailProviderUpdated,
        "email_provider",
        id.to_string(),
        2,
        vec!["name".into()],
    );
    let changes =
        mailkeys::store::email_providers::EmailProviderChanges { name: Some("stale".into()), ..Default::default() };
    assert_eq!(patch(&app, id, json!({"name": "fresh"})).await.status, StatusCode::OK);
    let result = app
        .state
        .store
        .update_email_provider(
            &app.account_id,
            mailkeys::domain::ids::EmailProviderId::from_counter(id).unwrap(),
            1,
            &changes,
            mailkeys::domain::timestamp::Timestamp::parse("2026-01-01T00:00:00Z").unwrap(),
            &event,
        )
        .await;
    assert!(matches!(result, Err(mailkeys::store::StoreError::ConditionFailed { index: 0 })));
    assert_eq!(app.admin(Method::GET, &format!("/api/email-providers/{id}"), None).await.json()["name"], "fresh");
    // The refused change left no audit record either.
    assert_eq!(events_of(&app, id).await.len(), 2);
}

/// Twenty PATCHes of one provider at once, ten rounds, on DynamoDB Local
/// (truly concurrent, no serialising emulator): every 200 is one version
/// step and one audit record, so no successful update was lost.
#[tokio::test]
async fn parallel_patches_lose_no_update() {
    let app = TestApp::start().await;
    let id = create(&app, ses_body()).await;
    let stored_version = || async {
        let item = app.stored_provider(&app.account_id, id).await.expect("stored");
        item["version"].as_n().unwrap().parse::<u64>().unwrap()
    };
    let mut total_ok = 0;
    for round in 0..10 {
        let before = stored_version().await;
        let names: Vec<String> = (0..20).map(|i| format!("round {round} writer {i}")).collect();
        let answers = join_all(names.iter().map(|name| patch(&app, id, json!({"name": name})))).await;
        let mut ok_names = Vec::new();
        for (name, res) in names.iter().zip(&answers) {
            match res.status {
                StatusCode::OK => ok_names.push(name.clone()),
                StatusCode::CONFLICT => assert_eq!(res.json()["error"]["code"], "CONFLICT"),
                StatusCode::SERVICE_UNAVAILABLE => assert!(res.headers.contains_key("retry-after")),
                other => panic!("round {round}: unexpected status {other}: {}", res.text),
            }
        }
        assert!(!ok_names.is_empty(), "round {round}: no writer succeeded");
        let after = stored_version().await;
        assert_eq!(after - before, ok_names.len() as u64, "round {round}: version steps differ from 200s");
        let now = app.admin(Method::GET, &format!("/api/email-providers/{id}"), None).await.json();
        assert!(
            ok_names.contains(&now["name"].as_str().unwrap().to_string()),
            "round {round}: the last write is not one that succeeded"
        );
        total_ok += ok_names.len();
        let mut updates = 0;
        let mut cursor = String::new();
        loop {
            let page = app
                .admin(Method::GET, &format!("/api/audit-events?resource_id={id}&limit=100&cursor={cursor}"), None)
                .await
                .json();
            updates += page["events"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["event_type"] == "EMAIL_PROVIDER_UPDATED")
                .count();
            match page["next_cursor"].as_str() {
                Some(next) => cursor = next.to_string(),
                None => break,
            }
        }
        assert_eq!(updates, total_ok, "round {round}: audit records differ from 200s");
    }
}

/// A provider created and renamed three times (four audit records), and a
/// time a little before all of them.
async fn provider_renamed_three_times() -> (TestApp, u64, time::OffsetDateTime) {
    let app = TestApp::start().await;
    let before = time::OffsetDateTime::now_utc() - time::Duration::seconds(5);
    let id = create(&app, ses_body()).await;
    for n in 0..3 {
        assert_eq!(patch(&app, id, json!({"name": format!("renamed {n}")})).await.status, StatusCode::OK);
    }
    (app, id, before)
}

#[tokio::test]
async fn audit_events_filter_by_type_and_time() {
    let (app, id, before) = provider_renamed_three_times().await;
    let list = |query: String| {
        let app = &app;
        async move { app.admin(Method::GET, &format!("/api/audit-events?{query}"), None).await }
    };
    let types = |res: &mailkeys_tests::Response| -> Vec<String> {
        res.json()["events"].as_array().unwrap().iter().map(|e| e["event_type"].as_str().unwrap().to_string()).collect()
    };
    let rfc = |t: time::OffsetDateTime| t.format(&time::format_description::well_known::Rfc3339).unwrap();
    let updates = list(format!("resource_id={id}&event_type=EMAIL_PROVIDER_UPDATED")).await;
    assert_eq!(types(&updates), vec!["EMAIL_PROVIDER_UPDATED"; 3]);
    // A filtered listing pages like any other.
    let first = list("event_type=EMAIL_PROVIDER_UPDATED&limit=2".into()).await.json();
    assert_eq!(first["events"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"].as_str().expect("a second page").to_string();
    let second = list(format!("event_type=EMAIL_PROVIDER_UPDATED&limit=2&cursor={cursor}")).await.json();
    assert_eq!((second["events"].as_array().unwrap().len(), second["next_cursor"].clone()), (1, Value::Null));
    // Time windows.
    let all = list(format!("resource_id={id}&since={}", rfc(before))).await;
    assert_eq!(types(&all).len(), 4);
    let later = time::OffsetDateTime::now_utc() + time::Duration::minutes(5);
    assert!(types(&list(format!("since={}", rfc(later))).await).is_empty());
    assert!(types(&list(format!("until={}", rfc(before))).await).is_empty());
    // Refusals.
    for (query, message) in [
        ("colour=red", "Unknown query parameter; allowed: resource_id, event_type, since, until, limit, cursor"),
        ("since=yesterday", "since must be an RFC 3339 time, such as 2026-11-24T10:00:00Z"),
    ] {
        let res = list(query.into()).await;
        assert_eq!((res.status, res.error_message()), (StatusCode::BAD_REQUEST, message.to_string()), "{query}");
    }
    let res = list("event_type=NOPE".into()).await;
    assert!(res.error_message().starts_with("event_type must be one of: ACCOUNT_CREATED"));
}

/// A reversed window is refused; a cursor outside the window is applied
/// within it; a listing by resource pages by version, and takes only its
/// own kind of cursor.
#[tokio::test]
async fn audit_windows_and_cursors() {
    let (app, id, before) = provider_renamed_three_times().await;
    let list = |query: String| {
        let app = &app;
        async move { app.admin(Method::GET, &format!("/api/audit-events?{query}"), None).await }
    };
    let rfc = |t: time::OffsetDateTime| t.format(&time::format_description::well_known::Rfc3339).unwrap();
    let later = time::OffsetDateTime::now_utc() + time::Duration::minutes(5);
    let reversed = list(format!("since={}&until={}", rfc(later), rfc(before))).await;
    assert_eq!(
        (reversed.status, reversed.error_message()),
        (StatusCode::BAD_REQUEST, "since must not be later than until".to_string())
    );

    // A cursor outside the window is applied within it: older than the
    // window, nothing; newer, the window from its top.
    let newest_first = list("limit=100".into()).await.json()["events"].as_array().unwrap().clone();
    let oldest_cursor = list(format!("limit={}", newest_first.len() - 1)).await.json()["next_cursor"].clone();
    let oldest_cursor = oldest_cursor.as_str().expect("a cursor before the oldest event").to_string();
    let window = format!("since={}&until={}", rfc(before), rfc(later));
    let page = list(format!("{window}&cursor={oldest_cursor}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert_eq!(page.json()["events"].as_array().unwrap().len(), 1, "only the oldest event is older than it");
    let narrow = format!("since={}&until={}", rfc(later), rfc(later + time::Duration::minutes(1)));
    let page = list(format!("{narrow}&cursor={oldest_cursor}")).await;
    assert_eq!((page.status, page.json()["events"].clone()), (StatusCode::OK, json!([])), "{}", page.text);
    let page = list(format!("until={}&cursor={oldest_cursor}", rfc(before))).await;
    assert_eq!((page.status, page.json()["events"].clone()), (StatusCode::OK, json!([])), "{}", page.text);
    let future = ulid::Ulid::from_parts(u64::MAX >> 16, 0).to_string();
    let page = list(format!("{window}&cursor={future}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert_eq!(page.json()["events"].as_array().unwrap().len(), newest_first.len(), "the whole window");

    // By resource, pages follow the versions, and a cursor of the other
    // kind of listing is refused.
    let first = list(format!("resource_id={id}&limit=3")).await.json();
    let versions = |page: &Value| -> Vec<u64> {
        page["events"].as_array().unwrap().iter().map(|e| e["version"].as_u64().unwrap()).collect()
    };
    assert_eq!(versions(&first), [4, 3, 2]);
    let cursor = first["next_cursor"].as_str().unwrap().to_string();
    let rest = list(format!("resource_id={id}&limit=3&cursor={cursor}")).await.json();
    assert_eq!((versions(&rest), rest["next_cursor"].clone()), (vec![1], Value::Null));
    for bad in [oldest_cursor.as_str(), "7-nope", "x-01JDX7M3K9Q2W8E4R5T6Y7U8I9"] {
        let res = list(format!("resource_id={id}&cursor={bad}")).await;
        assert_eq!((res.status, res.error_message()), (StatusCode::BAD_REQUEST, "Invalid cursor".into()), "{bad}");
    }
    let res = list(format!("cursor={cursor}")).await;
    assert_eq!((res.status, res.error_message()), (StatusCode::BAD_REQUEST, "Invalid cursor".into()));
}

/// Records written before versions were recorded are not in the listing by
/// resource until `mailkeys-admin migrate-audit` runs; then they come
/// before every newer record, oldest last, and a second run writes nothing.
#[tokio::test]
async fn audit_records_from_before_versions_are_listed_after_migrate_audit() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let app = TestApp::start().await;
    let id = create(&app, ses_body()).await;
    assert_eq!(patch(&app, id, json!({"name": "renamed"})).await.status, StatusCode::OK);
    // What those two records looked like before: no version, no place in
    // the index by version.
    let table = app.tables().audit.clone();
    let old = app.ddb().scan().table_name(&table).send().await.unwrap();
    for item in old.items().iter().filter(|i| i["resource_id"] == AttributeValue::S(id.to_string())) {
        app.ddb()
            .update_item()
            .table_name(&table)
            .key("pk", item["pk"].clone())
            .key("sk", item["sk"].clone())
            .update_expression("REMOVE version, resource_seq")
            .send()
            .await
            .unwrap();
    }
    assert_eq!(patch(&app, id, json!({"name": "renamed again"})).await.status, StatusCode::OK);
    let versions = |trail: &[Value]| trail.iter().map(|e| e["version"].as_u64()).collect::<Vec<_>>();
    assert_eq!(versions(&app.trail(&id.to_string()).await), [Some(3)], "the older records are not listed yet");

    let migrate = || {
        let out = std::process::Command::new(mailkeys_tests::tool_binary("mailkeys-admin"))
            .arg("migrate-audit")
            .envs(app.server_env())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()["records_updated"].as_u64().unwrap()
    };
    assert_eq!(migrate(), 2);
    let trail = app.trail(&id.to_string()).await;
    assert_eq!(versions(&trail), [Some(3), None, None]);
    let types: Vec<&str> = trail.iter().map(|e| e["event_type"].as_str().unwrap()).collect();
    assert_eq!(types, ["EMAIL_PROVIDER_UPDATED", "EMAIL_PROVIDER_UPDATED", "EMAIL_PROVIDER_CREATED"]);
    assert_eq!(migrate(), 0);
}

/// The list pages like every list (`limit`, a cursor that is the last id),
/// and stays the array it was: the next page is a `Link` header.
#[tokio::test]
async fn the_provider_list_pages_with_a_link_to_the_next_page() {
    let app = TestApp::start().await;
    for n in 0..3 {
        let mut body = ses_body();
        body["name"] = json!(format!("SES {n}"));
        assert_eq!(app.admin(Method::POST, "/api/email-providers", Some(&body)).await.status, StatusCode::CREATED);
    }
    let queries_before = app.ddb_calls.query_limits().len();
    let first = app.admin(Method::GET, "/api/email-providers?limit=2", None).await;
    assert_eq!(first.status, StatusCode::OK);
    let ids: Vec<u64> = first.json().as_array().unwrap().iter().map(|p| p["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, [1, 2]);
    let link = first.headers.get("link").expect("a next page").to_str().unwrap().to_string();
    assert_eq!(link, "</api/email-providers?limit=2&cursor=2>; rel=\"next\"");
    let last = app.admin(Method::GET, "/api/email-providers?limit=2&cursor=2", None).await;
    let ids: Vec<u64> = last.json().as_array().unwrap().iter().map(|p| p["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, [3]);
    assert!(last.headers.get("link").is_none());
    assert_eq!(app.ddb_calls.query_limits()[queries_before..], [Some(3), Some(3)]);
    // Without parameters: up to 50.
    assert_eq!(app.admin(Method::GET, "/api/email-providers", None).await.json().as_array().unwrap().len(), 3);
    for bad in ["limit=0", "limit=101", "cursor=0", "cursor=abc", "cursor=-1"] {
        let res = app.admin(Method::GET, &format!("/api/email-providers?{bad}"), None).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

/// Twelve writers race on one provider, eleven PATCHes and a DELETE, twenty
/// times: the trail, newest first, is the order of the commits (each record
/// carries the version its transaction wrote): the DELETE first, versions
/// without a gap down to the creation, one record per 200.
#[tokio::test]
async fn the_trail_is_in_commit_order_when_writers_race() {
    let app = TestApp::start().await;
    for round in 0..20 {
        let id = create(&app, ses_body()).await;
        let path = format!("/api/email-providers/{id}");
        let patches = (0..11).map(|i| patch(&app, id, json!({"name": format!("round {round} writer {i}")})));
        let (answers, deleted) = tokio::join!(join_all(patches), app.admin(Method::DELETE, &path, None));
        let mut deleted = deleted;
        // A DELETE that kept losing the race is retried, as a client would.
        for _ in 0..10 {
            if deleted.status != StatusCode::CONFLICT && deleted.status != StatusCode::SERVICE_UNAVAILABLE {
                break;
            }
            deleted = app.admin(Method::DELETE, &path, None).await;
        }
        assert_eq!(deleted.status, StatusCode::NO_CONTENT, "round {round}: {}", deleted.text);
        assert_eq!(app.admin(Method::GET, &path, None).await.status, StatusCode::NOT_FOUND);
        let ok = answers.iter().filter(|a| a.status == StatusCode::OK).count();
        for answer in &answers {
            assert!(
                [StatusCode::OK, StatusCode::CONFLICT, StatusCode::NOT_FOUND, StatusCode::SERVICE_UNAVAILABLE]
                    .contains(&answer.status),
                "round {round}: {}",
                answer.text
            );
        }
        let trail = app.trail(&id.to_string()).await;
        let types: Vec<&str> = trail.iter().map(|e| e["event_type"].as_str().unwrap()).collect();
        assert_eq!(types.first(), Some(&"EMAIL_PROVIDER_DELETED"), "round {round}: {types:?}");
        assert_eq!(types.last(), Some(&"EMAIL_PROVIDER_CREATED"), "round {round}: {types:?}");
        assert_eq!(types.iter().filter(|t| **t == "EMAIL_PROVIDER_UPDATED").count(), ok, "round {round}");
        assert_versions_gap_free(&trail, &format!("round {round}"));
    }
}

/// Times are one type now, but the tables and the answers hold them as
/// before: an item written by the previous version (its times as RFC 3339
/// text to the second) reads back byte for byte, and what this version
/// writes has the same shape.
#[tokio::test]
async fn times_read_and_write_as_the_previous_version_did() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let app = TestApp::start().await;
    let id = create(&app, ses_body()).await;
    let key = |item: &mailkeys::store::Item| (item["pk"].clone(), item["sk"].clone());
    let stored = app.stored_provider(&app.account_id, id).await.unwrap();
    let (pk, sk) = key(&stored);
    // As the previous version wrote them.
    app.ddb()
        .update_item()
        .table_name(&app.tables().main)
        .key("pk", pk)
        .key("sk", sk)
        .update_expression("SET created_at = :created, updated_at = :updated")
        .expression_attribute_values(":created", AttributeValue::S("2025-01-02T03:04:05Z".into()))
        .expression_attribute_values(":updated", AttributeValue::S("2025-06-07T08:09:10Z".into()))
        .send()
        .await
        .unwrap();
    let shown = app.admin(Method::GET, &format!("/api/email-providers/{id}"), None).await;
    assert!(shown.text.contains(r#""created_at":"2025-01-02T03:04:05Z""#), "{}", shown.text);
    assert!(shown.text.contains(r#""updated_at":"2025-06-07T08:09:10Z""#), "{}", shown.text);
    assert_eq!(patch(&app, id, json!({"name": "Renamed"})).await.status, StatusCode::OK);
    let after = app.stored_provider(&app.account_id, id).await.unwrap();
    assert_eq!(after["created_at"].as_s().unwrap(), "2025-01-02T03:04:05Z", "kept byte for byte");
    let updated = after["updated_at"].as_s().unwrap();
    let shape = updated.len() == 20
        && updated.ends_with('Z')
        && updated.chars().enumerate().all(|(i, c)| match i {
            4 | 7 => c == '-',
            10 => c == 'T',
            13 | 16 => c == ':',
            19 => c == 'Z',
            _ => c.is_ascii_digit(),
        });
    assert!(shape, "written as before (RFC 3339, UTC, to the second): {updated}");
}
