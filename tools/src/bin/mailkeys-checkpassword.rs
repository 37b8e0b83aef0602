//! `mailkeys-checkpassword`: Dovecot's checkpassword passdb over Mailkeys.
//! Each login is one `POST /api/internal/verify-key` with a platform
//! service key. The user name is the account id (`acc_…`, any case), the
//! password an SMTP credential (`rm_…`).
//!
//! The protocol (Dovecot's `passdb { driver = checkpassword }`): the user
//! name and password arrive on fd 3, NUL-terminated; `SERVICE` names the
//! protocol (`imap`, `pop3`, `submission`, `smtp` for Postfix through
//! Dovecot SASL) and `TCPREMOTEIP` the mail client's address. A good login
//! runs the reply program given as the first argument (with `USER` set to
//! the account id as Mailkeys writes it); a wrong one exits 1; anything
//! that is not Mailkeys' answer (it is unreachable, slow, throttling or
//! failing) exits 111, a temporary failure, so an outage never looks like a
//! wrong password to the mail client.
//!
//! Configuration, from the environment (Dovecot's `import_environment`):
//! `MAILKEYS_URL` (the API's base URL) and the service key, in
//! `MAILKEYS_SERVICE_KEY_FILE` (a file readable by the auth process) or
//! `MAILKEYS_SERVICE_KEY`.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::time::Duration;

use serde_json::{json, Value};
use zeroize::Zeroizing;

/// A wrong login, as checkpassword says it.
const REFUSED: i32 = 1;
/// A temporary failure: the mail server answers "try again later".
const TEMPORARY: i32 = 111;
/// The most Mailkeys may take for one login.
const VERIFY_TIMEOUT: Duration = Duration::from_secs(3);
/// fd 3 holds `user\0password\0` (and more Dovecot does not need here).
const MAX_INPUT: u64 = 4096;

fn main() {
    let code = match run() {
        Ok(Outcome::Accepted { account_id, reply }) => {
            // Dovecot takes the canonical user name from USER.
            let err = std::process::Command::new(&reply).env("USER", account_id).exec();
            eprintln!("mailkeys-checkpassword: cannot run the reply program {reply}: {err}");
            TEMPORARY
        }
        Ok(Outcome::Refused) => REFUSED,
        Err(problem) => {
            eprintln!("mailkeys-checkpassword: {problem}; answering a temporary failure");
            TEMPORARY
        }
    };
    std::process::exit(code);
}

enum Outcome {
    Accepted { account_id: String, reply: String },
    Refused,
}

fn run() -> Result<Outcome, String> {
    let reply = std::env::args().nth(1).ok_or("no reply program given (Dovecot passes one)")?;
    let input = read_fd3()?;
    let mut parts = input.split(|b| *b == 0);
    let user = String::from_utf8_lossy(parts.next().unwrap_or_default()).trim().to_ascii_lowercase();
    let password = Zeroizing::new(String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned());
    let Some(protocol) = protocol(&std::env::var("SERVICE").unwrap_or_default()) else {
        return Err(format!("unknown SERVICE {:?}", std::env::var("SERVICE").unwrap_or_default()));
    };
    if !user.starts_with("acc_") || password.is_empty() {
        return Ok(Outcome::Refused);
    }
    let source_ip = std::env::var("TCPREMOTEIP").ok().filter(|ip| ip.parse::<std::net::IpAddr>().is_ok());
    let answer = verify(&password, protocol, source_ip.as_deref())?;
    let valid = answer["valid"] == true;
    // A key opens only its own account's login.
    match answer["accountId"].as_str() {
        Some(account_id) if valid && account_id.eq_ignore_ascii_case(&user) => {
            Ok(Outcome::Accepted { account_id: account_id.to_string(), reply })
        }
        _ => Ok(Outcome::Refused),
    }
}

/// Dovecot's service name as the key scope it needs.
fn protocol(service: &str) -> Option<&'static str> {
    match service {
        "imap" => Some("imap"),
        "pop3" => Some("pop3"),
        // Dovecot's submission service, and Postfix asking through Dovecot SASL.
        "submission" | "smtp" => Some("smtp"),
        _ => None,
    }
}

fn read_fd3() -> Result<Zeroizing<Vec<u8>>, String> {
    use std::os::fd::FromRawFd;
    // Safety: checkpassword's contract is that fd 3 is open for reading;
    // it is read once and closed here.
    let file = unsafe { std::fs::File::from_raw_fd(3) };
    let mut input = Zeroizing::new(Vec::new());
    file.take(MAX_INPUT).read_to_end(&mut input).map_err(|e| format!("cannot read the credentials on fd 3: {e}"))?;
    Ok(input)
}

/// The key check: Mailkeys' answer when it gave one (200, a valid or invalid
/// key), else why not (which is never a wrong password).
fn verify(password: &str, protocol: &str, source_ip: Option<&str>) -> Result<Value, String> {
    let base = std::env::var("MAILKEYS_URL").map_err(|_| "MAILKEYS_URL is not set")?;
    let service_key = service_key()?;
    let _ = tokio_rustls::rustls::crypto::aws_lc_rs::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        // Over plain HTTP (a mail server beside Mailkeys) no trust roots are
        // loaded: each login is a new process, and pays only for what it uses.
        let client = reqwest::Client::builder()
            .timeout(VERIFY_TIMEOUT)
            .connect_timeout(VERIFY_TIMEOUT)
            .tls_built_in_root_certs(base.starts_with("https://"))
            .build()
            .map_err(|e| format!("cannot make an HTTP client: {e}"))?;
        let mut body = json!({"apiKey": password, "protocol": protocol});
        if let Some(ip) = source_ip {
            body["sourceIp"] = ip.into();
        }
        let body = Zeroizing::new(body.to_string());
        let response = client
            .post(format!("{}/api/internal/verify-key", base.trim_end_matches('/')))
            .bearer_auth(service_key.as_str())
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| format!("Mailkeys is unreachable ({})", e.without_url()))?;
        let status = response.status();
        if status != reqwest::StatusCode::OK {
            // 429: the client keeps guessing (the throttle); 401/403: this
            // adapter's own key is wrong; 5xx: Mailkeys is failing.
            return Err(format!("Mailkeys answered {status}"));
        }
        response.json::<Value>().await.map_err(|e| format!("Mailkeys' answer is not JSON ({})", e.without_url()))
    })
}

fn service_key() -> Result<Zeroizing<String>, String> {
    if let Ok(path) = std::env::var("MAILKEYS_SERVICE_KEY_FILE") {
        let text = Zeroizing::new(std::fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?);
        return Ok(Zeroizing::new(text.trim().to_string()));
    }
    std::env::var("MAILKEYS_SERVICE_KEY")
        .map(|k| Zeroizing::new(k.trim().to_string()))
        .map_err(|_| "neither MAILKEYS_SERVICE_KEY_FILE nor MAILKEYS_SERVICE_KEY is set".into())
}
