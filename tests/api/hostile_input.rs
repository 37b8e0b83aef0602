//! Hostile and malformed requests: each is refused with a clear 4xx in the
//! documented error body, before anything is stored; a stalled dependency is
//! answered 503 within the request deadline.

use std::time::{Duration, Instant};

use mailkeys::aws::REQUEST_DEADLINE;
use mailkeys_tests::{Endpoints, LocalServer, LocalService, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn ses_provider(name: &str) -> Value {
    json!({"name": name, "provider_type": "ses", "region": "eu-west-1",
           "ses_credentials": {"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "hostile-secret-Qz1"}})
}

fn assert_error(res: &mailkeys_tests::Response, status: StatusCode, code: &str) {
    assert_eq!(res.status, status, "{}", res.text);
    assert_eq!(res.json()["error"]["code"], code, "{}", res.text);
    assert!(!res.error_message().is_empty());
}

#[tokio::test]
async fn ids_that_cannot_be_ours_are_not_found_before_any_store_call() {
    let app = TestApp::start().await;
    let long = format!("pc_{}", "a".repeat(2100));
    // The key's first use this minute is recorded now, not in the loop.
    app.admin(Method::GET, "/api/email-providers", None).await;
    // DynamoDB is asked only for the key check (and, on key routes, the
    // rate-limit counter), never for the id.
    for (method, path, calls) in [
        (Method::GET, format!("/api/provider-credentials/{long}"), 1),
        (Method::DELETE, format!("/api/provider-credentials/{long}"), 1),
        (Method::POST, format!("/api/provider-credentials/{long}/test"), 1),
        (Method::GET, "/api/provider-credentials/pc_not-a-ulid".to_string(), 1),
        (Method::GET, "/api/email-providers/99999999999999999999999".to_string(), 1),
        (Method::GET, format!("/api/accounts/acc_{}/provider-credentials", "x".repeat(2100)), 1),
        (Method::DELETE, format!("/api/email/api-keys/key_{}", "z".repeat(300)), 2),
        (Method::DELETE, "/api/smtp-credentials/..%2F..%2Fetc".to_string(), 2),
    ] {
        let before = app.ddb_calls.get();
        let res = app.admin(method.clone(), &path, None).await;
        assert!(res.status == StatusCode::NOT_FOUND, "{method} {:.60}: {}", path, res.text);
        assert_eq!(res.json()["error"]["code"], "NOT_FOUND");
        assert_eq!(app.ddb_calls.get() - before, calls, "{method} {path:.60}");
    }
    let res = app.admin(Method::GET, &format!("/api/audit-events?resource_id={long}"), None).await;
    assert_error(&res, StatusCode::BAD_REQUEST, "BAD_REQUEST");
}

#[tokio::test]
async fn malformed_requests_get_the_error_body() {
    let app = TestApp::start().await;
    // A path that is not UTF-8.
    let res = app.admin(Method::GET, "/api/email-providers/%FF", None).await;
    assert_error(&res, StatusCode::BAD_REQUEST, "BAD_REQUEST");
    assert_eq!(res.error_message(), "The request path is not valid UTF-8");

    // Two Authorization headers are no credential.
    let client = reqwest::Client::new();
    let res = client
        .get(format!("{}/api/email-providers", app.base_url))
        .header("authorization", format!("Bearer {}", app.admin_key))
        .header("authorization", format!("Bearer {}", app.admin_key))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "UNAUTHORIZED");

    // A body must be sent as JSON; nothing is stored otherwise.
    for content_type in [None, Some("text/plain"), Some("application/x-www-form-urlencoded")] {
        let mut req = client
            .post(format!("{}/api/email-providers", app.base_url))
            .bearer_auth(&app.admin_key)
            .body(ses_provider("Form").to_string());
        if let Some(content_type) = content_type {
            req = req.header("content-type", content_type);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type:?}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "UNSUPPORTED_MEDIA_TYPE");
    }
    assert_eq!(app.admin(Method::GET, "/api/email-providers", None).await.json(), json!([]));
    let res = client
        .post(format!("{}/api/email-providers", app.base_url))
        .bearer_auth(&app.admin_key)
        .header("content-type", "application/json; charset=utf-8")
        .body(ses_provider("Charset").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);

    // An optional body is no bytes at all, or JSON: whitespace is neither.
    let res = app.call_raw(Method::POST, "/api/email-providers/1/test", &app.admin_key, " ").await;
    assert_error(&res, StatusCode::BAD_REQUEST, "BAD_REQUEST");
}

#[tokio::test]
async fn names_refuse_invisible_and_direction_changing_characters() {
    let app = TestApp::start().await;
    for trick in ["\u{202E}", "\u{2066}", "\u{200B}", "\u{FEFF}"] {
        let name = format!("Billing{trick}gpj.exe");
        let res = app.admin(Method::POST, "/api/email-providers", Some(&ses_provider(&name))).await;
        assert_error(&res, StatusCode::BAD_REQUEST, "BAD_REQUEST");
        assert_eq!(res.error_message(), "Provider name must not contain invisible or direction-changing characters");
        let res = app.admin(Method::POST, "/api/email/api-keys", Some(&json!({"name": name}))).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST);
        assert_eq!(res.error_message(), "name must not contain invisible or direction-changing characters");
    }
    assert_eq!(app.admin(Method::GET, "/api/email-providers", None).await.json(), json!([]));
}

#[tokio::test]
async fn mailkeys_local_refuses_a_huge_head_in_the_error_body() {
    let app = TestApp::start().await;
    let server = LocalServer::spawn(&app).await;
    let client = reqwest::Client::new();
    let res = client
        .get(format!("{}/api/email-providers?x={}", server.base_url, "a".repeat(20_000)))
        .bearer_auth(&app.admin_key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::URI_TOO_LONG);
    assert_eq!(res.json::<Value>().await.unwrap()["error"]["code"], "URI_TOO_LONG");
    let res = client
        .get(format!("{}/api/email-providers", server.base_url))
        .bearer_auth(&app.admin_key)
        .header("x-padding", "b".repeat(100_000))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    assert_eq!(res.json::<Value>().await.unwrap()["error"]["code"], "HEADERS_TOO_LARGE");
    // A request line over the HTTP library's own limit (64 KiB), and a head
    // over its buffer: the library answers, in the error body all the same.
    // (Sent by hand: HTTP clients refuse to send such a request at all.)
    let address = server.base_url.trim_start_matches("http://").to_string();
    for (head, status, code) in [
        (
            format!("GET /api/{} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "p".repeat(100 * 1024)),
            "414",
            "URI_TOO_LONG",
        ),
        (
            format!(
                "GET /api/email-providers HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Padding: {}\r\n\r\n",
                "c".repeat(4 * 1024 * 1024)
            ),
            "431",
            "HEADERS_TOO_LARGE",
        ),
    ] {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
        // The server may answer (and close) before it has read it all.
        let _ = stream.write_all(head.as_bytes()).await;
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
        let answer = String::from_utf8_lossy(&answer).to_string();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        assert!(head.starts_with(&format!("HTTP/1.1 {status} ")), "{code}: {}", &head[..head.len().min(200)]);
        assert!(head.to_ascii_lowercase().contains("x-content-type-options: nosniff"), "{code}");
        let body: Value = serde_json::from_str(body).unwrap_or(Value::Null);
        assert_eq!(body["error"]["code"], code);
        assert_eq!(body["success"], false);
    }
}

/// Every answer of the API, errors and the console's files alike, tells
/// browsers not to guess its type.
#[tokio::test]
async fn every_answer_says_nosniff() {
    let app = TestApp::start().await;
    for (method, path, key) in [
        (Method::GET, "/health", None),
        (Method::GET, "/api/email-providers", Some(app.admin_key.as_str())),
        (Method::GET, "/api/email-providers", None),
        (Method::GET, "/api/no-such-route", None),
        (Method::DELETE, "/health", None),
    ] {
        let res = app.call(method.clone(), path, key, None).await;
        assert_eq!(
            res.headers.get("x-content-type-options").map(|v| v.to_str().unwrap()),
            Some("nosniff"),
            "{method} {path}"
        );
    }
}

/// The test's own DynamoDB Local, then its own KMS, is frozen (SIGSTOP): it
/// accepts connections and never answers. Requests end within the deadline
/// with 503 and `Retry-After`, in the in-process server and in
/// `mailkeys-local` alike, nothing is half-written, and all is well once it
/// runs again.
#[tokio::test]
async fn a_stalled_dependency_is_answered_503_within_the_deadline() {
    let (dynamodb, kms) = (LocalService::dynamodb_local(), LocalService::moto());
    let endpoints = Endpoints { dynamodb: dynamodb.endpoint.clone(), aws: kms.endpoint.clone() };
    let app = TestApp::start_at(&endpoints, |_| {}).await;
    let local = LocalServer::spawn(&app).await;
    let created = app.admin(Method::POST, "/api/email-providers", Some(&ses_provider("Before"))).await;
    assert_eq!(created.status, StatusCode::CREATED);
    let bound = REQUEST_DEADLINE + Duration::from_secs(2);
    {
        let _frozen = dynamodb.process.freeze();
        let started = Instant::now();
        let health = app.call(Method::GET, "/health", None, None).await;
        assert_eq!(health.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(health.json(), json!({"status": "unavailable", "failing": ["dynamodb"]}));
        assert!(started.elapsed() < Duration::from_secs(3), "the health probe is bounded");
        for base in [&app.base_url, &local.base_url] {
            for (method, path, body) in [
                (Method::GET, "/api/email-providers", None),
                (Method::POST, "/api/email-providers", Some(ses_provider("During"))),
                (Method::PATCH, "/api/email-providers/1", Some(json!({"name": "Renamed"}))),
            ] {
                let started = Instant::now();
                let res = app.call_at(base, method.clone(), path, Some(&app.admin_key), body.as_ref()).await;
                let took = started.elapsed();
                assert_error(&res, StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE");
                assert!(res.headers.contains_key("retry-after"), "{method} {path}");
                assert!(took < bound, "{method} {path} took {took:?}, more than {bound:?}");
            }
        }
    }
    {
        // DynamoDB answers, KMS does not: a secret write is 503 too.
        let _frozen = kms.process.freeze();
        let health = app.call(Method::GET, "/health", None, None).await;
        assert_eq!(health.json(), json!({"status": "unavailable", "failing": ["kms"]}));
        for base in [&app.base_url, &local.base_url] {
            let started = Instant::now();
            let body = ses_provider("During");
            let res = app.call_at(base, Method::POST, "/api/email-providers", Some(&app.admin_key), Some(&body)).await;
            assert_error(&res, StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE");
            assert!(started.elapsed() < bound, "took {:?}", started.elapsed());
        }
    }
    let listed = app.admin(Method::GET, "/api/email-providers", None).await;
    assert_eq!(listed.status, StatusCode::OK);
    let names: Vec<Value> = listed.json().as_array().unwrap().iter().map(|p| p["name"].clone()).collect();
    assert_eq!(names, vec![json!("Before")], "nothing half-written");
}

/// Text a person will see (a project id, the visible ends of a masked
/// username or access key id) holds no C0 or C1 control character: an
/// editor must not be able to send escape sequences to an operator's
/// terminal. Each is a 400 naming the field; nothing is stored.
#[tokio::test]
async fn control_characters_are_refused_in_every_shown_field() {
    let app = TestApp::start().await;
    let escape = "\u{1b}]0;owned\u{7}";
    let c1 = "\u{9b}2J";
    for (path, body, message) in [
        (
            "/api/email-providers".to_string(),
            json!({"name": "TEM", "provider_type": "scaleway", "region": "fr-par",
                   "scaleway_credentials": {"api_key": "scw-key", "project_id": format!("proj{escape}")}}),
            "scaleway_credentials.project_id must not contain control characters",
        ),
        (
            "/api/email-providers".to_string(),
            json!({"name": "SES", "provider_type": "ses", "region": "eu-west-1",
                   "ses_credentials": {"access_key_id": format!("AKIA{c1}EXAMPLE00"), "secret_access_key": "s"}}),
            "ses_credentials.access_key_id must not contain control characters",
        ),
        (
            "/api/email-providers".to_string(),
            json!({"name": "Relay", "provider_type": "smtp", "region": "local",
                   "smtp_credentials": {"host": "smtp.example.com", "port": 587,
                                        "username": format!("a{escape}@example.com"), "password": "pw"}}),
            "smtp_credentials.username must not contain control characters",
        ),
        (
            format!("/api/accounts/{}/provider-credentials", app.account_id),
            json!({"provider_kind": "imap", "host": "imap.example.com", "port": 993, "security_mode": "ssl_tls",
                   "auth_kind": "password", "username": format!("box{c1}@example.com"), "password": "pw"}),
            "username must not contain control characters",
        ),
    ] {
        let res = app.admin(Method::POST, &path, Some(&body)).await;
        assert_error(&res, StatusCode::BAD_REQUEST, "BAD_REQUEST");
        assert_eq!(res.error_message(), message);
        assert!(!res.text.contains('\u{1b}') && !res.text.contains('\u{9b}'), "the value is not echoed");
    }
    let providers = app.admin(Method::GET, "/api/email-providers", None).await.json();
    assert_eq!(providers, json!([]), "nothing was stored");
}

/// A validation error about one request field names it in the error body
/// (`error.field`, as sent), beside the documented message; one about no
/// single field has none.
#[tokio::test]
async fn validation_errors_name_their_field() {
    let app = TestApp::start().await;
    let smtp =
        |block: Value| json!({"name": "Relay", "provider_type": "smtp", "region": "local", "smtp_credentials": block});
    let credentials = format!("/api/accounts/{}/provider-credentials", app.account_id);
    for (path, body, field, message) in [
        (
            "/api/email-providers".to_string(),
            json!({"name": "x"}),
            Some("provider_type"),
            "Missing field `provider_type`",
        ),
        (
            "/api/email-providers".to_string(),
            json!({"name": 7}),
            Some("name"),
            "Invalid value for `name`: expected a string",
        ),
        (
            "/api/email-providers".to_string(),
            smtp(json!({"host": "h.example.com"})),
            Some("smtp_credentials.port"),
            "smtp_credentials.port is required",
        ),
        (
            "/api/email-providers".to_string(),
            smtp(json!({"host": "h.example.com", "port": 0})),
            Some("smtp_credentials.port"),
            "smtp_credentials.port must be greater than 0",
        ),
        (
            "/api/email-providers".to_string(),
            json!({"name": " ", "provider_type": "ses", "region": "eu-west-1"}),
            Some("name"),
            "Provider name cannot be empty",
        ),
        (
            "/api/email-providers".to_string(),
            json!({"name": "n", "provider_type": "ses", "region": "eu west"}),
            Some("region"),
            "Region must be at most 64 letters, digits, '-' or '_'",
        ),
        (
            "/api/email-providers".to_string(),
            json!({"name": "n", "provider_type": "ses", "region": "r",
            "ses_credentials": {"access_key_id": "A", "secret_access_key": "s"}, "smtp_credentials": {"host": "h", "port": 1}}),
            None,
            "Only one credential block (ses/scaleway/smtp) may be supplied",
        ),
        (
            "/api/email/api-keys".to_string(),
            json!({"name": "k", "permissions": ["fly"]}),
            Some("permissions"),
            "permissions may only contain: ",
        ),
        (
            credentials,
            json!({"provider_kind": "imap", "host": "imap.example.com", "port": 993, "security_mode": "none",
            "auth_kind": "password", "username": "u", "password": "p"}),
            Some("security_mode"),
            "security_mode none would send credentials in clear; use ssl_tls or starttls",
        ),
    ] {
        let res = app.admin(Method::POST, &path, Some(&body)).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{body}");
        let error = &res.json()["error"];
        assert!(error["message"].as_str().unwrap().starts_with(message), "{body}: {}", error["message"]);
        assert_eq!(error["field"].as_str(), field, "{body}");
    }
    let res = app.admin(Method::GET, "/api/audit-events?since=yesterday", None).await;
    assert_eq!(res.json()["error"]["field"], "since");
}
