//! The email providers' request bodies as the wire has them, and what they
//! convert into (the rules are the domain's).

use serde::de::IgnoredAny;
use serde::Deserialize;

use crate::domain::email_provider::{
    EmailProviderUpdate, NewEmailProviderInput, ProviderType, ScalewayBlock, SesBlock, SmtpBlock, SmtpEncryption,
};
use crate::domain::secret::SecretString;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SesCredentialsInput {
    #[serde(default)]
    #[schema(required)]
    pub access_key_id: String,
    #[schema(required, write_only, value_type = String)]
    pub secret_access_key: Option<SecretString>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScalewayCredentialsInput {
    #[schema(required, write_only, value_type = String)]
    pub api_key: Option<SecretString>,
    #[serde(default)]
    #[schema(required)]
    pub project_id: String,
}

/// Tells a field sent as `null` (`Some(None)`) from one not sent (`None`).
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// The SMTP block. On update, `username` and `password` left out (or sent
/// empty) keep the stored values, and `null` removes them; on create, left
/// out means none.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmtpCredentialsInput {
    #[serde(default)]
    #[schema(required)]
    pub host: String,
    #[schema(required, minimum = 1, maximum = 65535)]
    pub port: Option<i64>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub username: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(write_only, value_type = Option<String>)]
    pub password: Option<Option<SecretString>>,
    #[serde(default)]
    pub encryption: SmtpEncryption,
    #[serde(default)]
    pub accept_invalid_certs: bool,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Transactional (SES)",
    "provider_type": "ses",
    "region": "eu-west-1",
    "ses_credentials": {"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
}))]
pub struct CreateEmailProviderRequest {
    #[serde(default)]
    #[schema(required, min_length = 1, max_length = 255)]
    pub name: String,
    pub provider_type: ProviderType,
    #[serde(default)]
    #[schema(required, pattern = "^[A-Za-z0-9_-]{1,64}$")]
    pub region: String,
    pub is_active: Option<bool>,
    pub ses_credentials: Option<SesCredentialsInput>,
    pub scaleway_credentials: Option<ScalewayCredentialsInput>,
    pub smtp_credentials: Option<SmtpCredentialsInput>,
}

/// `PATCH` body: every field optional. `provider_type` is accepted by the
/// parser only so that it can be refused with a message that says why.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Transactional (SES, Ireland)", "is_active": false}))]
pub struct UpdateEmailProviderRequest {
    #[schema(min_length = 1, max_length = 255)]
    pub name: Option<String>,
    #[schema(pattern = "^[A-Za-z0-9_-]{1,64}$")]
    pub region: Option<String>,
    pub is_active: Option<bool>,
    pub ses_credentials: Option<SesCredentialsInput>,
    pub scaleway_credentials: Option<ScalewayCredentialsInput>,
    pub smtp_credentials: Option<SmtpCredentialsInput>,
    #[schema(ignore)]
    provider_type: Option<IgnoredAny>,
}

impl From<SesCredentialsInput> for SesBlock {
    fn from(wire: SesCredentialsInput) -> Self {
        SesBlock { access_key_id: wire.access_key_id, secret_access_key: wire.secret_access_key }
    }
}

impl From<ScalewayCredentialsInput> for ScalewayBlock {
    fn from(wire: ScalewayCredentialsInput) -> Self {
        ScalewayBlock { api_key: wire.api_key, project_id: wire.project_id }
    }
}

impl From<SmtpCredentialsInput> for SmtpBlock {
    fn from(wire: SmtpCredentialsInput) -> Self {
        SmtpBlock {
            host: wire.host,
            port: wire.port,
            username: wire.username,
            password: wire.password,
            encryption: wire.encryption,
            accept_invalid_certs: wire.accept_invalid_certs,
        }
    }
}

impl From<CreateEmailProviderRequest> for NewEmailProviderInput {
    fn from(wire: CreateEmailProviderRequest) -> Self {
        NewEmailProviderInput {
            name: wire.name,
            provider_type: wire.provider_type,
            region: wire.region,
            is_active: wire.is_active,
            ses_credentials: wire.ses_credentials.map(Into::into),
            scaleway_credentials: wire.scaleway_credentials.map(Into::into),
            smtp_credentials: wire.smtp_credentials.map(Into::into),
        }
    }
}

impl From<UpdateEmailProviderRequest> for EmailProviderUpdate {
    fn from(wire: UpdateEmailProviderRequest) -> Self {
        EmailProviderUpdate {
            name: wire.name,
            region: wire.region,
            is_active: wire.is_active,
            ses_credentials: wire.ses_credentials.map(Into::into),
            scaleway_credentials: wire.scaleway_credentials.map(Into::into),
            smtp_credentials: wire.smtp_credentials.map(Into::into),
            provider_type_sent: wire.provider_type.is_some(),
        }
    }
}

/// The wire and the domain's rules together: what a body validates into.
#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::domain::email_provider::{
        CredentialsUpdate, EmailProviderPatch, NewEmailProvider, SmtpCredentials, SmtpUpdate,
    };
    use crate::domain::host::Host;
    use crate::domain::secret::ExposeSecret;
    use crate::domain::Invalid;

    fn create(body: Value) -> Result<NewEmailProvider, Invalid> {
        NewEmailProviderInput::from(serde_json::from_value::<CreateEmailProviderRequest>(body).unwrap()).validate()
    }

    fn update(body: Value, existing: ProviderType) -> Result<EmailProviderPatch, Invalid> {
        EmailProviderUpdate::from(serde_json::from_value::<UpdateEmailProviderRequest>(body).unwrap())
            .validate(existing)
    }

    #[test]
    fn ses_masks_both_fields() {
        let p = create(json!({"name": "SES", "provider_type": "ses", "region": "eu-west-1",
            "ses_credentials": {"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}}))
        .unwrap();
        assert!(p.is_active);
        assert_eq!(p.credentials.masked(), json!({"access_key_id": "AKIA...MPLE", "secret_access_key": "***"}));
    }

    #[test]
    fn smtp_defaults_and_mask() {
        let p = create(json!({"name": "Relay", "provider_type": "smtp", "region": "local",
            "smtp_credentials": {"host": "smtp.example.com", "port": 587, "username": "mailer@example.com", "password": "pw"}}))
        .unwrap();
        assert_eq!(
            p.credentials.masked(),
            json!({"host": "smtp.example.com", "port": 587, "username": "m***@example.com", "password": "***",
                   "encryption": "starttls", "accept_invalid_certs": false})
        );
        let p = create(json!({"name": "Relay", "provider_type": "smtp", "region": "local",
            "smtp_credentials": {"host": "smtp.example.com", "port": 25, "encryption": "none"}}))
        .unwrap();
        assert_eq!(p.credentials.masked()["username"], Value::Null);
        assert_eq!(p.credentials.masked()["password"], Value::Null);
    }

    #[test]
    fn create_requires_the_matching_block() {
        let err = create(json!({"name": "x", "provider_type": "ses", "region": "eu-west-1"})).unwrap_err();
        assert_eq!(err.message(), "ses_credentials is required for provider_type ses");
        let err = create(json!({"name": "x", "provider_type": "ses", "region": "eu-west-1",
            "scaleway_credentials": {"api_key": "k", "project_id": "p"}}))
        .unwrap_err();
        assert_eq!(err.message(), "Credential block does not match provider type (ses)");
    }

    #[test]
    fn update_rules_in_documented_order() {
        let mismatch = json!({"name": " ", "smtp_credentials": {"host": "h.example.com", "port": 25}});
        assert_eq!(
            update(mismatch, ProviderType::Ses).unwrap_err().message(),
            "Credential block does not match existing provider type (ses)"
        );
        assert_eq!(
            update(json!({"name": "  "}), ProviderType::Ses).unwrap_err().message(),
            "Provider name cannot be empty"
        );
        let two = json!({"ses_credentials": {}, "smtp_credentials": {}});
        assert_eq!(
            update(two, ProviderType::Ses).unwrap_err().message(),
            "Only one credential block (ses/scaleway/smtp) may be supplied per update"
        );
        let no_host = json!({"smtp_credentials": {"host": "", "port": 25}});
        assert_eq!(update(no_host, ProviderType::Smtp).unwrap_err().message(), "smtp_credentials.host is required");
        let port0 = json!({"smtp_credentials": {"host": "smtp.example.com", "port": 0}});
        assert_eq!(
            update(port0, ProviderType::Smtp).unwrap_err().message(),
            "smtp_credentials.port must be greater than 0"
        );
        let big = json!({"smtp_credentials": {"host": "smtp.example.com", "port": 70000}});
        assert_eq!(
            update(big, ProviderType::Smtp).unwrap_err().message(),
            "smtp_credentials.port must be at most 65535"
        );
    }

    #[test]
    fn provider_type_cannot_be_patched() {
        let err = update(json!({"provider_type": "smtp"}), ProviderType::Ses).unwrap_err();
        assert!(err.message().starts_with("provider_type cannot be changed"));
    }

    #[test]
    fn debug_never_shows_secrets() {
        let p = create(json!({"name": "S", "provider_type": "scaleway", "region": "fr-par",
            "scaleway_credentials": {"api_key": "scw-secret-value", "project_id": "proj"}}))
        .unwrap();
        assert!(!format!("{p:?}").contains("scw-secret-value"));
    }

    fn smtp_update(block: Value) -> SmtpUpdate {
        match update(json!({"smtp_credentials": block}), ProviderType::Smtp).unwrap().credentials {
            Some(CredentialsUpdate::Smtp(u)) => u,
            other => panic!("not an SMTP update: {other:?}"),
        }
    }

    fn stored() -> SmtpCredentials {
        SmtpCredentials {
            host: Host::parse("smtp.example.com").unwrap(),
            port: 587,
            username: Some("mailer@example.com".into()),
            password: Some(SecretString::from("stored-password")),
            encryption: SmtpEncryption::Starttls,
            accept_invalid_certs: false,
        }
    }

    #[test]
    fn a_kept_password_follows_only_its_destination() {
        let same = smtp_update(json!({"host": "smtp.example.com", "port": 587}));
        assert!(same.keeps_stored_values());
        let kept = same.apply(Some(stored())).unwrap();
        assert_eq!(kept.password.as_ref().map(|p| p.expose_secret().to_string()), Some("stored-password".into()));
        assert_eq!(kept.username.as_deref(), Some("mailer@example.com"));
        // Turning certificate checks back on keeps it too: the destination
        // only gets stricter.
        let lax = SmtpCredentials { accept_invalid_certs: true, ..stored() };
        let strict = smtp_update(json!({"host": "smtp.example.com", "port": 587, "accept_invalid_certs": false}));
        assert!(!strict.apply(Some(lax)).unwrap().accept_invalid_certs);
        for moved in [
            json!({"host": "smtp.example.com", "port": 587, "accept_invalid_certs": true}),
            json!({"host": "attacker.example.net", "port": 587}),
            json!({"host": "smtp.example.com", "port": 2525}),
            json!({"host": "smtp.example.com", "port": 587, "encryption": "tls"}),
            json!({"host": "smtp.example.com", "port": 587, "password": ""}),
        ] {
            let result = smtp_update(moved.clone()).apply(Some(stored()));
            if moved["password"] == "" {
                assert!(result.is_ok(), "same destination, blank password keeps it");
                continue;
            }
            assert!(result
                .unwrap_err()
                .message()
                .starts_with("smtp_credentials.password is required when host, port or encryption changes"));
        }
        // With the password again, or with the password removed, it may move.
        let with_password =
            smtp_update(json!({"host": "other.example.net", "port": 465, "encryption": "tls", "password": "new"}));
        assert_eq!(with_password.apply(Some(stored())).unwrap().password.unwrap().expose_secret(), "new");
        let without = smtp_update(
            json!({"host": "relay.example.net", "port": 25, "encryption": "none", "username": null, "password": null}),
        );
        let relay = without.apply(Some(stored())).unwrap();
        assert!(relay.password.is_none() && relay.username.is_none());
    }

    #[test]
    fn no_password_over_an_unencrypted_connection() {
        let err = create(json!({"name": "Relay", "provider_type": "smtp", "region": "local",
            "smtp_credentials": {"host": "smtp.example.com", "port": 25, "encryption": "none", "username": "u", "password": "pw"}}))
        .unwrap_err();
        assert!(
            err.message().starts_with("smtp_credentials.password cannot be sent over encryption none"),
            "{}",
            err.message()
        );
        // Downgrading a stored provider keeps its password, so it is refused too.
        let down =
            smtp_update(json!({"host": "smtp.example.com", "port": 587, "encryption": "none", "password": "pw"}));
        assert!(down.apply(Some(stored())).is_err());
    }
}
