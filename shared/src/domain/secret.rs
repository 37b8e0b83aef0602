//! The one secret type: provider secrets, passwords, tokens and each new
//! key's one-time value are [`SecretString`]s. It has no `Display`, its
//! `Debug` prints `[REDACTED]`, and its memory is zeroized on drop; reading
//! it takes an explicit `expose_secret()`.

pub use secrecy::{ExposeSecret, SecretString};
use serde::Serializer;

/// Serializes a secret's value. Used only by the types that are sealed into
/// a blob or written once into a create response.
pub fn expose<S: Serializer>(secret: &SecretString, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(secret.expose_secret())
}

/// [`expose`] for an optional secret.
pub fn expose_option<S: Serializer>(secret: &Option<SecretString>, serializer: S) -> Result<S::Ok, S::Error> {
    match secret {
        Some(secret) => expose(secret, serializer),
        None => serializer.serialize_none(),
    }
}
