//! `mailkeys`, the built binary, against a test server: every command, its
//! secret from stdin, both output formats, and its exit statuses. No key
//! and no secret is ever an argument: keys go in the environment, a file
//! or a profile, secrets on stdin.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use mailkeys_tests::{tool_binary, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

const SES_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const SMTP_PASSWORD: &str = "cli-smtp-password";

/// `mailkeys` for one test: its server, its key, its own config directory.
struct Cli {
    url: String,
    key: Option<String>,
    config_home: PathBuf,
}

struct Run {
    status: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|_| panic!("stdout is not JSON (stderr: {})", self.stderr))
    }

    /// Neither stream holds `secret` (compared, never printed).
    fn never_shows(&self, secret: &str) {
        assert!(!self.stdout.contains(secret) && !self.stderr.contains(secret), "a secret was printed");
    }
}

impl Cli {
    fn new(app: &TestApp) -> Cli {
        let config_home = std::env::temp_dir().join(format!("mailkeys-cli-{}", ulid::Ulid::new()));
        Cli { url: app.base_url.clone(), key: Some(app.admin_key.clone()), config_home }
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> Run {
        let mut command = Command::new(tool_binary("mailkeys"));
        command
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &self.config_home)
            .env("XDG_CONFIG_HOME", &self.config_home)
            .env("MAILKEYS_URL", &self.url)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(key) = &self.key {
            command.env("MAILKEYS_API_KEY", key);
        }
        let mut child = command.spawn().expect("run mailkeys");
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).unwrap();
        }
        drop(input);
        let Output { status, stdout, stderr } = child.wait_with_output().unwrap();
        Run {
            status: status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        }
    }

    /// Runs and expects exit status 0.
    fn ok(&self, args: &[&str], stdin: Option<&str>) -> Run {
        let run = self.run(args, stdin);
        assert_eq!(run.status, 0, "mailkeys {} failed: {}", args.first().unwrap_or(&""), run.stderr);
        run
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)] // the server runs while the CLI blocks a thread
async fn providers_every_command_with_the_secret_from_stdin() {
    let app = TestApp::start().await;
    let cli = Cli::new(&app);

    // Create: the secret as one line on stdin.
    let created = cli.ok(
        &[
            "--json",
            "providers",
            "create",
            "--name",
            "CLI SES",
            "--type",
            "ses",
            "--region",
            "eu-west-1",
            "--access-key-id",
            "AKIAIOSFODNN7EXAMPLE",
            "--secret-stdin",
        ],
        Some(&format!("{SES_SECRET}\n")),
    );
    created.never_shows(SES_SECRET);
    let ses = created.json();
    assert_eq!(ses["credentials"]["secret_access_key"], "***");
    let id = ses["id"].to_string();
    // ... or the whole credential block as JSON.
    let block = json!({"host": "127.0.0.1", "port": 9, "username": "relay@example.com", "password": SMTP_PASSWORD});
    let smtp = cli
        .ok(
            &[
                "--json",
                "providers",
                "create",
                "--name",
                "CLI relay",
                "--type",
                "smtp",
                "--region",
                "eu-west-1",
                "--secret-stdin",
            ],
            Some(&block.to_string()),
        )
        .json();
    assert_eq!(smtp["credentials"]["host"], "127.0.0.1");
    let smtp_id = smtp["id"].to_string();

    // List in both formats: --json is the API's answer unchanged.
    let table = cli.ok(&["providers", "list"], None);
    assert!(table.stdout.contains("CLI SES") && table.stdout.contains("NAME") && table.stdout.contains("ses"));
    let listed = cli.ok(&["--json", "providers", "list"], None);
    let api = app.admin(Method::GET, "/api/email-providers", None).await;
    assert_eq!(listed.stdout.trim(), api.text.trim(), "--json prints the API's JSON unchanged");
    // A page: the next one is named by the answer's Link header.
    let first = cli.ok(&["providers", "list", "--limit", "1"], None);
    assert!(first.stdout.contains("More: --cursor "), "{}", first.stdout);
    let cursor = first.stdout.split("More: --cursor ").nth(1).unwrap().trim().to_string();
    let second = cli.ok(&["providers", "list", "--limit", "1", "--cursor", &cursor], None);
    assert!(second.stdout.contains("CLI relay") && !second.stdout.contains("CLI SES"), "{}", second.stdout);
    assert!(cli.ok(&["providers", "get", &id], None).stdout.contains("AKIA...MPLE"));

    // Update sends only what was given: a rename leaves the blob alone.
    cli.ok(&["providers", "update", &id, "--name", "CLI SES (EU)"], None);
    let events = app
        .admin(Method::GET, &format!("/api/audit-events?resource_id={id}&event_type=EMAIL_PROVIDER_UPDATED"), None)
        .await
        .json();
    assert_eq!(events["events"][0]["changed_fields"], json!(["name"]));
    // A new SMTP destination with its password from stdin.
    let moved = cli
        .ok(&["--json", "providers", "update", &smtp_id, "--port", "10", "--secret-stdin"], Some(SMTP_PASSWORD))
        .json();
    assert_eq!(
        (moved["credentials"]["host"].clone(), moved["credentials"]["port"].clone()),
        (json!("127.0.0.1"), json!(10))
    );
    // Without it the server's rule answers, as the API's code and message.
    let refused = cli.run(&["providers", "update", &smtp_id, "--port", "11"], None);
    assert_eq!(refused.status, 1);
    assert!(
        refused.stderr.contains("BAD_REQUEST") && refused.stderr.contains("password is required"),
        "{}",
        refused.stderr
    );

    let tested = cli.ok(&["--json", "providers", "test", &smtp_id], None).json();
    assert_eq!((tested["status"].clone(), tested["stage"].clone()), (json!("failed"), json!("connect")));
    assert!(cli.ok(&["providers", "test", &smtp_id], None).stdout.contains("connect"));

    cli.ok(&["providers", "delete", &smtp_id], None);
    let gone = cli.run(&["providers", "get", &smtp_id], None);
    assert_eq!(gone.status, 1, "404 is an API error");
    assert!(gone.stderr.contains("NOT_FOUND: Provider not found"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)] // the server runs while the CLI blocks a thread
async fn provider_credentials_every_command() {
    let app = TestApp::start().await;
    let cli = Cli::new(&app);
    let created = cli
        .ok(
            &[
                "--json",
                "credentials",
                "create",
                "--kind",
                "imap",
                "--host",
                "imap.example.com",
                "--port",
                "993",
                "--security-mode",
                "ssl_tls",
                "--username",
                "user@example.com",
                "--secret-stdin",
            ],
            Some("app-password\n"),
        )
        .json();
    assert_eq!(created["account_id"], app.account_id.as_str(), "--account defaults to the key's account");
    let id = created["id"].as_str().unwrap().to_string();
    assert!(cli.ok(&["credentials", "list"], None).stdout.contains("imap.example.com"));
    let found =
        cli.ok(&["--json", "credentials", "search", "--host", "imap.example.com", "--kind", "imap"], None).json();
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    let none = cli.ok(&["--json", "credentials", "search", "--host", "nowhere.example.com"], None).json();
    assert_eq!(none["items"], json!([]));
    assert!(cli.ok(&["credentials", "get", &id], None).stdout.contains("u***@example.com"));
    cli.ok(&["credentials", "update", &id, "--kind", "smtp"], None);
    let moved = cli
        .ok(&["--json", "credentials", "update", &id, "--port", "465", "--secret-stdin"], Some("app-password"))
        .json();
    assert_eq!(moved["port"], 465);
    let rotated = cli.ok(&["--json", "credentials", "rotate", &id, "--secret-stdin"], Some("new-app-password")).json();
    assert_eq!(rotated["id"], id.as_str());
    let tested = cli.ok(&["--json", "credentials", "test", &id], None).json();
    assert_eq!(tested["status"], "failed", "imap.example.com:465 is no server of ours");
    cli.ok(&["credentials", "delete", &id], None);
    assert_eq!(cli.run(&["credentials", "get", &id], None).status, 1);
    // With no secret on stdin and no terminal to ask on: a usage error.
    let no_secret = cli.run(
        &[
            "credentials",
            "create",
            "--kind",
            "imap",
            "--host",
            "imap.example.com",
            "--port",
            "993",
            "--security-mode",
            "ssl_tls",
            "--username",
            "u@example.com",
        ],
        None,
    );
    assert_eq!(no_secret.status, 2);
    assert!(no_secret.stderr.contains("--secret-stdin"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)] // the server runs while the CLI blocks a thread
async fn keys_are_printed_once_with_the_apis_warning() {
    let app = TestApp::start().await;
    let cli = Cli::new(&app);
    let created = cli
        .ok(&["api-keys", "create", "--name", "CI deploys", "--permissions", "send,read", "--expires-in", "30"], None);
    let key = created.stdout.trim().to_string();
    assert!(key.starts_with("pk_test_") && !key.contains(' '), "stdout holds the key alone");
    assert!(created.stderr.contains("only returned once upon creation"), "the warning on stderr");
    let me = app.call(Method::GET, "/api/whoami", Some(&key), None).await.json();
    assert_eq!(me["permissions"], json!(["send", "read"]));
    let id = me["key_id"].as_str().unwrap().to_string();

    let table = cli.ok(&["api-keys", "list"], None);
    assert!(table.stdout.contains("CI deploys") && table.stdout.contains("pk_test_..."));
    table.never_shows(&key);
    let listed = cli.ok(&["--json", "api-keys", "list"], None).json();
    assert_eq!(listed["data"]["keys"].as_array().unwrap().len(), 2);
    let updated = cli.ok(&["--json", "api-keys", "update", &id, "--permissions", "send,read,webhooks"], None).json();
    assert_eq!(updated["data"]["permissions"], json!(["send", "read", "webhooks"]));
    cli.ok(&["api-keys", "revoke", &id], None);
    assert_eq!(app.call(Method::GET, "/api/whoami", Some(&key), None).await.status, 401);

    // SMTP credentials: info, create, list, rotate, revoke, mobile.
    let info = cli.ok(&["smtp-credentials", "info"], None).stdout;
    assert!(info.contains("smtp.example.com"));
    assert!(info.contains(&format!("Log in with: user name {}", app.account_id)), "{info}");
    let first = cli.ok(&["smtp-credentials", "create", "--name", "Thunderbird", "--scopes", "smtp,imap"], None);
    let first_key = first.stdout.trim().to_string();
    assert!(first_key.starts_with("rm_") && first.stderr.contains("will not be able to view it again"));
    let smtp_id = app.call(Method::GET, "/api/whoami", Some(&first_key), None).await.json()["key_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(cli.ok(&["smtp-credentials", "list"], None).stdout.contains("Thunderbird"));
    let rotated = cli.ok(&["--json", "smtp-credentials", "rotate", &smtp_id], None).json();
    let second_key = rotated["apiKey"].as_str().unwrap().to_string();
    assert_ne!(second_key, first_key);
    assert_eq!(app.call(Method::GET, "/api/whoami", Some(&first_key), None).await.status, 401);
    cli.ok(&["smtp-credentials", "revoke", rotated["id"].as_str().unwrap()], None);
    let mobile =
        cli.ok(&["smtp-credentials", "mobile", "--name", "iPhone", "--platform", "ios", "--device-id", "dev-1"], None);
    assert!(mobile.stdout.trim().starts_with("rm_"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)] // the server runs while the CLI blocks a thread
async fn rotation_with_an_overlap_and_networks_from_the_terminal() {
    let app = TestApp::start().await;
    let cli = Cli::new(&app);
    let created =
        cli.ok(&["api-keys", "create", "--name", "Batch", "--allow", "127.0.0.0/8", "--allow", "2001:db8::/32"], None);
    let old_key = created.stdout.trim().to_string();
    let id =
        app.call(Method::GET, "/api/whoami", Some(&old_key), None).await.json()["key_id"].as_str().unwrap().to_string();
    let rotated = cli.ok(&["api-keys", "rotate", &id, "--keep-old", "24h"], None);
    let new_key = rotated.stdout.trim().to_string();
    assert!(new_key.starts_with("pk_test_") && new_key != old_key);
    assert!(rotated.stderr.contains(&format!("The old key {id} keeps working until")), "{}", rotated.stderr);
    for key in [&old_key, &new_key] {
        assert_eq!(app.call(Method::GET, "/api/whoami", Some(key), None).await.status, 200);
    }
    // Both keys listed, the old one with its end and replacement, the
    // networks carried over; last use and its address and route.
    let table = cli.ok(&["api-keys", "list"], None).stdout;
    for header in ["ALLOWED FROM", "LAST USED", "FROM", "FOR", "REPLACED BY"] {
        assert!(table.contains(header), "{table}");
    }
    assert!(table.contains("127.0.0.0/8, 2001:db8::/32") && table.contains("whoami"), "{table}");
    let listed = cli.ok(&["--json", "api-keys", "list"], None).json();
    let old = listed["data"]["keys"].as_array().unwrap().iter().find(|k| k["id"] == id.as_str()).unwrap().clone();
    assert!(old["replacedBy"].is_string() && old["expiresAt"].is_string());
    let trail = cli.ok(&["audit", "list", "--event-type", "API_KEY_ROTATED"], None).stdout;
    let deadline = old["expiresAt"].as_str().unwrap();
    assert!(trail.contains("OLD KEY UNTIL") && trail.contains(deadline), "the trail shows the deadline: {trail}");
    let again = cli.run(&["api-keys", "rotate", &id], None);
    assert_ne!(again.status, 0);
    assert!(again.stderr.contains("already been rotated"), "{}", again.stderr);

    let updated =
        cli.ok(&["--json", "api-keys", "update", old["replacedBy"].as_str().unwrap(), "--allow-anywhere"], None);
    assert_eq!(updated.json()["data"]["allowedCidrs"], json!([]));
    let bad = cli.run(&["api-keys", "rotate", &id, "--keep-old", "1w"], None);
    assert_eq!(bad.status, 2, "a usage error: {}", bad.stderr);

    // SMTP credentials: create bound, change, rotate with an overlap.
    let smtp = cli
        .ok(&["smtp-credentials", "create", "--name", "Printer", "--scopes", "smtp", "--allow", "192.0.2.0/24"], None);
    let smtp_key = smtp.stdout.trim().to_string();
    let listed = cli.ok(&["--json", "smtp-credentials", "list"], None).json();
    let smtp_id = listed["keys"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(listed["keys"][0]["allowedCidrs"], json!(["192.0.2.0/24"]));
    let changed = cli.ok(
        &[
            "--json",
            "smtp-credentials",
            "update",
            &smtp_id,
            "--name",
            "Printer (2nd floor)",
            "--allow",
            "198.51.100.0/24",
        ],
        None,
    );
    assert_eq!(changed.json()["allowedCidrs"], json!(["198.51.100.0/24"]));
    let rotated = cli.ok(&["smtp-credentials", "rotate", &smtp_id, "--keep-old", "1h"], None);
    assert!(rotated.stdout.trim().starts_with("rm_") && rotated.stdout.trim() != smtp_key);
    let table = cli.ok(&["smtp-credentials", "list"], None).stdout;
    assert_eq!(table.matches("Printer (2nd floor)").count(), 2, "both keys in the overlap: {table}");
    rotated.never_shows(&smtp_key);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)] // the server runs while the CLI blocks a thread
async fn audit_list_and_tail() {
    let app = TestApp::start().await;
    let cli = Cli::new(&app);
    app.admin(Method::POST, "/api/email/api-keys", Some(&json!({"name": "one"}))).await;
    let table = cli.ok(&["audit", "list", "--event-type", "API_KEY_CREATED", "--limit", "5"], None);
    assert!(table.stdout.contains("API_KEY_CREATED") && !table.stdout.contains("ACCOUNT_CREATED"));
    assert!(table.stdout.contains("VERSION"), "{}", table.stdout);
    let page = cli.ok(&["--json", "audit", "list", "--limit", "1"], None).json();
    assert_eq!(page["events"].as_array().unwrap().len(), 1);
    assert!(page["next_cursor"].is_string());
    let since = cli.run(&["audit", "list", "--since", "yesterday"], None);
    assert_eq!(since.status, 1);
    assert!(since.stderr.contains("RFC 3339"));

    // tail: the recent events, then new ones as they happen.
    let mut child = Command::new(tool_binary("mailkeys"))
        .args(["--json", "audit", "tail", "--interval", "1"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", &cli.config_home)
        .env("MAILKEYS_URL", &cli.url)
        .env("MAILKEYS_API_KEY", &app.admin_key)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let before = app.admin(Method::GET, "/api/audit-events", None).await.json();
    let mut recent: Vec<Value> = before["events"].as_array().unwrap().clone();
    recent.reverse();
    let next = |what: &str| -> Value {
        let line =
            receive.recv_timeout(std::time::Duration::from_secs(15)).unwrap_or_else(|_| panic!("no line for {what}"));
        serde_json::from_str(&line).unwrap()
    };
    let shown: Vec<Value> = recent.iter().map(|_| next("a recent event")).collect();
    assert_eq!(shown, recent, "the recent events, oldest first");
    app.admin(Method::POST, "/api/email/api-keys", Some(&json!({"name": "two"}))).await;
    let followed = next("a new event");
    assert_eq!(followed["event_type"], "API_KEY_CREATED");
    assert_eq!(followed["changed_fields"], json!(["name", "permissions"]));
    assert!(receive.recv_timeout(std::time::Duration::from_secs(3)).is_err(), "each event once");
    child.kill().unwrap();
    let _ = child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)] // the server runs while the CLI blocks a thread
async fn where_and_who_and_the_exit_statuses() {
    let app = TestApp::start().await;
    let mut cli = Cli::new(&app);

    // 401: the API's code and message, exit 1; --verbose adds the request id.
    cli.key = Some("pk_test_not_a_key".into());
    let refused = cli.run(&["--verbose", "providers", "list"], None);
    assert_eq!(refused.status, 1);
    assert!(
        refused.stderr.contains("UNAUTHORIZED: Invalid or missing API key") && refused.stderr.contains("request id: ")
    );

    // No key at all: what to do, exit 2.
    cli.key = None;
    let none = cli.run(&["providers", "list"], None);
    assert_eq!(none.status, 2);
    assert!(none.stderr.contains("MAILKEYS_API_KEY") && none.stderr.contains("mailkeys login"));

    // A key is never a command-line value.
    assert_eq!(cli.run(&["--api-key", "pk_test_example", "providers", "list"], None).status, 2);

    // --api-key-file.
    let key_file = cli.config_home.join("key");
    std::fs::create_dir_all(&cli.config_home).unwrap();
    std::fs::write(&key_file, format!("{}\n", app.admin_key)).unwrap();
    cli.ok(&["--api-key-file", key_file.to_str().unwrap(), "providers", "list"], None);

    // login: the key from stdin, checked, kept in a profile readable by the user only.
    let wrong = cli.run(&["login", "--profile", "work"], Some("pk_test_not_a_key\n"));
    assert_eq!(wrong.status, 1);
    let config = cli.config_home.join("mailkeys/config.toml");
    assert!(!config.exists(), "a refused key is not kept");
    let login = cli.ok(&["login", "--profile", "work"], Some(&format!("{}\n", app.admin_key)));
    assert!(login.stderr.contains(app.account_id.as_str()));
    login.never_shows(&app.admin_key);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&config).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let mut elsewhere = Cli::new(&app);
    elsewhere.config_home = cli.config_home.clone();
    elsewhere.key = None;
    elsewhere.url = "http://127.0.0.1:1".into(); // the profile's URL wins over the environment
    elsewhere.ok(&["--profile", "work", "api-keys", "list"], None);
    let missing = elsewhere.run(&["--profile", "home", "api-keys", "list"], None);
    assert_eq!(missing.status, 2);
    assert!(missing.stderr.contains("mailkeys login --profile home"));

    // A malformed config file is named with its line, never quoted (it
    // holds keys); one readable by others is warned about.
    let good_config = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{good_config}\n[profiles.broken]\nurl = 1\napi_key = \"{}\"\n", app.admin_key))
        .unwrap();
    let broken = elsewhere.run(&["--profile", "work", "api-keys", "list"], None);
    assert_eq!(broken.status, 1);
    broken.never_shows(&app.admin_key);
    assert!(broken.stderr.contains("is not a valid config file (line "), "{}", broken.stderr);
    std::fs::write(&config, &good_config).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
        let shared = elsewhere.ok(&["--profile", "work", "api-keys", "list"], None);
        assert!(shared.stderr.contains("can be read by other users"), "{}", shared.stderr);
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(!elsewhere.ok(&["--profile", "work", "api-keys", "list"], None).stderr.contains("other users"));
    }

    // An unreachable server: exit 3, and what to check.
    let unreachable = elsewhere
        .run(&["--url", "http://127.0.0.1:1", "--api-key-file", key_file.to_str().unwrap(), "providers", "list"], None);
    assert_eq!(unreachable.status, 3);
    assert!(unreachable.stderr.contains("cannot reach Mailkeys at http://127.0.0.1:1"));

    // Usage errors: 2. Version and completions.
    assert_eq!(cli.run(&["providers", "create", "--name", "x"], None).status, 2);
    assert!(cli.ok(&["--version"], None).stdout.starts_with("mailkeys "));
    for shell in ["bash", "zsh", "fish"] {
        assert!(cli.ok(&["completions", shell], None).stdout.contains("providers"), "{shell}");
    }
    let _ = std::fs::remove_dir_all(&cli.config_home);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)] // the server runs while the CLI blocks a thread
async fn mailkeys_admin_lists_accounts_and_keys() {
    let app = TestApp::start().await;
    let admin = |args: &[&str]| -> String {
        let out = Command::new(tool_binary("mailkeys-admin")).args(args).envs(app.server_env()).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let accounts: Vec<Value> = admin(&["list-accounts"]).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(accounts.iter().any(|a| a["account_id"] == app.account_id.as_str()));
    let keys: Vec<Value> = admin(&["list-keys", "--account", app.account_id.as_str()])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["permissions"], json!(["admin"]));
    assert!(!admin(&["list-keys", "--account", app.account_id.as_str()]).contains(&app.admin_key));
    assert!(admin(&["--version"]).starts_with("mailkeys-admin "));

    // An exposed key: the operator sees why it was revoked, the CLI finds its record.
    let leaked = app.key_with(&[mailkeys::domain::permission::Permission::Send]).await;
    let res = app.call(Method::POST, "/api/public/keys/revoke", None, Some(&json!({"credentials": [leaked]}))).await;
    assert_eq!(res.status, 202);
    let keys: Vec<Value> = admin(&["list-keys", "--account", app.account_id.as_str()])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let exposed = keys.iter().find(|k| k["revoked_at"].is_string()).expect("the revoked key is listed");
    assert_eq!(exposed["revoked_reason"], "exposed");
    let cli = Cli::new(&app);
    let trail = cli.ok(&["audit", "list", "--event-type", "API_KEY_EXPOSED"], None).stdout;
    assert!(trail.contains("API_KEY_EXPOSED") && trail.contains(exposed["id"].as_str().unwrap()), "{trail}");
    assert!(trail.contains("public-revocation"), "{trail}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)] // the server runs while the CLI blocks a thread
async fn webhooks_every_command() {
    let app = TestApp::start().await;
    let cli = Cli::new(&app);
    let receiver = mailkeys_tests::WebhookReceiver::start().await;
    let created = cli.ok(
        &["webhooks", "create", "--endpoint-url", &receiver.url, "--events", "api_key.exposed,smtp_credential.exposed"],
        None,
    );
    let secret = created.stdout.trim().to_string();
    assert!(secret.starts_with("whsec_") && !secret.contains(' '), "stdout holds the secret alone");
    assert!(created.stderr.contains("only shown now"), "the warning on stderr");
    let listed = cli.ok(&["--json", "webhooks", "list"], None).json();
    let id = listed["items"][0]["id"].as_str().unwrap().to_string();
    let table = cli.ok(&["webhooks", "list"], None);
    assert!(table.stdout.contains(&id) && table.stdout.contains("api_key.exposed"));
    table.never_shows(&secret);
    let tested = cli.ok(&["webhooks", "test", &id], None);
    assert!(tested.stdout.contains("Delivered: the receiver answered 200."), "{}", tested.stdout);
    let hooks = receiver.received();
    assert!(mailkeys_tests::verify_with_standardwebhooks(&secret, &hooks)[0].is_ok());
    let deliveries = cli.ok(&["webhooks", "deliveries", &id], None);
    assert!(deliveries.stdout.contains("webhook.test") && deliveries.stdout.contains("200"), "{}", deliveries.stdout);
    let updated = cli.ok(&["--json", "webhooks", "update", &id, "--disable", "--description", "paused"], None).json();
    assert_eq!((updated["enabled"].clone(), updated["description"].clone()), (json!(false), json!("paused")));
    let nothing = cli.run(&["webhooks", "update", &id], None);
    assert_eq!(nothing.status, 2);
    assert!(nothing.stderr.contains("nothing to change"), "{}", nothing.stderr);
    let rotated = cli.ok(&["webhooks", "rotate-secret", &id], None);
    let new_secret = rotated.stdout.trim().to_string();
    assert!(new_secret.starts_with("whsec_") && new_secret != secret);
    assert!(rotated.stderr.contains("24 hours"));
    cli.ok(&["webhooks", "delete", &id], None);
    let gone = cli.run(&["webhooks", "test", &id], None);
    assert_ne!(gone.status, 0);
    assert!(gone.stderr.contains("Webhook endpoint not found"), "{}", gone.stderr);
}
