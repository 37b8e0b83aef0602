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

/// The blob format written by this code (2: the destination is bound too).
pub const SEALED_VERSION: u8 = 2;
pub const NONCE_LEN: usize = 12;

/// What a secret belongs to, and where it may be delivered. It is the KMS
/// encryption context and the GCM associated data, so a blob copied onto
/// another row, or a row whose destination was edited in the table, does
/// not decrypt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretContext {
    pub account_id: String,
    pub resource_type: &'static str,
    pub resource_id: String,
    /// The server the secret is sent to, when it is stored beside the blob
    /// rather than inside it.
    pub destination: Option<Destination>,
}

/// A server a secret is delivered to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Destination {
    pub host: String,
    pub port: u16,
    pub security: &'static str,
}

impl SecretContext {
    fn kms_context(&self) -> HashMap<String, String> {
        let mut context = HashMap::from([
            ("account_id".to_string(), self.account_id.clone()),
            ("resource_type".to_string(), self.resource_type.to_string()),
            ("resource_id".to_string(), self.resource_id.clone()),
        ]);
        if let Some(d) = &self.destination {
            context.insert("host".to_string(), d.host.clone());
            context.insert("port".to_string(), d.port.to_string());
            context.insert("security".to_string(), d.security.to_string());
        }
        context
    }

    fn associated_data(&self) -> Vec<u8> {
        let mut aad =
            format!("mailkeys/v{SEALED_VERSION}/{}/{}/{}", self.account_id, self.resource_type, self.resource_id);
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
        // Reserve up front so the plaintext is not copied around by growth.
        let mut plaintext = Zeroizing::new(Vec::with_capacity(8 * 1024));
        serde_json::to_writer(&mut *plaintext, value).map_err(|_| CryptoError::Encrypt)?;
        self.seal(context, &plaintext).await
    }

    pub async fn seal(&self, context: &SecretContext, plaintext: &[u8]) -> Result<SealedSecret, CryptoError> {
        let out = self
            .kms
            .generate_data_key()
            .key_id(&self.key_id)
            .key_spec(DataKeySpec::Aes256)
            .set_encryption_context(Some(context.kms_context()))
            .send()
            .await
            .map_err(|e| kms_error(&e))?;
        let data_key = Zeroizing::new(out.plaintext.map(Blob::into_inner).ok_or(CryptoError::BadDataKey)?);
        let encrypted_data_key = out.ciphertext_blob.map(Blob::into_inner).ok_or(CryptoError::BadDataKey)?;
        let key_id = out.key_id.unwrap_or_else(|| self.key_id.clone());
        let cipher = cipher_for(&data_key)?;
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let aad = context.associated_data();
        let ciphertext =
            cipher.encrypt(&nonce, Payload { msg: plaintext, aad: &aad }).map_err(|_| CryptoError::Encrypt)?;
        Ok(SealedSecret { version: SEALED_VERSION, key_id, encrypted_data_key, nonce: nonce.into(), ciphertext })
    }

    pub async fn open(
        &self,
        context: &SecretContext,
        sealed: &SealedSecret,
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        if sealed.version != SEALED_VERSION {
            return Err(CryptoError::Version(sealed.version));
        }
        let out = self
            .kms
            .decrypt()
            .key_id(&sealed.key_id)
            .ciphertext_blob(Blob::new(sealed.encrypted_data_key.clone()))
            .set_encryption_context(Some(context.kms_context()))
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
        let aad = context.associated_data();
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
