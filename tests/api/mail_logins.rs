//! Mail servers log in with Mailkeys: real Dovecot (IMAP, POP3,
//! submission) checks every login through `mailkeys-checkpassword`, and
//! Python's own mail clients log in with the key the API gave.

use mailkeys::domain::secret::ExposeSecret;
use mailkeys_tests::servers::MailLoginServer;
use mailkeys_tests::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn service_key(app: &TestApp) -> String {
    let (_, key) = app.state.accounts.create_service_key("mail servers").await.unwrap();
    key.plaintext.expose_secret().to_string()
}

async fn smtp_credential(app: &TestApp, admin_key: &str, scopes: &[&str]) -> (String, String) {
    let res = app
        .call(
            Method::POST,
            "/api/smtp-credentials",
            Some(admin_key),
            Some(&json!({"name": "mail client", "scopes": scopes})),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let body = res.json();
    (body["id"].as_str().unwrap().to_string(), body["apiKey"].as_str().unwrap().to_string())
}

// The in-process server answers the adapter while a mail client blocks a thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credential_logs_in_to_imap_pop3_and_submission() {
    let app = TestApp::start().await;
    let mail = MailLoginServer::start(&app.base_url, &service_key(&app).await);
    let (_, key) = smtp_credential(&app, &app.admin_key, &["smtp", "pop3", "imap"]).await;
    let user = app.account_id.to_string();
    for protocol in ["imap", "pop3", "submission"] {
        let answer = mail.login(protocol, &user, &key, None);
        assert!(answer.starts_with("ok"), "{protocol}: {answer}\n{}", mail.log());
    }
    // The account id in any case.
    assert!(mail.login("imap", &user.to_uppercase(), &key, None).starts_with("ok"));
}

/// A counting proxy in front of the API: how many key checks the mail
/// server made.
async fn counting_proxy(target: String) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use axum::body::Bytes;
    use axum::http::{HeaderMap, StatusCode as Status};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let checks = std::sync::Arc::new(AtomicUsize::new(0));
    let counted = checks.clone();
    let client = reqwest::Client::new();
    let router = axum::Router::new().route(
        "/api/internal/verify-key",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let (client, target, counted) = (client.clone(), target.clone(), counted.clone());
            async move {
                counted.fetch_add(1, Ordering::SeqCst);
                let res = client
                    .post(format!("{target}/api/internal/verify-key"))
                    .header("authorization", headers["authorization"].clone())
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                let status = Status::from_u16(res.status().as_u16()).unwrap();
                (status, res.text().await.unwrap())
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (url, checks)
}

/// What each protocol lets in: the scope it needs (`app` covers all three),
/// the key's own account only; a key of another account, a revoked or a
/// rotated-away key, and a string that is no key are refused as a wrong
/// password. Every login is one key check; a good one moves `lastUsedAt`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_login_is_one_key_check_and_follows_the_keys_rules() {
    use std::sync::atomic::Ordering;
    let app = TestApp::start().await;
    let (proxy, checks) = counting_proxy(app.base_url.clone()).await;
    let mail = MailLoginServer::start(&proxy, &service_key(&app).await);
    let user = app.account_id.to_string();
    let (imap_id, imap_only) = smtp_credential(&app, &app.admin_key, &["imap"]).await;
    let (_, submit_only) = smtp_credential(&app, &app.admin_key, &["smtp"]).await;
    let mobile = app
        .admin(
            Method::POST,
            "/api/smtp-credentials/mobile",
            Some(&json!({"name": "phone", "platform": "ios", "deviceId": "dev-1"})),
        )
        .await
        .json()["apiKey"]
        .as_str()
        .unwrap()
        .to_string();
    let (other_account, other_admin) = app.other_account().await;
    let (_, theirs) = smtp_credential(&app, &other_admin, &["imap"]).await;

    let cases = [
        ("imap", user.as_str(), imap_only.as_str(), "ok"),
        ("pop3", user.as_str(), imap_only.as_str(), "refused"),
        ("submission", user.as_str(), imap_only.as_str(), "refused"),
        ("submission", user.as_str(), submit_only.as_str(), "ok"),
        ("imap", user.as_str(), submit_only.as_str(), "refused"),
        ("imap", user.as_str(), mobile.as_str(), "ok"),
        ("pop3", user.as_str(), mobile.as_str(), "ok"),
        ("submission", user.as_str(), mobile.as_str(), "ok"),
        // Another account's key under this account's name, and its own.
        ("imap", user.as_str(), theirs.as_str(), "refused"),
        ("imap", other_account.as_str(), theirs.as_str(), "ok"),
        ("imap", user.as_str(), "rm_not-a-key", "refused"),
    ];
    for (protocol, login, password, expected) in cases {
        let before = checks.load(Ordering::SeqCst);
        let answer = mail.login(protocol, login, password, None);
        assert!(answer.starts_with(expected), "{protocol} as {login}: {answer}\n{}", mail.log());
        let made = checks.load(Ordering::SeqCst) - before;
        // "rm_not-a-key" is no key at all: Mailkeys is still asked (once).
        assert_eq!(made, 1, "{protocol} as {login}: {made} key checks for one login");
    }
    let listed = app.admin(Method::GET, "/api/smtp-credentials", None).await.json();
    let imap_key = listed["keys"].as_array().unwrap().iter().find(|k| k["id"] == imap_id.as_str()).unwrap().clone();
    assert!(imap_key["lastUsedAt"].is_string(), "a mail login records the key's use");
}

/// A revoke or a rotation takes effect on the next login (no auth cache).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_and_rotated_keys_stop_at_the_next_login() {
    let app = TestApp::start().await;
    let mail = MailLoginServer::start(&app.base_url, &service_key(&app).await);
    let user = app.account_id.to_string();
    let (revoked_id, revoked) = smtp_credential(&app, &app.admin_key, &["imap"]).await;
    assert!(mail.login("imap", &user, &revoked, None).starts_with("ok"));
    let res = app.admin(Method::DELETE, &format!("/api/smtp-credentials/{revoked_id}"), None).await;
    assert!(res.status.is_success(), "{}", res.text);
    assert!(mail.login("imap", &user, &revoked, None).starts_with("refused"));
    let (rotating_id, old) = smtp_credential(&app, &app.admin_key, &["imap", "pop3"]).await;
    assert!(mail.login("pop3", &user, &old, None).starts_with("ok"));
    let rotated = app.admin(Method::POST, &format!("/api/smtp-credentials/{rotating_id}/rotate"), None).await.json();
    let new = rotated["apiKey"].as_str().unwrap().to_string();
    assert!(mail.login("pop3", &user, &old, None).starts_with("refused"));
    assert!(mail.login("pop3", &user, &new, None).starts_with("ok"));
}

/// Submitted mail goes on to the relay: `make mail`'s sink writes it into
/// the outbox as one `.eml` file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submitted_mail_reaches_the_relay() {
    let app = TestApp::start().await;
    let mail = MailLoginServer::start(&app.base_url, &service_key(&app).await);
    let (_, key) = smtp_credential(&app, &app.admin_key, &["smtp"]).await;
    let answer = mail.login("submission", app.account_id.as_str(), &key, Some("someone@example.com"));
    assert!(answer.starts_with("ok AUTH 235 sent"), "{answer}\n{}", mail.log());
    let files: Vec<_> = std::fs::read_dir(&mail.outbox).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1, "one message, one file: {files:?}");
    assert!(files[0].extension().is_some_and(|e| e == "eml"));
    let received = std::fs::read_to_string(&files[0]).unwrap();
    assert!(received.contains("Subject: submitted through Mailkeys"), "the outbox holds another message");
}

/// An outage is never a wrong password: Mailkeys unreachable, or throttling
/// a client that keeps guessing (429), is a temporary failure in every
/// protocol (IMAP `NO [UNAVAILABLE]`, POP3 `-ERR [SYS/TEMP]`, SMTP `454
/// 4.7.0`); the right key from a throttled address still logs in. (A
/// server a protocol: Dovecot's own growing delay after failures from one
/// address is per server.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_or_the_throttle_is_a_temporary_failure() {
    let app = TestApp::start().await;
    let service = service_key(&app).await;
    let (_, key) = smtp_credential(&app, &app.admin_key, &["smtp", "pop3", "imap"]).await;
    let user = app.account_id.to_string();
    let expected = [("imap", "[UNAVAILABLE]"), ("pop3", "[SYS/TEMP]"), ("submission", "454 b'4.7.0")];

    // Nothing listens there.
    let closed = format!("http://127.0.0.1:{}", mailkeys_tests::free_port());
    for (protocol, says) in expected {
        let down = MailLoginServer::start(&closed, &service);
        let answer = down.login(protocol, &user, &key, None);
        assert!(answer.starts_with("temporary") && answer.contains(says), "{protocol}, Mailkeys down: {answer}");
    }

    // Five wrong keys from one address (checked straight at the API, as
    // another mail server of the platform would): past them Mailkeys
    // answers 429 for that address, which Dovecot turns into a temporary
    // failure.
    let source = "127.0.0.250";
    for n in 0..5 {
        let body = json!({"apiKey": format!("rm_wrong-{n}"), "protocol": "imap", "sourceIp": source});
        let res = app.call(Method::POST, "/api/internal/verify-key", Some(&service), Some(&body)).await;
        assert_eq!(res.json()["valid"], false);
    }
    for (protocol, says) in expected {
        let mail = MailLoginServer::start(&app.base_url, &service);
        let answer = mail.login_from(source, protocol, &user, "rm_wrong-again", None);
        assert!(answer.starts_with("temporary") && answer.contains(says), "{protocol}, throttled: {answer}");
        assert!(
            mail.login_from(source, protocol, &user, &key, None).starts_with("ok"),
            "the right key, throttled address"
        );
    }
}

/// A Mailkeys that accepts the connection and never answers holds no login
/// past the adapter's 3 s bound (plus Dovecot's own failure delay, 0 here):
/// the login is a temporary failure within 5 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_mailkeys_is_a_temporary_failure_within_the_bound() {
    let app = TestApp::start().await;
    let (_, key) = smtp_credential(&app, &app.admin_key, &["imap"]).await;
    // Accepts and holds every connection, answering nothing.
    let frozen = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", frozen.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in frozen.incoming().flatten() {
            held.push(stream);
        }
    });
    let mail = MailLoginServer::start(&url, &service_key(&app).await);
    let started = std::time::Instant::now();
    let answer = mail.login("imap", app.account_id.as_str(), &key, None);
    let took = started.elapsed();
    assert!(answer.starts_with("temporary"), "{answer}");
    assert!(took < std::time::Duration::from_secs(5), "a frozen Mailkeys held the login {took:?}");
}

/// `make mail` refuses to start, with a clear message and exit status 2,
/// without a running `make dev` or on a busy port, before it starts or
/// mints anything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn make_mail_refuses_without_make_dev_or_on_a_busy_port() {
    let root = mailkeys_tests::workspace_root();
    let state = std::env::temp_dir().join(format!("mailkeys-mail-state-{}", ulid::Ulid::new()));
    std::fs::create_dir_all(&state).unwrap();
    let run = |envs: &[(&str, String)]| {
        let out = std::process::Command::new(root.join("scripts/mail.sh"))
            .env("MAILKEYS_DEV_STATE", &state)
            .envs(envs.iter().map(|(k, v)| (*k, v.clone())))
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stderr).to_string())
    };
    let (code, says) = run(&[]);
    assert_eq!(code, Some(2), "{says}");
    assert!(says.contains("no running make dev"), "{says}");

    // A make dev that answers, and a port that is taken.
    let app = TestApp::start().await;
    std::fs::write(state.join("env"), format!("export MAILKEYS_URL={}\n", app.base_url)).unwrap();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let (code, says) = run(&[("MAIL_IMAP_PORT", busy.local_addr().unwrap().port().to_string())]);
    assert_eq!(code, Some(2), "{says}");
    assert!(says.contains("already in use"), "{says}");
    let _ = std::fs::remove_dir_all(&state);
}
