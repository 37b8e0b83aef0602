//! Certificate trust for connectivity tests: the system roots plus, where
//! the deployment names one, an extra PEM bundle (`MAILKEYS_EXTRA_CA_FILE`).

use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

/// The trust configuration, built once per cold start.
#[derive(Clone, Debug)]
pub struct Trust {
    /// For IMAP (tokio-rustls).
    pub client_config: Arc<ClientConfig>,
    /// The extra roots, for SMTP (lettre builds its own TLS configuration).
    pub extra_roots: Vec<CertificateDer<'static>>,
}

impl Trust {
    pub fn new(extra_ca_pem: Option<&[u8]>) -> Result<Trust, String> {
        let extra_roots: Vec<CertificateDer<'static>> = match extra_ca_pem {
            Some(pem) => CertificateDer::pem_slice_iter(pem)
                .collect::<Result<_, _>>()
                .map_err(|_| "the extra CA bundle is not valid PEM".to_string())?,
            None => Vec::new(),
        };
        let mut roots = RootCertStore::empty();
        // A missing or unreadable system store leaves only the extra roots.
        for cert in rustls_native_certs::load_native_certs().certs {
            let _ = roots.add(cert);
        }
        for cert in &extra_roots {
            roots.add(cert.clone()).map_err(|_| "a certificate of the extra CA bundle is not usable".to_string())?;
        }
        // One crypto provider (aws-lc-rs, as the AWS SDK uses) for the
        // process, so that any other rustls client here agrees with ours.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let client_config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Trust { client_config: Arc::new(client_config), extra_roots })
    }
}
