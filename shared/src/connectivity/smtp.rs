//! SMTP: EHLO, STARTTLS or implicit TLS, AUTH (PLAIN/LOGIN, or XOAUTH2),
//! QUIT, with lettre.

use std::net::SocketAddr;

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Certificate, TlsParameters};
use lettre::transport::smtp::extension::ClientId;

use super::{connect, is_connect_error, Failure, Login, Probe, Progress, Security, Trust, TLS_FAILED};
use crate::domain::connectivity::TestStage;

fn tls_parameters(probe: &Probe<'_>, trust: &Trust) -> Result<TlsParameters, Failure> {
    let mut builder = TlsParameters::builder(probe.host.as_str().to_string())
        .dangerous_accept_invalid_certs(probe.accept_invalid_certs);
    for root in trust.extra_roots.iter() {
        builder = builder.add_root_certificate(
            Certificate::from_der(root.to_vec())
                .map_err(|_| Failure::new(TestStage::Tls, "a certificate of the extra CA bundle is not usable"))?,
        );
    }
    builder.build_rustls().map_err(|_| Failure::new(TestStage::Tls, "TLS could not be set up"))
}

fn connect_failure(err: lettre::transport::smtp::Error, security: Security) -> Failure {
    if is_connect_error(&err) {
        Failure::new(TestStage::Connect, "could not connect to the server")
    } else if err.is_tls() || security == Security::Implicit && !err.is_response() {
        Failure::new(TestStage::Tls, TLS_FAILED)
    } else {
        Failure::new(TestStage::Protocol, "the server did not greet or answer EHLO as an SMTP server")
    }
}

pub(super) async fn check(
    probe: &Probe<'_>,
    address: SocketAddr,
    trust: &Trust,
    progress: &Progress,
) -> Result<(), Failure> {
    let hello = ClientId::Domain("mailkeys.invalid".to_string());
    progress.at(TestStage::Connect);
    let tcp = connect(address).await?;
    let mut connection = match probe.security {
        Security::Implicit => {
            // lettre makes its own TLS connection (to the same checked
            // address); the one above told a closed port from a TLS failure.
            drop(tcp);
            progress.at(TestStage::Tls);
            let parameters = tls_parameters(probe, trust)?;
            AsyncSmtpConnection::connect_tokio1(address, None, &hello, Some(parameters), None).await
        }
        Security::StartTls | Security::Plain => {
            progress.at(TestStage::Protocol);
            AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &hello).await
        }
    }
    .map_err(|e| connect_failure(e, probe.security))?;
    if probe.security == Security::StartTls {
        progress.at(TestStage::Tls);
        if !connection.can_starttls() {
            return Err(Failure::new(TestStage::Tls, "the server does not offer STARTTLS"));
        }
        connection.starttls(tls_parameters(probe, trust)?, &hello).await.map_err(|_| {
            Failure::new(TestStage::Tls, "the TLS handshake failed (an untrusted or mismatched certificate)")
        })?;
    }
    let credentials = match &probe.login {
        Login::Password { username, password } => Some((
            Credentials::new(username.to_string(), password.to_string()),
            vec![Mechanism::Plain, Mechanism::Login],
        )),
        Login::OAuth2 { username, access_token } => {
            Some((Credentials::new(username.to_string(), access_token.to_string()), vec![Mechanism::Xoauth2]))
        }
        Login::None => None,
    };
    if let Some((credentials, mechanisms)) = credentials {
        progress.at(TestStage::Auth);
        connection
            .auth(&mechanisms, &credentials)
            .await
            .map_err(|_| Failure::new(TestStage::Auth, "the server refused the credentials"))?;
    }
    progress.at(TestStage::Protocol);
    if let Some(test) = &probe.message {
        let message = lettre::Message::builder()
            .from(lettre::message::Mailbox::new(Some("Mailkeys".into()), test.from.clone()))
            .to(lettre::message::Mailbox::new(None, test.to.clone()))
            .subject("Mailkeys connectivity test")
            .body("This message was sent by a Mailkeys connectivity test.".to_string())
            .map_err(|_| Failure::new(TestStage::Protocol, "the test message could not be built"))?;
        connection
            .send(message.envelope(), &message.formatted())
            .await
            .map_err(|_| Failure::new(TestStage::Protocol, "the server did not accept the test message"))?;
    }
    connection.quit().await.map_err(|_| Failure::new(TestStage::Protocol, "the server did not accept QUIT"))?;
    Ok(())
}
