//! Connectivity tests against real mail servers on loopback: dovecot (IMAP)
//! and aiosmtpd (SMTP), with a test CA the deployment trusts.

use std::time::{Duration, Instant};

use mailkeys_tests::servers::{test_ca, ImapServer, SmtpMode, SmtpServer, MAIL_PASSWORD, MAIL_TOKEN, MAIL_USER};
use mailkeys_tests::{free_port, item_contains, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn credential(kind: &str, host: &str, port: u16, mode: &str, password: &str) -> Value {
    json!({"provider_kind": kind, "host": host, "port": port, "security_mode": mode,
           "auth_kind": "password", "username": MAIL_USER, "password": password})
}

/// Creates the credential, runs its test, and returns the outcome.
async fn test_of(app: &TestApp, body: Value) -> Value {
    let created =
        app.admin(Method::POST, &format!("/api/accounts/{}/provider-credentials", app.account_id), Some(&body)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.json()["id"].as_str().unwrap().to_string();
    let res = app.admin(Method::POST, &format!("/api/provider-credentials/{id}/test"), None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(
        !res.text.contains(MAIL_PASSWORD) && !res.text.contains("wrong-password-Xy7") && !res.text.contains(MAIL_TOKEN)
    );
    let outcome = res.json();
    assert!(outcome["latency_ms"].is_u64());
    assert!(outcome["tested_at"].as_str().unwrap().ends_with('Z'));
    // The outcome is stored on the record.
    let stored = app.admin(Method::GET, &format!("/api/provider-credentials/{id}"), None).await.json();
    assert_eq!(stored["last_test"], outcome);
    outcome
}

fn assert_outcome(outcome: &Value, status: &str, stage: Value) {
    assert_eq!((outcome["status"].as_str().unwrap(), &outcome["stage"]), (status, &stage), "{outcome}");
}

#[tokio::test]
async fn imap_over_implicit_tls_and_starttls() {
    let app = TestApp::start().await;
    let imap = ImapServer::start();
    let ok = test_of(&app, credential("imap", "localhost", imap.imaps_port, "ssl_tls", MAIL_PASSWORD)).await;
    assert_outcome(&ok, "ok", Value::Null);
    let ok = test_of(&app, credential("imap", "localhost", imap.imap_port, "starttls", MAIL_PASSWORD)).await;
    assert_outcome(&ok, "ok", Value::Null);
    let wrong = test_of(&app, credential("imap", "localhost", imap.imaps_port, "ssl_tls", "wrong-password-Xy7")).await;
    assert_outcome(&wrong, "failed", json!("auth"));
    // The plain port, asked for implicit TLS: the client insists on TLS.
    let plain = test_of(&app, credential("imap", "localhost", imap.imap_port, "ssl_tls", MAIL_PASSWORD)).await;
    assert_outcome(&plain, "failed", json!("tls"));
    // An IP literal works when the certificate names it.
    let by_ip = test_of(&app, credential("imap", "127.0.0.1", imap.imaps_port, "ssl_tls", MAIL_PASSWORD)).await;
    assert_outcome(&by_ip, "ok", Value::Null);
}

#[tokio::test]
async fn certificates_are_verified_against_the_trusted_roots() {
    // A deployment that does not trust the test CA.
    let app = TestApp::start_with(|s| s.connectivity.trust = mailkeys::connectivity::Trust::new(None).unwrap()).await;
    let imap = ImapServer::start();
    let smtp = SmtpServer::start(SmtpMode::StartTls);
    assert_outcome(
        &test_of(&app, credential("imap", "localhost", imap.imaps_port, "ssl_tls", MAIL_PASSWORD)).await,
        "failed",
        json!("tls"),
    );
    assert_outcome(
        &test_of(&app, credential("imap", "localhost", imap.imap_port, "starttls", MAIL_PASSWORD)).await,
        "failed",
        json!("tls"),
    );
    assert_outcome(
        &test_of(&app, credential("smtp", "localhost", smtp.port, "starttls", MAIL_PASSWORD)).await,
        "failed",
        json!("tls"),
    );
}

#[tokio::test]
async fn smtp_starttls_implicit_and_xoauth2() {
    let app = TestApp::start().await;
    let starttls = SmtpServer::start(SmtpMode::StartTls);
    let implicit = SmtpServer::start(SmtpMode::Implicit);
    let plain = SmtpServer::start(SmtpMode::Plain);
    assert_outcome(
        &test_of(&app, credential("smtp", "localhost", starttls.port, "starttls", MAIL_PASSWORD)).await,
        "ok",
        Value::Null,
    );
    assert_outcome(
        &test_of(&app, credential("smtp", "localhost", implicit.port, "ssl_tls", MAIL_PASSWORD)).await,
        "ok",
        Value::Null,
    );
    assert_outcome(
        &test_of(&app, credential("smtp", "localhost", starttls.port, "starttls", "wrong-password-Xy7")).await,
        "failed",
        json!("auth"),
    );
    // A plain server asked for TLS, either way.
    assert_outcome(
        &test_of(&app, credential("smtp", "localhost", plain.port, "ssl_tls", MAIL_PASSWORD)).await,
        "failed",
        json!("tls"),
    );
    assert_outcome(
        &test_of(&app, credential("smtp", "localhost", plain.port, "starttls", MAIL_PASSWORD)).await,
        "failed",
        json!("tls"),
    );
    let oauth = json!({"provider_kind": "smtp", "host": "localhost", "port": starttls.port, "security_mode": "starttls",
        "auth_kind": "oauth2", "username": MAIL_USER, "access_token": MAIL_TOKEN});
    assert_outcome(&test_of(&app, oauth.clone()).await, "ok", Value::Null);
    let mut bad_token = oauth;
    bad_token["access_token"] = json!("ya29.wrong-token");
    assert_outcome(&test_of(&app, bad_token).await, "failed", json!("auth"));
}

#[tokio::test]
async fn dns_connect_and_time_bounds() {
    let app = TestApp::start_with(|s| s.connectivity.timeout = Duration::from_secs(2)).await;
    let closed = free_port();
    assert_outcome(
        &test_of(&app, credential("imap", "localhost", closed, "ssl_tls", MAIL_PASSWORD)).await,
        "failed",
        json!("connect"),
    );
    assert_outcome(
        &test_of(&app, credential("smtp", "localhost", closed, "starttls", MAIL_PASSWORD)).await,
        "failed",
        json!("connect"),
    );
    assert_outcome(
        &test_of(&app, credential("imap", "no-such-host.invalid", 993, "ssl_tls", MAIL_PASSWORD)).await,
        "failed",
        json!("dns"),
    );

    // A server that accepts and never says a word.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let _keep = std::thread::spawn(move || {
        let held: Vec<_> = silent.incoming().take(4).collect();
        std::thread::sleep(Duration::from_secs(30));
        drop(held);
    });
    for (kind, mode) in [("imap", "ssl_tls"), ("imap", "starttls"), ("smtp", "starttls")] {
        let started = Instant::now();
        let outcome = test_of(&app, credential(kind, "localhost", port, mode, MAIL_PASSWORD)).await;
        assert!(started.elapsed() < Duration::from_secs(6), "{kind}/{mode} took {:?}", started.elapsed());
        assert_eq!(outcome["status"], "failed");
        assert!(outcome["message"].as_str().unwrap().starts_with("no answer within 2 seconds"), "{outcome}");
        assert!(["tls", "protocol"].contains(&outcome["stage"].as_str().unwrap()), "{outcome}");
    }
}

#[tokio::test]
async fn private_and_reserved_hosts_are_refused_unless_allowed() {
    let app = TestApp::start_with(|s| s.connectivity.allow_private_hosts = false).await;
    for host in ["127.0.0.1", "169.254.169.254", "10.0.0.1", "::1", "localhost", "100.64.0.1", "fd00:ec2::254"] {
        let outcome = test_of(&app, credential("imap", host, 993, "ssl_tls", MAIL_PASSWORD)).await;
        assert_outcome(&outcome, "failed", json!("dns"));
        assert!(outcome["message"].as_str().unwrap().contains("reserved address"), "{host}: {outcome}");
    }
}

async fn run_test(app: &TestApp, id: &str) -> Value {
    app.admin(Method::POST, &format!("/api/provider-credentials/{id}/test"), None).await.json()
}

#[tokio::test]
async fn rotate_then_test_uses_the_new_secret_and_outcomes_are_searchable() {
    let app = TestApp::start().await;
    let imap = ImapServer::start();
    let created = app
        .admin(
            Method::POST,
            &format!("/api/accounts/{}/provider-credentials", app.account_id),
            Some(&credential("imap", "localhost", imap.imaps_port, "ssl_tls", "wrong-password-Xy7")),
        )
        .await
        .json();
    let id = created["id"].as_str().unwrap();
    assert_outcome(&run_test(&app, id).await, "failed", json!("auth"));
    let search = |status: &'static str| {
        let app = &app;
        async move {
            let path = format!("/api/accounts/{}/provider-credentials/search", app.account_id);
            let res = app.admin(Method::POST, &path, Some(&json!({"last_test_status": status}))).await.json();
            res["items"].as_array().unwrap().len()
        }
    };
    assert_eq!((search("failed").await, search("ok").await, search("never").await), (1, 0, 0));
    let rotated = app
        .admin(
            Method::POST,
            &format!("/api/provider-credentials/{id}/rotate"),
            Some(&json!({"password": MAIL_PASSWORD})),
        )
        .await;
    assert_eq!(rotated.status, StatusCode::OK);
    assert_outcome(&run_test(&app, id).await, "ok", Value::Null);
    assert_eq!((search("failed").await, search("ok").await), (0, 1));

    let events = app.admin(Method::GET, &format!("/api/audit-events?resource_id={id}"), None).await.json();
    let tested: Vec<&Value> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event_type"] == "PROVIDER_CREDENTIAL_TESTED")
        .collect();
    assert_eq!(tested.len(), 2);
    assert_eq!((tested[0]["outcome"].as_str(), tested[1]["outcome"].as_str()), (Some("ok"), Some("failed")));
    for item in app.all_items().await {
        assert!(!item_contains(&item, MAIL_PASSWORD) && !item_contains(&item, "wrong-password-Xy7"));
    }
    // A test of another account's credential is not found.
    let (_, other) = app.other_account().await;
    let res = app.call(Method::POST, &format!("/api/provider-credentials/{id}/test"), Some(&other), None).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let _ = test_ca();
}

fn smtp_provider(port: u16, encryption: &str, password: &str, accept_invalid_certs: bool) -> Value {
    json!({"name": "Relay", "provider_type": "smtp", "region": "local",
           "smtp_credentials": {"host": "localhost", "port": port, "username": MAIL_USER, "password": password,
                                "encryption": encryption, "accept_invalid_certs": accept_invalid_certs}})
}

async fn provider_test(app: &TestApp, provider: Value, body: Option<Value>) -> (u64, mailkeys_tests::Response) {
    let created = app.admin(Method::POST, "/api/email-providers", Some(&provider)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.json()["id"].as_u64().unwrap();
    let res = app.admin(Method::POST, &format!("/api/email-providers/{id}/test"), body.as_ref()).await;
    assert!(!res.text.contains(MAIL_PASSWORD) && !res.text.contains("wrong-password-Xy7"));
    (id, res)
}

#[tokio::test]
async fn smtp_email_providers_are_tested_and_can_send_a_message() {
    let app = TestApp::start().await;
    let starttls = SmtpServer::start(SmtpMode::StartTls);
    let implicit = SmtpServer::start(SmtpMode::Implicit);

    let (id, res) = provider_test(&app, smtp_provider(starttls.port, "starttls", MAIL_PASSWORD, false), None).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_outcome(&res.json(), "ok", Value::Null);
    let stored = app.admin(Method::GET, &format!("/api/email-providers/{id}"), None).await.json();
    assert_eq!(stored["last_test"], res.json());
    assert!(starttls.received().is_empty(), "no message without `to`");

    let (_, res) = provider_test(&app, smtp_provider(implicit.port, "tls", "wrong-password-Xy7", false), None).await;
    assert_outcome(&res.json(), "failed", json!("auth"));

    let (id, res) = provider_test(
        &app,
        smtp_provider(starttls.port, "starttls", MAIL_PASSWORD, false),
        Some(json!({"to": "postmaster@example.com"})),
    )
    .await;
    assert_outcome(&res.json(), "ok", Value::Null);
    assert_eq!(res.json()["message"], "connected, authenticated and sent the test message");
    let received = starttls.received();
    assert!(received.contains("Subject: Mailkeys connectivity test") && received.contains("postmaster@example.com"));

    let events = app.admin(Method::GET, &format!("/api/audit-events?resource_id={id}"), None).await.json();
    assert_eq!(events["events"][0]["event_type"], "EMAIL_PROVIDER_TESTED");
    assert_eq!(events["events"][0]["outcome"], "ok");

    let res = app
        .admin(Method::POST, &format!("/api/email-providers/{id}/test"), Some(&json!({"to": "not an address"})))
        .await;
    assert_eq!((res.status, res.error_message()), (StatusCode::BAD_REQUEST, "to must be an email address".to_string()));
    let (_, other) = app.other_account().await;
    let res = app.call(Method::POST, &format!("/api/email-providers/{id}/test"), Some(&other), None).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn accept_invalid_certs_is_honoured_only_when_set() {
    let app = TestApp::start_with(|s| s.connectivity.trust = mailkeys::connectivity::Trust::new(None).unwrap()).await;
    let starttls = SmtpServer::start(SmtpMode::StartTls);
    let (_, res) = provider_test(&app, smtp_provider(starttls.port, "starttls", MAIL_PASSWORD, false), None).await;
    assert_outcome(&res.json(), "failed", json!("tls"));
    let (_, res) = provider_test(&app, smtp_provider(starttls.port, "starttls", MAIL_PASSWORD, true), None).await;
    assert_outcome(&res.json(), "ok", Value::Null);
}

#[tokio::test]
async fn ses_providers_are_checked_with_their_own_keys_and_region() {
    let app = TestApp::start().await;
    let ses = json!({"name": "SES", "provider_type": "ses", "region": "eu-west-1",
                     "ses_credentials": {"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "ses-secret-Rt5"}});
    let (id, res) = provider_test(&app, ses.clone(), None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_outcome(&res.json(), "ok", Value::Null);
    assert!(!res.text.contains("ses-secret-Rt5"));

    // A test message goes out through SES once the address is an identity there.
    let sesv2 = aws_sdk_sesv2::Client::from_conf(
        aws_sdk_sesv2::config::Builder::from(&app.sdk).region(aws_sdk_sesv2::config::Region::new("eu-west-1")).build(),
    );
    sesv2.create_email_identity().email_identity("postmaster@example.com").send().await.unwrap();
    let res = app
        .admin(Method::POST, &format!("/api/email-providers/{id}/test"), Some(&json!({"to": "postmaster@example.com"})))
        .await;
    assert_outcome(&res.json(), "ok", Value::Null);
    assert_eq!(res.json()["message"], "authenticated and sent the test message");

    // An endpoint that is not there fails at connect, within the bound.
    let closed = free_port();
    let unreachable =
        TestApp::start_with(move |s| s.connectivity.ses_endpoint = Some(format!("http://127.0.0.1:{closed}"))).await;
    let (_, res) = provider_test(&unreachable, ses, None).await;
    assert_outcome(&res.json(), "failed", json!("connect"));
}

/// A stand-in for the Scaleway TEM API: one project, one key.
async fn scaleway_stand_in() -> (String, std::sync::Arc<std::sync::Mutex<Vec<Value>>>) {
    use axum::extract::Query;
    use axum::http::HeaderMap;
    let sent = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let authorized = |headers: &HeaderMap| headers.get("x-auth-token").is_some_and(|v| v == "scw-key-Gh7");
    let sent_by_post = sent.clone();
    let router = axum::Router::new().route(
        "/transactional-email/v1alpha1/regions/fr-par/emails",
        axum::routing::get(
            move |headers: HeaderMap, Query(query): Query<std::collections::HashMap<String, String>>| async move {
                if !authorized(&headers) {
                    return (StatusCode::UNAUTHORIZED, axum::Json(json!({"message": "authentication is denied"})));
                }
                match query.get("project_id").map(String::as_str) {
                    Some("proj-1") => (StatusCode::OK, axum::Json(json!({"emails": [], "total_count": 0}))),
                    _ => (StatusCode::NOT_FOUND, axum::Json(json!({"message": "project not found"}))),
                }
            },
        )
        .post(move |headers: HeaderMap, axum::Json(body): axum::Json<Value>| async move {
            if !authorized(&headers) {
                return StatusCode::UNAUTHORIZED;
            }
            sent_by_post.lock().unwrap().push(body);
            StatusCode::OK
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (url, sent)
}

#[tokio::test]
async fn scaleway_providers_are_checked_against_the_tem_api() {
    let (url, sent) = scaleway_stand_in().await;
    let app = TestApp::start_with(move |s| s.connectivity.scaleway_api_url = url).await;
    let provider = |key: &str, project: &str| {
        json!({"name": "TEM", "provider_type": "scaleway", "region": "fr-par",
               "scaleway_credentials": {"api_key": key, "project_id": project}})
    };
    let (id, res) = provider_test(&app, provider("scw-key-Gh7", "proj-1"), None).await;
    assert_outcome(&res.json(), "ok", Value::Null);
    let (_, res) = provider_test(&app, provider("scw-wrong-key", "proj-1"), None).await;
    assert_outcome(&res.json(), "failed", json!("auth"));
    assert!(!res.text.contains("scw-wrong-key"));
    let (_, res) = provider_test(&app, provider("scw-key-Gh7", "proj-2"), None).await;
    assert_outcome(&res.json(), "failed", json!("protocol"));
    assert!(!res.text.contains("project not found"), "the provider's own text is not passed on");

    let res = app
        .admin(Method::POST, &format!("/api/email-providers/{id}/test"), Some(&json!({"to": "ops@example.com"})))
        .await;
    assert_outcome(&res.json(), "ok", Value::Null);
    let sent = sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["to"][0]["email"], "ops@example.com");
    assert_eq!(sent[0]["project_id"], "proj-1");
}

/// A key that may edit a credential's metadata but never read its secret
/// tries to send the stored password to a server of its own: every route to
/// that is closed, and the owner's own test still reaches the owner's server.
#[tokio::test]
async fn a_stored_secret_never_goes_to_a_server_the_caller_chose() {
    use aws_sdk_dynamodb::types::AttributeValue;
    use mailkeys::domain::permission::Permission;

    let app = TestApp::start().await;
    let owner = SmtpServer::start(SmtpMode::StartTls);
    let attacker = SmtpServer::start(SmtpMode::StartTls);
    let editor = app.key_with(&[Permission::ProviderCredentialsWrite, Permission::EmailProvidersWrite]).await;
    let reached = |server: &SmtpServer| server.auth_attempts().contains(MAIL_PASSWORD);

    // Control: the owner's test logs in at the owner's server.
    let outcome = test_of(&app, credential("smtp", "localhost", owner.port, "starttls", MAIL_PASSWORD)).await;
    assert_outcome(&outcome, "ok", Value::Null);
    assert!(reached(&owner), "the owner's own test reaches the owner's server");
    let list = app.admin(Method::GET, &format!("/api/accounts/{}/provider-credentials", app.account_id), None).await;
    let id = list.json()["items"][0]["id"].as_str().unwrap().to_string();
    let path = format!("/api/provider-credentials/{id}");

    // Provider credential: moving it without the password is refused...
    for moved in [json!({"port": attacker.port}), json!({"host": "127.0.0.1", "port": attacker.port})] {
        let res = app.call(Method::PATCH, &path, Some(&editor), Some(&moved)).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST);
        assert!(res.error_message().starts_with("password is required when host, port or security_mode changes"));
    }
    let res = app.call(Method::POST, &format!("{path}/test"), Some(&editor), None).await;
    assert_outcome(&res.json(), "ok", Value::Null);
    // ...and a destination edited in the table by hand does not open the blob.
    app.ddb()
        .update_item()
        .table_name(&app.tables().main)
        .key("pk", AttributeValue::S(format!("ACCOUNT#{}", app.account_id)))
        .key("sk", AttributeValue::S(format!("PROVIDER_CREDENTIAL#{id}")))
        .update_expression("SET port = :port")
        .expression_attribute_values(":port", AttributeValue::N(attacker.port.to_string()))
        .send()
        .await
        .unwrap();
    let res = app.call(Method::POST, &format!("{path}/test"), Some(&editor), None).await;
    assert_eq!(res.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", res.status);

    // SMTP email provider: a block without the password keeps it only for
    // the same host, port and encryption.
    let (provider, res) = provider_test(&app, smtp_provider(owner.port, "starttls", MAIL_PASSWORD, false), None).await;
    assert_outcome(&res.json(), "ok", Value::Null);
    let provider_path = format!("/api/email-providers/{provider}");
    let moved = json!({"smtp_credentials": {"host": "localhost", "port": attacker.port, "encryption": "starttls"}});
    let res = app.call(Method::PATCH, &provider_path, Some(&editor), Some(&moved)).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res
        .error_message()
        .starts_with("smtp_credentials.password is required when host, port or encryption changes"));
    let same = json!({"smtp_credentials": {"host": "localhost", "port": owner.port, "encryption": "starttls"}});
    let res = app.call(Method::PATCH, &provider_path, Some(&editor), Some(&same)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json()["credentials"]["password"], "***", "the kept password stays");
    // Turning certificate checks off is a redirection too (any server that
    // answers for the host would get the password): it needs the password.
    let lax = json!({"smtp_credentials": {"host": "localhost", "port": owner.port, "encryption": "starttls",
                                          "accept_invalid_certs": true}});
    let res = app.call(Method::PATCH, &provider_path, Some(&editor), Some(&lax)).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.error_message().contains("or certificate checks are turned off"), "{}", res.error_message());
    let shown = app.admin(Method::GET, &provider_path, None).await.json();
    assert_eq!(shown["credentials"]["accept_invalid_certs"], false, "nothing was stored");
    let res = app.call(Method::POST, &format!("{provider_path}/test"), Some(&editor), None).await;
    assert_outcome(&res.json(), "ok", Value::Null);

    assert!(!reached(&attacker), "the stored password reached a server the caller chose");
}
