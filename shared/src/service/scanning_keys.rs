//! The keys GitHub signs its secret scanning reports with: fetched from the
//! configured URL with a bounded wait, kept, and fetched again for a report
//! that names a key not known yet — at most once a minute, counted from the
//! last fetch. A report is verified over its raw body (ECDSA P-256 with
//! SHA-256, the signature base64 DER) before anything else reads it.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use base64::Engine;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;
use serde::Deserialize;

use crate::connectivity::Trust;

/// How long one fetch of the keys may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(3);
/// The keys are fetched again at most this often.
const REFETCH_INTERVAL: Duration = Duration::from_secs(60);

#[derive(Debug, PartialEq, Eq)]
pub enum SignatureError {
    /// No key identifier or signature, a signature that is not base64
    /// DER, an unknown key, or a signature that does not verify.
    Refused,
    /// The keys could not be fetched (and the named one is not known).
    Unavailable,
}

#[derive(Deserialize)]
struct KeysDocument {
    public_keys: Vec<PublishedKey>,
}

#[derive(Deserialize)]
struct PublishedKey {
    key_identifier: String,
    key: String,
}

#[derive(Default)]
struct Known {
    keys: HashMap<String, VerifyingKey>,
    fetched_at: Option<Instant>,
    /// Whether the last fetch failed (then an unknown key is "could not
    /// check", not "refused").
    failed: bool,
}

#[derive(Clone)]
pub struct ScanningKeys {
    url: String,
    trust: Trust,
    /// Built on first use: only the report route fetches the keys.
    http: Arc<OnceLock<reqwest::Client>>,
    known: Arc<tokio::sync::Mutex<Known>>,
}

impl std::fmt::Debug for ScanningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanningKeys").field("url", &self.url).finish_non_exhaustive()
    }
}

/// Whether `signature` (base64 of DER) is `key`'s over `body`.
pub fn verifies(key: &VerifyingKey, signature: &str, body: &[u8]) -> bool {
    let Ok(der) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else { return false };
    let Ok(signature) = Signature::from_der(&der) else { return false };
    key.verify(body, &signature).is_ok()
}

/// The keys of a keys document (one that does not parse has none; a key
/// that does not parse is left out).
fn parse_document(text: &[u8]) -> HashMap<String, VerifyingKey> {
    let Ok(document) = serde_json::from_slice::<KeysDocument>(text) else { return HashMap::new() };
    document
        .public_keys
        .into_iter()
        .filter_map(|k| VerifyingKey::from_public_key_pem(&k.key).ok().map(|key| (k.key_identifier, key)))
        .collect()
}

impl ScanningKeys {
    /// The keys published at `url`, fetched over TLS that trusts what
    /// `trust` does (the system's roots, and an extra CA when configured).
    pub fn new(url: String, trust: Trust) -> ScanningKeys {
        ScanningKeys { url, trust, http: Arc::default(), known: Arc::default() }
    }

    fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(|| {
            reqwest::Client::builder()
                .use_preconfigured_tls((*self.trust.client_config()).clone())
                .timeout(FETCH_TIMEOUT)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("an HTTP client over a valid TLS configuration")
        })
    }

    /// Checks a report's signature over its raw `body`.
    pub async fn verify(
        &self,
        key_identifier: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<(), SignatureError> {
        let (Some(id), Some(signature)) = (key_identifier, signature) else { return Err(SignatureError::Refused) };
        let key = self.key(id.trim()).await?;
        match verifies(&key, signature, body) {
            true => Ok(()),
            false => Err(SignatureError::Refused),
        }
    }

    /// The key named `id`, fetching the document when it is not known and
    /// the last fetch is more than a minute old.
    async fn key(&self, id: &str) -> Result<VerifyingKey, SignatureError> {
        let mut known = self.known.lock().await;
        if let Some(key) = known.keys.get(id) {
            return Ok(*key);
        }
        if known.fetched_at.is_some_and(|at| at.elapsed() < REFETCH_INTERVAL) {
            return Err(if known.failed { SignatureError::Unavailable } else { SignatureError::Refused });
        }
        known.fetched_at = Some(Instant::now());
        let fetched = self.fetch().await;
        known.failed = fetched.is_none();
        match fetched {
            Some(keys) => {
                known.keys = keys;
                known.keys.get(id).copied().ok_or(SignatureError::Refused)
            }
            None => Err(SignatureError::Unavailable),
        }
    }

    async fn fetch(&self) -> Option<HashMap<String, VerifyingKey>> {
        let response = match self.http().get(&self.url).header("accept", "application/json").send().await {
            Ok(response) if response.status().is_success() => response,
            Ok(response) => {
                tracing::warn!(status = response.status().as_u16(), "GitHub's scanning keys could not be fetched");
                return None;
            }
            Err(err) => {
                tracing::warn!(error = %err, "GitHub's scanning keys could not be fetched");
                return None;
            }
        };
        let body = response.bytes().await.ok()?;
        Some(parse_document(&body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The sample of GitHub's documentation (docs.github.com, "Secret
    // scanning partner program", validation samples): its key, its payload
    // and the signature GitHub published for it.
    const SAMPLE_KEY: &str = "-----BEGIN PUBLIC KEY-----\n\
        MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE9MJJHnMfn2+H4xL4YaPDA4RpJqUq\n\
        kCmRCBnYERxZanmcpzQSXs1X/AljlKkbJ8qpVIW4clayyef9gWhFbNHWAA==\n\
        -----END PUBLIC KEY-----\n";
    const SAMPLE_PAYLOAD: &[u8] = br#"[{"token":"some_token","type":"some_type","url":"some_url"}]"#;
    const SAMPLE_SIGNATURE: &str =
        "MEUCIQDKZokqnCjrRtw0tni+2Ltvl/uiMJ1EGumEsp1BsNr32AIgQY1YXD2nlj+XNfGK4rBfkMJ1JDOQcYXxa2sY8FNkrKc=";

    #[test]
    fn githubs_published_sample_verifies() {
        let key = VerifyingKey::from_public_key_pem(SAMPLE_KEY).unwrap();
        assert!(verifies(&key, SAMPLE_SIGNATURE, SAMPLE_PAYLOAD));
        let mut changed = SAMPLE_PAYLOAD.to_vec();
        changed[12] ^= 1;
        assert!(!verifies(&key, SAMPLE_SIGNATURE, &changed), "one byte changed");
        assert!(!verifies(&key, "not base64!", SAMPLE_PAYLOAD));
        assert!(!verifies(&key, "bm90IERFUg==", SAMPLE_PAYLOAD));
    }

    #[test]
    fn a_keys_document_in_githubs_shape() {
        let document = serde_json::json!({"public_keys": [
            {"key_identifier": "90a421169f0a406205f1563a953312f0be898d3c7b6c06b681aa86a874555f4a", "key": SAMPLE_KEY, "is_current": true},
            {"key_identifier": "broken", "key": "not a key", "is_current": false},
        ]});
        let keys = parse_document(document.to_string().as_bytes());
        assert_eq!(keys.len(), 1);
        assert!(parse_document(b"[]").is_empty());
    }
}
