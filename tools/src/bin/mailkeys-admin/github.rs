//! A local stand-in for GitHub's secret scanning, so that `make dev` can
//! receive a signed report as production does: a key pair whose public half
//! is served as GitHub's keys document (by `mailkeys-local`, from the file
//! written here), and a sender that signs a report with the private half as
//! GitHub does (ECDSA P-256 / SHA-256 over the raw body, base64 DER).

use std::io::Read;
use std::path::{Path, PathBuf};

use base64::Engine;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use serde_json::json;

/// The identifier the stand-in's key is published under.
pub const KEY_IDENTIFIER: &str = "mailkeys-dev";
pub const PRIVATE_KEY_FILE: &str = "github-scanning-key.pem";
pub const KEYS_DOCUMENT_FILE: &str = "github-scanning-keys.json";

/// Writes a new key pair into `dir`: the private key (readable by its owner
/// only) and the keys document in GitHub's shape. Keeps an existing pair.
pub fn write_test_keys(dir: &Path) -> Result<serde_json::Value, String> {
    let private_path = dir.join(PRIVATE_KEY_FILE);
    let document_path = dir.join(KEYS_DOCUMENT_FILE);
    if !(private_path.exists() && document_path.exists()) {
        let signing = SigningKey::random(&mut p256::elliptic_curve::rand_core::OsRng);
        let private = signing.to_pkcs8_pem(LineEnding::LF).map_err(|e| e.to_string())?;
        let public = signing.verifying_key().to_public_key_pem(LineEnding::LF).map_err(|e| e.to_string())?;
        write_private(&private_path, private.as_bytes())?;
        let document = json!({"public_keys": [{"key_identifier": KEY_IDENTIFIER, "key": public, "is_current": true}]});
        std::fs::write(&document_path, document.to_string())
            .map_err(|e| format!("{}: {e}", document_path.display()))?;
    }
    Ok(json!({"key_identifier": KEY_IDENTIFIER, "private_key": private_path, "keys_document": document_path}))
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    file.write_all(bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// Reads a report (a JSON array) from stdin, signs it with the key in
/// `key_file` as GitHub would, sends it to `url`'s report route and gives
/// the answer (status and body).
pub async fn send_report(url: &str, key_file: &PathBuf) -> Result<String, String> {
    let pem = std::fs::read_to_string(key_file)
        .map_err(|e| format!("{}: {e} (make dev writes it; run make dev first)", key_file.display()))?;
    let signing =
        SigningKey::from_pkcs8_pem(&pem).map_err(|_| format!("{} holds no P-256 private key", key_file.display()))?;
    let mut body = Vec::new();
    std::io::stdin().read_to_end(&mut body).map_err(|e| format!("reading the report from stdin: {e}"))?;
    let signature: Signature = signing.sign(&body);
    let signature = base64::engine::general_purpose::STANDARD.encode(signature.to_der().as_bytes());
    mailkeys::connectivity::tls::install_crypto_provider();
    let response = reqwest::Client::new()
        .post(format!("{}/api/public/secret-scanning/github", url.trim_end_matches('/')))
        .header("content-type", "application/json")
        .header("Github-Public-Key-Identifier", KEY_IDENTIFIER)
        .header("Github-Public-Key-Signature", signature)
        .body(body)
        .send()
        .await
        .map_err(|e| format!("could not reach {url}: {e}"))?;
    let status = response.status();
    let text = response.text().await.map_err(|e| e.to_string())?;
    match status.is_success() {
        true => Ok(text),
        false => Err(format!("the report was refused ({}): {text}", status.as_u16())),
    }
}
