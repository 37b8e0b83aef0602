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
