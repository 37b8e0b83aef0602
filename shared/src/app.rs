//! The application state: clients and services, built once per cold start
//! and shared by every request.

use std::sync::Arc;

use aws_config::SdkConfig;

use crate::config::{ConfigError, Settings};
use crate::crypto::Envelope;
use crate::service::accounts::Accounts;
use crate::service::audit::AuditLog;
use crate::service::email_providers::EmailProviders;
use crate::service::exposure::Exposures;
use crate::service::health::Health;
use crate::service::keys::Keys;
use crate::service::provider_credentials::ProviderCredentials;
use crate::service::rate_limit::RateLimiter;
use crate::service::reminders::Reminders;
use crate::service::resolve::Resolver;
use crate::service::scanning_keys::ScanningKeys;
use crate::service::webhooks::Webhooks;
use crate::store::Store;

#[derive(Clone, Debug)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub email_providers: EmailProviders,
    pub provider_credentials: ProviderCredentials,
    pub accounts: Accounts,
    pub audit: AuditLog,
    pub health: Health,
    pub resolver: Resolver,
    pub keys: Keys,
    pub rate_limiter: RateLimiter,
    pub exposures: Exposures,
    pub scanning_keys: ScanningKeys,
    pub webhooks: Webhooks,
    pub reminders: Reminders,
}

impl AppState {
    pub fn new(settings: Settings, sdk: &SdkConfig) -> AppState {
        Self::with_clients(settings, sdk, aws_sdk_dynamodb::Client::new(sdk), aws_sdk_kms::Client::new(sdk))
    }

    /// The state over clients built elsewhere (tests wrap them to count calls).
    pub fn with_clients(
        settings: Settings,
        sdk: &SdkConfig,
        ddb: aws_sdk_dynamodb::Client,
        kms: aws_sdk_kms::Client,
    ) -> AppState {
        let store = Store::new(ddb, settings.tables.clone());
        let envelope = Envelope::new(kms, settings.kms_key_id.clone());
        let keys = Keys::new(store.clone(), settings.key_prefix());
        let email_providers =
            EmailProviders::new(store.clone(), envelope.clone(), settings.connectivity.clone(), sdk.clone());
        let provider_credentials =
            ProviderCredentials::new(store.clone(), envelope.clone(), settings.connectivity.clone());
        let sender = crate::connectivity::webhook::WebhookSender::new(
            settings.connectivity.allow_private_hosts,
            settings.connectivity.trust.clone(),
        );
        let webhooks = Webhooks::new(store.clone(), envelope.clone(), sender, settings.webhooks_https_only());
        AppState {
            webhooks,
            reminders: Reminders::new(store.clone()),
            resolver: Resolver::new(store.clone(), email_providers.clone(), provider_credentials.clone()),
            email_providers,
            provider_credentials,
            accounts: Accounts::new(store.clone(), keys.clone()),
            rate_limiter: RateLimiter::new(store.clone()),
            exposures: Exposures::new(store.clone()),
            scanning_keys: ScanningKeys::new(
                settings.github_scanning_keys_url.clone(),
                settings.connectivity.trust.clone(),
            ),
            audit: AuditLog::new(store.clone()),
            health: Health::new(store.clone(), envelope),
            keys,
            store,
            settings: Arc::new(settings),
        }
    }

    /// Settings and AWS configuration from the environment, as a function
    /// has them ([`crate::aws::function_sdk_config`]), every AWS call
    /// bounded; the endpoint comes from `AWS_ENDPOINT_URL*` when set (a
    /// local emulator).
    pub async fn from_env() -> Result<AppState, ConfigError> {
        let settings = Settings::from_env()?;
        Ok(AppState::new(settings, &crate::aws::function_sdk_config()))
    }
}
