//! Certificate trust for connectivity tests: the system roots plus, where
//! the deployment names one, an extra PEM bundle (`MAILKEYS_EXTRA_CA_FILE`).

use std::sync::{Arc, OnceLock};

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

/// The trust configuration. The system roots are read on first use only:
/// of all the functions, only the two `/test` routes make TLS connections
/// of their own, and reading the system store would slow every cold start.
#[derive(Clone, Debug)]
pub struct Trust {
    /// The extra roots, for SMTP (lettre builds its own TLS configuration).
    pub extra_roots: Arc<Vec<CertificateDer<'static>>>,
    client_config: Arc<OnceLock<Arc<ClientConfig>>>,
}

impl Trust {
    /// Checks the extra bundle now (a bad one is a configuration error at
    /// start); the system roots wait for the first connection.
    pub fn new(extra_ca_pem: Option<&[u8]>) -> Result<Trust, String> {
        let extra_roots: Vec<CertificateDer<'static>> = match extra_ca_pem {
            Some(pem) => CertificateDer::pem_slice_iter(pem)
                .collect::<Result<_, _>>()
                .map_err(|_| "the extra CA bundle is not valid PEM".to_string())?,
            None => Vec::new(),
        };
        if !extra_roots.is_empty() {
            client_config(RootCertStore::empty(), &extra_roots)?;
        }
        Ok(Trust { extra_roots: Arc::new(extra_roots), client_config: Arc::default() })
    }

    /// For IMAP (tokio-rustls) and HTTP APIs: the system roots plus the extra ones.
    pub fn client_config(&self) -> Arc<ClientConfig> {
        self.client_config
            .get_or_init(|| {
                let mut roots = RootCertStore::empty();
                // A missing or unreadable system store leaves only the extra roots.
                for cert in rustls_native_certs::load_native_certs().certs {
                    let _ = roots.add(cert);
                }
                client_config(roots, &self.extra_roots).expect("the same configuration was built at start")
            })
            .clone()
    }
}

/// One crypto provider (aws-lc-rs, as the AWS SDK uses) for the process,
/// so that any other rustls client here (reqwest's) agrees with ours.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

fn client_config(
    mut roots: RootCertStore,
    extra_roots: &[CertificateDer<'static>],
) -> Result<Arc<ClientConfig>, String> {
    for cert in extra_roots {
        roots.add(cert.clone()).map_err(|_| "a certificate of the extra CA bundle is not usable".to_string())?;
    }
    install_crypto_provider();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}
