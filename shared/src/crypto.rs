//! Envelope encryption: one KMS data key per secret write, AES-256-GCM over
//! the secret, the data key stored only in its KMS-encrypted form.

use std::collections::HashMap;

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use aws_sdk_kms::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_kms::operation::decrypt::DecryptError;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::DataKeySpec;
use serde::de::DeserializeOwned;
use serde::Serialize;
use zeroize::Zeroizing;

/// The blob format written by this code. 2 bound the row's id and the
/// destination in the KMS encryption context as well as in the GCM
/// associated data; 3 keeps them in the associated data only (the data key
/// is bound to the account and the kind of resource), so a data key can be
/// asked for while the row is still being read or its id allocated. A blob
/// copied onto another row, or a destination edited in the table, fails to
/// open either way. Both are read.
pub const SEALED_VERSION: u8 = 3;
/// Version 2 blobs, still opened: id and destination in the KMS context too.
const SEALED_VERSION_ID_IN_KMS: u8 = 2;
pub const NONCE_LEN: usize = 12;

/// What a secret belongs to, and where it may be delivered: the GCM
/// associated data (its [`KeyScope`] is the KMS encryption context), so a
/// blob copied onto another row, or a row whose destination was edited in
/// the table, does not decrypt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretContext {
    pub account_id: String,
    pub resource_type: &'static str,
    pub resource_id: String,
    /// The server the secret is sent to, when it is stored beside the blob
    /// rather than inside it.
    pub destination: Option<Destination>,
}

impl SecretContext {
    /// The context of a secret whose destination, if it has one, is inside
    /// its own sealed block (or that goes to no server of its own).
    pub fn of_row(account_id: impl ToString, resource_type: &'static str, resource_id: impl ToString) -> Self {
        SecretContext {
            account_id: account_id.to_string(),
            resource_type,
            resource_id: resource_id.to_string(),
            destination: None,
        }
    }
}

/// A server a secret is delivered to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Destination {
    pub host: String,
    pub port: u16,
    pub security: &'static str,
}

/// What a data key is bound to in KMS: whose secret, and of which kind
/// (the template's KMS permissions are per kind). Known before the row is
/// read or has its id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyScope {
    pub account_id: String,
    pub resource_type: &'static str,
}

impl KeyScope {
    fn kms_context(&self) -> HashMap<String, String> {
        HashMap::from([
            ("account_id".to_string(), self.account_id.clone()),
            ("resource_type".to_string(), self.resource_type.to_string()),
        ])
    }
}

impl SecretContext {
    pub fn scope(&self) -> KeyScope {
        KeyScope { account_id: self.account_id.clone(), resource_type: self.resource_type }
    }

    fn kms_context(&self, version: u8) -> HashMap<String, String> {
        let mut context = self.scope().kms_context();
        if version == SEALED_VERSION_ID_IN_KMS {
            context.insert("resource_id".to_string(), self.resource_id.clone());
            if let Some(d) = &self.destination {
                context.insert("host".to_string(), d.host.clone());
                context.insert("port".to_string(), d.port.to_string());
                context.insert("security".to_string(), d.security.to_string());
            }
        }
        context
    }

    fn associated_data(&self, version: u8) -> Vec<u8> {
        let mut aad = format!("mailkeys/v{version}/{}/{}/{}", self.account_id, self.resource_type, self.resource_id);
        if let Some(d) = &self.destination {
            aad.push_str(&format!("/{}/{}/{}", d.host, d.port, d.security));
        }
        aad.into_bytes()
    }
}

/// An encrypted secret as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedSecret {
    pub version: u8,
    pub key_id: String,
    pub encrypted_data_key: Vec<u8>,
    pub nonce: [u8; NONCE_LEN],
    pub ciphertext: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// KMS timed out, throttled or failed on its side: worth a retry.
    #[error("KMS is unavailable: {0}")]
    KmsUnavailable(String),
    /// KMS refused the call (access denied, key disabled or missing).
    #[error("KMS refused the call: {0}")]
    Kms(String),
    #[error("KMS returned a data key of the wrong size")]
    BadDataKey,
    #[error("the secret could not be encrypted")]
    Encrypt,
    /// A data key fetched for one owner or kind was handed a secret of
    /// another: a bug in the caller, refused before anything is sealed.
    #[error("a data key was used for a secret outside the scope it was fetched for")]
    ScopeMismatch,
    #[error("the secret could not be decrypted (wrong context or damaged blob)")]
    Decrypt,
    #[error("unsupported blob version {0}")]
    Version(u8),
    #[error("the decrypted secret is not the expected shape")]
    Shape,
}

/// Seals and opens secrets under one KMS key.
#[derive(Clone, Debug)]
pub struct Envelope {
    kms: aws_sdk_kms::Client,
    key_id: String,
}

impl Envelope {
    pub fn new(kms: aws_sdk_kms::Client, key_id: impl Into<String>) -> Self {
        Envelope { kms, key_id: key_id.into() }
    }

    /// Whether KMS answers for the wrapping key (a health probe).
    pub async fn reachable(&self) -> bool {
        self.kms.describe_key().key_id(&self.key_id).send().await.is_ok()
    }

    /// Serializes `value` into a zeroized buffer and seals it.
    pub async fn seal_json<T: Serialize>(
        &self,
        context: &SecretContext,
        value: &T,
    ) -> Result<SealedSecret, CryptoError> {
        let plaintext = json_plaintext(value)?;
        self.seal(context, &plaintext).await
    }

    pub async fn seal(&self, context: &SecretContext, plaintext: &[u8]) -> Result<SealedSecret, CryptoError> {
        self.data_key(context.scope()).await?.seal(context, plaintext)
    }

    /// A fresh data key for one secret of `scope` (one KMS call).
    pub async fn data_key(&self, scope: KeyScope) -> Result<DataKey, CryptoError> {
        let out = self
            .kms
            .generate_data_key()
            .key_id(&self.key_id)
            .key_spec(DataKeySpec::Aes256)
            .set_encryption_context(Some(scope.kms_context()))
            .send()
            .await
            .map_err(|e| kms_error(&e))?;
        let plaintext = Zeroizing::new(out.plaintext.map(Blob::into_inner).ok_or(CryptoError::BadDataKey)?);
        let encrypted = out.ciphertext_blob.map(Blob::into_inner).ok_or(CryptoError::BadDataKey)?;
        let key_id = out.key_id.unwrap_or_else(|| self.key_id.clone());
        Ok(DataKey { scope, plaintext, encrypted, key_id })
    }

    pub async fn open(
        &self,
        context: &SecretContext,
        sealed: &SealedSecret,
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        if ![SEALED_VERSION, SEALED_VERSION_ID_IN_KMS].contains(&sealed.version) {
            return Err(CryptoError::Version(sealed.version));
        }
        let out = self
            .kms
            .decrypt()
            .key_id(&sealed.key_id)
            .ciphertext_blob(Blob::new(sealed.encrypted_data_key.clone()))
            .set_encryption_context(Some(context.kms_context(sealed.version)))
            .send()
            .await
            .map_err(|e| match e.as_service_error() {
                // The data key does not open under this context: the blob
                // is not for this row or destination.
                Some(DecryptError::InvalidCiphertextException(_) | DecryptError::IncorrectKeyException(_)) => {
                    CryptoError::Decrypt
                }
                _ => kms_error(&e),
            })?;
        let data_key = Zeroizing::new(out.plaintext.map(Blob::into_inner).ok_or(CryptoError::BadDataKey)?);
        let cipher = cipher_for(&data_key)?;
        let aad = context.associated_data(sealed.version);
        cipher
            .decrypt(Nonce::from_slice(&sealed.nonce), Payload { msg: &sealed.ciphertext, aad: &aad })
            .map(Zeroizing::new)
            .map_err(|_| CryptoError::Decrypt)
    }

    pub async fn open_json<T: DeserializeOwned>(
        &self,
        context: &SecretContext,
        sealed: &SealedSecret,
    ) -> Result<T, CryptoError> {
        let plaintext = self.open(context, sealed).await?;
        serde_json::from_slice(&plaintext).map_err(|_| CryptoError::Shape)
    }
}

/// A data key from KMS, plaintext and wrapped, for sealing one secret of
/// its scope. The plaintext is wiped when it is dropped.
pub struct DataKey {
    scope: KeyScope,
    plaintext: Zeroizing<Vec<u8>>,
    encrypted: Vec<u8>,
    key_id: String,
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataKey").field("scope", &self.scope).field("key_id", &self.key_id).finish_non_exhaustive()
    }
}

impl DataKey {
    /// Seals `plaintext` for the row `context` names, which must be of the
    /// key's scope (a key asked for one owner never seals another's secret).
    pub fn seal(self, context: &SecretContext, plaintext: &[u8]) -> Result<SealedSecret, CryptoError> {
        if context.scope() != self.scope {
            return Err(CryptoError::ScopeMismatch);
        }
        let cipher = cipher_for(&self.plaintext)?;
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let aad = context.associated_data(SEALED_VERSION);
        let ciphertext =
            cipher.encrypt(&nonce, Payload { msg: plaintext, aad: &aad }).map_err(|_| CryptoError::Encrypt)?;
        Ok(SealedSecret {
            version: SEALED_VERSION,
            key_id: self.key_id,
            encrypted_data_key: self.encrypted,
            nonce: nonce.into(),
            ciphertext,
        })
    }

    /// Serializes `value` into a zeroized buffer and seals it.
    pub fn seal_json<T: Serialize>(self, context: &SecretContext, value: &T) -> Result<SealedSecret, CryptoError> {
        let plaintext = json_plaintext(value)?;
        self.seal(context, &plaintext)
    }
}

/// `value` as JSON in a buffer that is wiped when dropped. Its size is
/// counted first and the buffer allocated once at that size: a buffer that
/// grew would leave the bytes written so far behind in freed memory,
/// unwiped.
fn json_plaintext<T: Serialize>(value: &T) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let mut size = ByteCount(0);
    serde_json::to_writer(&mut size, value).map_err(|_| CryptoError::Encrypt)?;
    let mut plaintext = Zeroizing::new(Vec::with_capacity(size.0));
    let reserved = plaintext.capacity();
    serde_json::to_writer(&mut *plaintext, value).map_err(|_| CryptoError::Encrypt)?;
    debug_assert_eq!(plaintext.capacity(), reserved, "the plaintext buffer grew");
    Ok(plaintext)
}

/// Counts what is written to it, and keeps nothing.
struct ByteCount(usize);

impl std::io::Write for ByteCount {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A failed KMS call as what it is: unavailable (retry later) or refused.
fn kms_error<E: ProvideErrorMetadata + std::error::Error + 'static>(
    err: &SdkError<E, aws_sdk_kms::config::http::HttpResponse>,
) -> CryptoError {
    let described = crate::aws::describe(err);
    if crate::aws::is_transient(err) {
        CryptoError::KmsUnavailable(described)
    } else {
        CryptoError::Kms(described)
    }
}

fn cipher_for(data_key: &[u8]) -> Result<Aes256Gcm, CryptoError> {
    if data_key.len() != 32 {
        return Err(CryptoError::BadDataKey);
    }
    Ok(Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(data_key)))
}

#[cfg(test)]
mod tests {
    use super::json_plaintext;

    /// The largest secret a request may hold (8,192 characters), of the
    /// characters that take the most room in JSON: 4-byte ones, and control
    /// characters written as `\u00XX`. It fits the buffer sized for it,
    /// which never grows (checked inside).
    #[test]
    fn the_largest_secret_is_serialized_without_a_copy() {
        for c in ['\u{1F511}', '\u{1}', '"'] {
            let secret = c.to_string().repeat(8192);
            let value = serde_json::json!({"username": "u", "password": secret});
            let plaintext = json_plaintext(&value).unwrap();
            assert_eq!(plaintext.len(), serde_json::to_vec(&value).unwrap().len());
            assert_eq!(plaintext.capacity(), plaintext.len(), "{c:?}: allocated at its size");
        }
    }
}
