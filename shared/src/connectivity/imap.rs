//! IMAP: connect, TLS (implicit or STARTTLS after the greeting),
//! LOGIN or AUTHENTICATE XOAUTH2, LOGOUT. The client insists on TLS itself:
//! a server that would accept LOGIN in clear is never given the chance.

use std::fmt::Debug;
use std::net::SocketAddr;

use async_imap::Client;
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::TlsConnector;

use super::{connect, Failure, Login, Probe, Progress, Security, Trust, TLS_FAILED};
use crate::domain::connectivity::TestStage;

struct XOAuth2<'a> {
    username: &'a str,
    access_token: &'a str,
}

impl async_imap::Authenticator for XOAuth2<'_> {
    type Response = zeroize::Zeroizing<String>;
    fn process(&mut self, _challenge: &[u8]) -> Self::Response {
        zeroize::Zeroizing::new(format!("user={}\x01auth=Bearer {}\x01\x01", self.username, self.access_token))
    }
}

async fn greeting<S: AsyncRead + AsyncWrite + Unpin + Debug + Send>(client: &mut Client<S>) -> Result<(), Failure> {
    match client.read_response().await {
        Ok(Some(_)) => Ok(()),
        _ => Err(Failure::new(TestStage::Protocol, "the server sent no IMAP greeting")),
    }
}

async fn login<S: AsyncRead + AsyncWrite + Unpin + Debug + Send>(
    client: Client<S>,
    login: &Login<'_>,
    progress: &Progress,
) -> Result<(), Failure> {
    progress.at(TestStage::Auth);
    let refused = |_| Failure::new(TestStage::Auth, "the server refused the credentials");
    let mut session = match login {
        Login::Password { username, password } => {
            client.login(username, password).await.map_err(|(e, _)| refused(e))?
        }
        Login::OAuth2 { username, access_token } => {
            client.authenticate("XOAUTH2", XOAuth2 { username, access_token }).await.map_err(|(e, _)| refused(e))?
        }
        Login::None => return Err(Failure::new(TestStage::Auth, "IMAP needs credentials")),
    };
    progress.at(TestStage::Protocol);
    session.logout().await.map_err(|_| Failure::new(TestStage::Protocol, "the server did not accept LOGOUT"))
}

pub(super) async fn check(
    probe: &Probe<'_>,
    address: SocketAddr,
    trust: &Trust,
    progress: &Progress,
) -> Result<(), Failure> {
    progress.at(TestStage::Connect);
    let tcp = connect(address).await?;
    let server_name = ServerName::try_from(probe.host.as_str().to_string())
        .map_err(|_| Failure::new(TestStage::Tls, "the host is not a valid TLS server name"))?;
    let connector = TlsConnector::from(trust.client_config());
    let tls_failed = || Failure::new(TestStage::Tls, TLS_FAILED);
    match probe.security {
        Security::Implicit => {
            progress.at(TestStage::Tls);
            let tls = connector.connect(server_name, tcp).await.map_err(|_| tls_failed())?;
            progress.at(TestStage::Protocol);
            let mut client = Client::new(tls);
            greeting(&mut client).await?;
            login(client, &probe.login, progress).await
        }
        Security::StartTls => {
            progress.at(TestStage::Protocol);
            let mut client = Client::new(tcp);
            greeting(&mut client).await?;
            progress.at(TestStage::Tls);
            client
                .run_command_and_check_ok("STARTTLS", None)
                .await
                .map_err(|_| Failure::new(TestStage::Tls, "the server does not offer STARTTLS"))?;
            let tls = connector.connect(server_name, client.into_inner()).await.map_err(|_| tls_failed())?;
            login(Client::new(tls), &probe.login, progress).await
        }
        Security::Plain => Err(Failure::new(TestStage::Tls, "IMAP credentials are only sent over TLS")),
    }
}
