//! Rotation with an overlap, who still uses a key, and keys bound to
//! networks (docs/api/api-keys.md and docs/api/smtp-credentials.md, "Key
//! controls").

use std::net::IpAddr;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use mailkeys::domain::secret::ExposeSecret;
use mailkeys_tests::servers::MailLoginServer;
use mailkeys_tests::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const KEYS: &str = "/api/email/api-keys";
const SMTP: &str = "/api/smtp-credentials";

/// A request from the loopback address `from` (127.0.0.N): another client
/// than the test's own 127.0.0.1.
async fn call_from(
    app: &TestApp,
    from: &str,
    method: Method,
    path: &str,
    key: &str,
    body: Option<&Value>,
) -> (StatusCode, Value) {
    let client = reqwest::Client::builder().local_address(from.parse::<IpAddr>().unwrap()).build().unwrap();
    let mut req = client.request(method, format!("{}{path}", app.base_url)).bearer_auth(key);
    if let Some(body) = body {
        req = req.json(body);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn email_key(app: &TestApp, body: Value) -> Value {
    let res = app.admin(Method::POST, KEYS, Some(&body)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.json()["data"].clone()
}

async fn smtp_credential(app: &TestApp, body: Value) -> Value {
    let res = app.admin(Method::POST, SMTP, Some(&body)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.json()
}

async fn listed_email_keys(app: &TestApp) -> Vec<Value> {
    app.admin(Method::GET, KEYS, None).await.json()["data"]["keys"].as_array().unwrap().clone()
}

async fn listed_smtp_keys(app: &TestApp) -> Vec<Value> {
    app.admin(Method::GET, SMTP, None).await.json()["keys"].as_array().unwrap().clone()
}

fn find<'a>(keys: &'a [Value], id: &Value) -> Option<&'a Value> {
    keys.iter().find(|k| k["id"] == *id)
}

async fn status_of(app: &TestApp, key: &str) -> StatusCode {
    app.call(Method::GET, "/api/whoami", Some(key), None).await.status
}

/// Waits until `at` (RFC 3339) has passed by a second.
async fn sleep_past(at: &Value) {
    let at = time::OffsetDateTime::parse(at.as_str().unwrap(), &time::format_description::well_known::Rfc3339).unwrap();
    let left = at - time::OffsetDateTime::now_utc() + time::Duration::seconds(1);
    if left.is_positive() {
        tokio::time::sleep(Duration::from_millis(left.whole_milliseconds() as u64)).await;
    }
}

/// Moves a key's recorded last use back by two minutes, as if that much
/// time had passed (the use is written at most once a minute).
async fn age_last_use(app: &TestApp, key_id: &str) {
    let items = app.all_items().await;
    let auth = items
        .iter()
        .find(|i| {
            i.get("entity").and_then(|v| v.as_s().ok()).map(String::as_str) == Some("key_hash")
                && i.get("key_id").and_then(|v| v.as_s().ok()).map(String::as_str) == Some(key_id)
        })
        .expect("the key's auth item");
    let earlier = (time::OffsetDateTime::now_utc() - time::Duration::minutes(2))
        .replace_nanosecond(0)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    app.ddb()
        .update_item()
        .table_name(&app.tables().main)
        .key("pk", auth["pk"].clone())
        .key("sk", auth["sk"].clone())
        .update_expression("SET last_used_at = :t")
        .expression_attribute_values(":t", AttributeValue::S(earlier))
        .send()
        .await
        .unwrap();
}

async fn service_key(app: &TestApp) -> String {
    let (_, key) = app.state.accounts.create_service_key("mail servers").await.unwrap();
    key.plaintext.expose_secret().to_string()
}

async fn verify(app: &TestApp, caller: &str, presented: &str, source_ip: Option<&str>) -> Value {
    let mut body = json!({"apiKey": presented, "protocol": "imap"});
    if let Some(ip) = source_ip {
        body["sourceIp"] = json!(ip);
    }
    let res = app.call(Method::POST, "/api/internal/verify-key", Some(caller), Some(&body)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.json()
}

// The in-process server answers the adapter while a mail client blocks a thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_smtp_credential_rotated_with_an_overlap_logs_in_with_both_until_the_deadline() {
    let app = TestApp::start().await;
    let mail = MailLoginServer::start(&app.base_url, &service_key(&app).await);
    let user = app.account_id.to_string();
    let old = smtp_credential(&app, json!({"name": "Thunderbird", "scopes": ["imap", "smtp"]})).await;
    let old_key = old["apiKey"].as_str().unwrap();
    assert!(mail.login("imap", &user, old_key, None).starts_with("ok"));

    let res = app
        .admin(
            Method::POST,
            &format!("{SMTP}/{}/rotate", old["id"].as_str().unwrap()),
            Some(&json!({"keepOldForSeconds": 3})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let new = res.json();
    let new_key = new["apiKey"].as_str().unwrap();
    assert_eq!((new["name"].clone(), new["scopes"].clone()), (json!("Thunderbird"), json!(["smtp", "imap"])));
    assert_eq!(new["replaces"], old["id"]);

    // Both log in during the overlap, and both are listed, the old one
    // saying when it stops and what replaces it.
    for key in [old_key, new_key] {
        let answer = mail.login("imap", &user, key, None);
        assert!(answer.starts_with("ok"), "{answer}\n{}", mail.log());
    }
    let listed = listed_smtp_keys(&app).await;
    let old_listed = find(&listed, &old["id"]).expect("the old key is listed in its overlap");
    assert_eq!(old_listed["replacedBy"], new["id"]);
    assert_eq!(old_listed["expiresAt"], new["oldKeyExpiresAt"]);
    assert_eq!(old_listed["lastUsedFor"], "imap");
    assert_eq!(find(&listed, &new["id"]).unwrap()["expiresAt"], Value::Null);
    // A rotated key is not rotated again.
    let again = app.admin(Method::POST, &format!("{SMTP}/{}/rotate", old["id"].as_str().unwrap()), None).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);

    // The trail records the deadline; the overlap's end is not a write.
    let trail = app.trail(old["id"].as_str().unwrap()).await;
    let rotated = trail.iter().find(|e| e["event_type"] == "API_KEY_ROTATED").expect("a rotation record");
    assert_eq!(rotated["old_key_expires_at"], new["oldKeyExpiresAt"]);
    assert_eq!(rotated["related_resource_id"], new["id"]);

    sleep_past(&new["oldKeyExpiresAt"]).await;
    assert!(mail.login("imap", &user, old_key, None).starts_with("refused"), "the old key stops by time");
    assert!(mail.login("imap", &user, new_key, None).starts_with("ok"));
    assert!(find(&listed_smtp_keys(&app).await, &old["id"]).is_none(), "no longer listed");
    let after = app.trail(old["id"].as_str().unwrap()).await;
    assert_eq!(after.len(), trail.len(), "the overlap's end wrote nothing");
}

#[tokio::test]
async fn an_api_key_rotated_with_an_overlap_answers_until_the_deadline_and_keeps_its_properties() {
    let app = TestApp::start().await;
    let old = email_key(
        &app,
        json!({"name": "Worker", "permissions": ["send", "EmailProvidersRead"], "expiresIn": 30,
               "allowedCidrs": ["127.0.0.0/8", "2001:db8::/32"]}),
    )
    .await;
    let old_key = old["key"].as_str().unwrap();
    let path = format!("{KEYS}/{}/rotate", old["id"].as_str().unwrap());
    let res = app.admin(Method::POST, &path, Some(&json!({"keepOldForSeconds": 3}))).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let body = res.json();
    assert_eq!(body["message"], "API key rotated successfully");
    let new = &body["data"];
    let new_key = new["key"].as_str().unwrap();
    assert!(new_key.starts_with("pk_test_") && new_key != old_key);
    for field in ["name", "permissions", "prefix", "expiresAt", "allowedCidrs"] {
        assert_eq!(new[field], old[field], "{field} carries over");
    }
    assert_eq!(new["replaces"], old["id"]);

    for key in [old_key, new_key] {
        let res = app.call(Method::GET, "/api/email-providers", Some(key), None).await;
        assert_eq!(res.status, StatusCode::OK, "both keys work in the overlap: {}", res.text);
    }
    let listed = listed_email_keys(&app).await;
    let old_listed = find(&listed, &old["id"]).unwrap();
    assert_eq!(
        (old_listed["replacedBy"].clone(), old_listed["expiresAt"].clone()),
        (new["id"].clone(), new["oldKeyExpiresAt"].clone())
    );
    assert_eq!(find(&listed, &new["id"]).unwrap()["expiresAt"], old["expiresAt"]);
    assert_eq!(app.admin(Method::POST, &path, None).await.status, StatusCode::CONFLICT);

    sleep_past(&new["oldKeyExpiresAt"]).await;
    assert_eq!(status_of(&app, old_key).await, StatusCode::UNAUTHORIZED, "refused by time, no job needed");
    assert_eq!(status_of(&app, new_key).await, StatusCode::OK);
    let conflict = app.admin(Method::POST, &path, None).await;
    assert_eq!(conflict.status, StatusCode::CONFLICT, "a rotated key past its overlap: {}", conflict.text);

    // Without a body: the old key stops at once.
    let res = app.admin(Method::POST, &format!("{KEYS}/{}/rotate", new["id"].as_str().unwrap()), None).await;
    assert_eq!(res.status, StatusCode::CREATED);
    assert_eq!(status_of(&app, new_key).await, StatusCode::UNAUTHORIZED);
    let newest = res.json()["data"].clone();
    assert_eq!(status_of(&app, newest["key"].as_str().unwrap()).await, StatusCode::OK);

    // Revoking a key in its overlap ends the overlap at once.
    let res = app
        .admin(
            Method::POST,
            &format!("{KEYS}/{}/rotate", newest["id"].as_str().unwrap()),
            Some(&json!({"keepOldForSeconds": 600})),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED);
    let revoke = app.admin(Method::DELETE, &format!("{KEYS}/{}", newest["id"].as_str().unwrap()), None).await;
    assert_eq!(revoke.status, StatusCode::OK, "{}", revoke.text);
    assert_eq!(status_of(&app, newest["key"].as_str().unwrap()).await, StatusCode::UNAUTHORIZED);
    assert_eq!(status_of(&app, res.json()["data"]["key"].as_str().unwrap()).await, StatusCode::OK);
}

#[tokio::test]
async fn rotating_the_last_admin_key_keeps_the_account_manageable() {
    let app = TestApp::start().await;
    let admin_id = app.call(Method::GET, "/api/whoami", Some(&app.admin_key), None).await.json()["key_id"].clone();
    let res = app
        .admin(
            Method::POST,
            &format!("{KEYS}/{}/rotate", admin_id.as_str().unwrap()),
            Some(&json!({"keepOldForSeconds": 600})),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let new = res.json()["data"].clone();
    let new_key = new["key"].as_str().unwrap();
    assert_eq!(new["permissions"], json!(["admin"]));
    // The new key manages the account; the old one still does meanwhile.
    for key in [app.admin_key.as_str(), new_key] {
        assert_eq!(app.call(Method::GET, KEYS, Some(key), None).await.status, StatusCode::OK);
    }
    // The key on its way out keeps nothing alive: the new one is the last.
    let res = app.call(Method::DELETE, &format!("{KEYS}/{}", new["id"].as_str().unwrap()), Some(new_key), None).await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.text);
    // Revoking the old one ends its overlap; the new one manages on.
    let res = app.call(Method::DELETE, &format!("{KEYS}/{}", admin_id.as_str().unwrap()), Some(new_key), None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(app.call(Method::GET, KEYS, Some(new_key), None).await.status, StatusCode::OK);
    assert_eq!(status_of(&app, &app.admin_key).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn last_use_moves_with_the_address_and_the_route() {
    let app = TestApp::start().await;
    let created = email_key(&app, json!({"name": "Reader", "permissions": ["EmailProvidersRead"]})).await;
    let key = created["key"].as_str().unwrap();
    let fresh = find(&listed_email_keys(&app).await, &created["id"]).unwrap().clone();
    for field in ["lastUsedAt", "lastUsedFrom", "lastUsedFor"] {
        assert_eq!(fresh[field], Value::Null, "{field} before the first use");
    }

    assert_eq!(call_from(&app, "127.0.0.1", Method::GET, "/api/whoami", key, None).await.0, StatusCode::OK);
    let first = find(&listed_email_keys(&app).await, &created["id"]).unwrap().clone();
    assert_eq!((first["lastUsedFrom"].clone(), first["lastUsedFor"].clone()), (json!("127.0.0.1"), json!("whoami")));

    // Within the minute another use writes nothing.
    call_from(&app, "127.0.0.3", Method::GET, "/api/email-providers", key, None).await;
    let same = find(&listed_email_keys(&app).await, &created["id"]).unwrap().clone();
    assert_eq!(same["lastUsedFrom"], "127.0.0.1");

    age_last_use(&app, created["id"].as_str().unwrap()).await;
    assert_eq!(call_from(&app, "127.0.0.2", Method::GET, "/api/email-providers", key, None).await.0, StatusCode::OK);
    let moved = find(&listed_email_keys(&app).await, &created["id"]).unwrap().clone();
    assert_eq!(
        (moved["lastUsedFrom"].clone(), moved["lastUsedFor"].clone()),
        (json!("127.0.0.2"), json!("email-providers-list"))
    );

    // A mail login records the client the mail server named and the
    // protocol; the mail server's own key records its route.
    let servers = service_key(&app).await;
    let smtp = smtp_credential(&app, json!({"name": "Phone", "scopes": ["imap"]})).await;
    assert_eq!(verify(&app, &servers, smtp["apiKey"].as_str().unwrap(), Some("198.51.100.7")).await["valid"], true);
    let listed = find(&listed_smtp_keys(&app).await, &smtp["id"]).unwrap().clone();
    assert_eq!((listed["lastUsedFrom"].clone(), listed["lastUsedFor"].clone()), (json!("198.51.100.7"), json!("imap")));
    let service_keys = app.state.accounts.list_service_keys().await.unwrap();
    let used = service_keys[0].last_use.clone().expect("the service key's use");
    assert_eq!(
        (used.from.map(|ip| ip.to_string()), used.used_for),
        (Some("127.0.0.1".into()), Some("verify-key".into()))
    );
}

#[tokio::test]
async fn a_key_bound_to_networks_is_refused_from_elsewhere() {
    let app = TestApp::start().await;
    let elsewhere = email_key(
        &app,
        json!({"name": "Office", "permissions": ["EmailProvidersRead"], "allowedCidrs": ["192.0.2.0/24"]}),
    )
    .await;
    assert_eq!(elsewhere["allowedCidrs"], json!(["192.0.2.0/24"]));
    let (status, body) =
        call_from(&app, "127.0.0.1", Method::GET, "/api/email-providers", elsewhere["key"].as_str().unwrap(), None)
            .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        (body["error"]["code"].clone(), body["error"]["message"].clone()),
        (json!("FORBIDDEN"), json!("Key not allowed from this address"))
    );
    assert_eq!(
        find(&listed_email_keys(&app).await, &elsewhere["id"]).unwrap()["lastUsedAt"],
        Value::Null,
        "a refused use is no use"
    );

    let second = email_key(
        &app,
        json!({"name": "Runner", "permissions": ["EmailProvidersRead"], "allowedCidrs": ["127.0.0.2"]}),
    )
    .await;
    assert_eq!(second["allowedCidrs"], json!(["127.0.0.2/32"]), "normalised");
    let key = second["key"].as_str().unwrap();
    assert_eq!(call_from(&app, "127.0.0.2", Method::GET, "/api/email-providers", key, None).await.0, StatusCode::OK);
    assert_eq!(
        call_from(&app, "127.0.0.1", Method::GET, "/api/email-providers", key, None).await.0,
        StatusCode::FORBIDDEN
    );
    // `[]` is anywhere again.
    let res = app
        .admin(Method::PATCH, &format!("{KEYS}/{}", second["id"].as_str().unwrap()), Some(&json!({"allowedCidrs": []})))
        .await;
    assert_eq!((res.status, res.json()["data"]["allowedCidrs"].clone()), (StatusCode::OK, json!([])));
    assert_eq!(call_from(&app, "127.0.0.1", Method::GET, "/api/email-providers", key, None).await.0, StatusCode::OK);

    // A key cannot shut itself out; from inside the new networks it may.
    let admin_id = app.call(Method::GET, "/api/whoami", Some(&app.admin_key), None).await.json()["key_id"].clone();
    let own = format!("{KEYS}/{}", admin_id.as_str().unwrap());
    let res = app.admin(Method::PATCH, &own, Some(&json!({"allowedCidrs": ["192.0.2.0/24"]}))).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text);
    assert_eq!(res.json()["error"]["field"], "allowedCidrs");
    assert_eq!(status_of(&app, &app.admin_key).await, StatusCode::OK, "nothing changed");
    let res = app.admin(Method::PATCH, &own, Some(&json!({"allowedCidrs": ["127.0.0.0/8"]}))).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(call_from(&app, "127.0.0.9", Method::GET, KEYS, &app.admin_key, None).await.0, StatusCode::OK);

    // Mail logins: valid only for a client the mail server names inside the networks.
    let servers = service_key(&app).await;
    let smtp =
        smtp_credential(&app, json!({"name": "Printer", "scopes": ["imap"], "allowedCidrs": ["192.0.2.0/24"]})).await;
    let presented = smtp["apiKey"].as_str().unwrap();
    assert_eq!(verify(&app, &servers, presented, Some("198.51.100.7")).await["valid"], false);
    assert_eq!(verify(&app, &servers, presented, None).await["valid"], false, "no client named");
    assert_eq!(verify(&app, &servers, presented, Some("192.0.2.55")).await["valid"], true);
    let patch = format!("{SMTP}/{}", smtp["id"].as_str().unwrap());
    let res = app
        .admin(Method::PATCH, &patch, Some(&json!({"name": "Printer (moved)", "allowedCidrs": ["198.51.100.0/24"]})))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(
        (res.json()["name"].clone(), res.json()["allowedCidrs"].clone()),
        (json!("Printer (moved)"), json!(["198.51.100.0/24"]))
    );
    assert_eq!(verify(&app, &servers, presented, Some("198.51.100.7")).await["valid"], true);
    let trail = app.trail(smtp["id"].as_str().unwrap()).await;
    let updated = trail.iter().find(|e| e["event_type"] == "API_KEY_UPDATED").unwrap();
    assert_eq!(updated["changed_fields"], json!(["name", "allowed_cidrs"]));

    // Rotation carries the allow-list over.
    let res = app.admin(Method::POST, &format!("{patch}/rotate"), None).await;
    assert_eq!(res.json()["allowedCidrs"], json!(["198.51.100.0/24"]));
    let rotated = res.json()["apiKey"].as_str().unwrap().to_string();
    assert_eq!(verify(&app, &servers, &rotated, Some("192.0.2.55")).await["valid"], false);
}

#[tokio::test]
async fn bad_overlaps_and_allow_lists_are_refused_naming_the_entry() {
    let app = TestApp::start().await;
    let smtp = smtp_credential(&app, json!({"name": "Client", "scopes": ["imap"]})).await;
    let email = email_key(&app, json!({"name": "Worker"})).await;
    let rotations = [
        format!("{SMTP}/{}/rotate", smtp["id"].as_str().unwrap()),
        format!("{KEYS}/{}/rotate", email["id"].as_str().unwrap()),
    ];
    for path in &rotations {
        for bad in [json!(-1), json!(1.5), json!(604801), json!("60")] {
            let res = app.admin(Method::POST, path, Some(&json!({"keepOldForSeconds": bad}))).await;
            assert_eq!(res.status, StatusCode::BAD_REQUEST, "{path} {bad}: {}", res.text);
            assert_eq!(res.json()["error"]["field"], "keepOldForSeconds", "{}", res.text);
        }
        let res = app.admin(Method::POST, path, Some(&json!({"keepOld": 5}))).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST);
    }
    // Nothing was rotated by a refused request.
    assert_eq!(listed_smtp_keys(&app).await.iter().filter(|k| k["name"] == "Client").count(), 1);
    assert!(listed_smtp_keys(&app).await.iter().all(|k| k["replacedBy"].is_null()));

    let many: Vec<String> = (0..21).map(|i| format!("10.{i}.0.0/16")).collect();
    let cases = [
        (json!(["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "10.1.2.3/8"]), "allowedCidrs[3]"),
        (json!(["10.0.0.0/33"]), "allowedCidrs[0]"),
        (json!(["2001:db8::/129"]), "allowedCidrs[0]"),
        (json!(["10.0.0.0/8", "internal.example.com/8"]), "allowedCidrs[1]"),
        (json!(["10.0.0.0/8", "10.0.0.0/8"]), "allowedCidrs[1]"),
        (json!(many), "allowedCidrs"),
        (json!("10.0.0.0/8"), "allowedCidrs"),
        (json!([10]), "allowedCidrs[0]"),
    ];
    let smtp_patch = format!("{SMTP}/{}", smtp["id"].as_str().unwrap());
    let email_patch = format!("{KEYS}/{}", email["id"].as_str().unwrap());
    // Creates are limited to 10 a minute: two of the cases there, all of
    // them on the changes.
    for (i, (cidrs, field)) in cases.into_iter().enumerate() {
        let mut attempts = vec![
            (Method::PATCH, email_patch.clone(), json!({"allowedCidrs": cidrs})),
            (Method::PATCH, smtp_patch.clone(), json!({"allowedCidrs": cidrs})),
        ];
        if i == 0 || i == 6 {
            attempts.push((Method::POST, KEYS.to_string(), json!({"name": "k", "allowedCidrs": cidrs})));
            attempts.push((
                Method::POST,
                SMTP.to_string(),
                json!({"name": "k", "scopes": ["imap"], "allowedCidrs": cidrs}),
            ));
        }
        for (method, path, body) in attempts {
            let res = app.admin(method.clone(), &path, Some(&body)).await;
            assert_eq!(res.status, StatusCode::BAD_REQUEST, "{method} {path} {cidrs}: {}", res.text);
            assert_eq!(res.json()["error"]["field"], field, "{}", res.text);
            assert!(!res.text.contains("internal.example") && !res.text.contains("10.1.2.3"), "{}", res.text);
        }
    }
    assert_eq!(find(&listed_email_keys(&app).await, &email["id"]).unwrap()["allowedCidrs"], json!([]));
    // An SMTP credential's scopes are fixed: PATCH changes name and networks only.
    let res = app.admin(Method::PATCH, &smtp_patch, Some(&json!({"scopes": ["smtp"]}))).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text);
}

#[tokio::test]
async fn an_app_key_cannot_rebind_the_mail_servers_key() {
    let app = TestApp::start().await;
    let internal = smtp_credential(&app, json!({"name": "Mail servers", "scopes": ["internal"]})).await;
    let app_key = app.key_with(&[mailkeys::domain::permission::Permission::App]).await;
    let path = format!("{SMTP}/{}", internal["id"].as_str().unwrap());
    let res = app.call(Method::PATCH, &path, Some(&app_key), Some(&json!({"allowedCidrs": ["192.0.2.0/24"]}))).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.text);
    assert_eq!(res.error_message(), "A key cannot change a key holding permissions that it does not hold");
    let listed = find(&listed_smtp_keys(&app).await, &internal["id"]).unwrap().clone();
    assert_eq!(listed["allowedCidrs"], json!([]), "unchanged");
}
