//! The typed settings of a run of a component, built once from wherever they come from (flags
//! and `BATON_*` variables, a tenant file, a ConductorOne task): the component, its checked
//! configuration and credential, the sandbox's limits and the HTTP capability's settings.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::component::DeclaredComponent;
use crate::config::credential::{self, ChosenCredential, CredentialError};
use crate::config::origins::{OriginError, origin_urls};
use crate::config::{ComponentConfig, Given, ValueError};
use crate::http::{HttpCapability, HttpSettings, HttpSetupError};
use crate::runtime::{CallError, ContractVersion, Instance, Limits};
use crate::sync::SyncScope;
use crate::sync::scope::credential_fingerprint;
use crate::transport::{NetworkSettings, ProxyError};

/// Why the settings do not describe a usable run.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A configuration value does not fit the component's schema.
    #[error(transparent)]
    Value(#[from] ValueError),
    /// The credential fields do not make one credential.
    #[error(transparent)]
    Credential(#[from] CredentialError),
    /// A declared origin is not a usable URL.
    #[error(transparent)]
    Origin(#[from] OriginError),
    /// A proxy variable is unusable.
    #[error(transparent)]
    Proxy(#[from] ProxyError),
    /// The HTTP capability could not be set up.
    #[error(transparent)]
    Http(#[from] HttpSetupError),
    /// The component could not be instantiated.
    #[error(transparent)]
    Call(#[from] CallError),
}

/// The host's limits on a run, apart from the component's configuration.
#[derive(Clone, Debug)]
pub struct RunLimits {
    /// The sandbox's limits on the instance and its calls.
    pub sandbox: Limits,
    /// Largest response body accepted.
    pub max_response_bytes: usize,
    /// Time allowed for one HTTP attempt.
    pub request_timeout: Duration,
    /// Longest total backoff for one request.
    pub max_total_wait: Duration,
    /// First backoff wait.
    pub backoff_base: Duration,
    /// Requests per hour to pace to; `None` for no pacing.
    pub requests_per_hour: Option<u32>,
    /// The most plugin calls of a sync that run at once (each on an instance of its own).
    pub concurrency: usize,
}

/// Calls in flight by default: enough to hide round trips of 100-300 ms, few enough for a
/// 2-core machine and the API's rate limit.
pub const DEFAULT_CONCURRENCY: usize = 8;

impl Default for RunLimits {
    fn default() -> Self {
        let http = HttpSettings::default();
        RunLimits {
            sandbox: Limits::default(),
            max_response_bytes: http.max_response_bytes,
            request_timeout: http.request_timeout,
            max_total_wait: http.max_total_wait,
            backoff_base: http.backoff_base,
            requests_per_hour: None,
            concurrency: DEFAULT_CONCURRENCY,
        }
    }
}

/// Everything one run of a component needs.
#[derive(Clone)]
pub struct RunSettings {
    /// The component and its declaration.
    pub component: DeclaredComponent,
    /// Its configuration, checked against its schema.
    pub config: ComponentConfig,
    /// The credential given, if any.
    pub credential: Option<ChosenCredential>,
    /// The host's limits.
    pub limits: RunLimits,
    /// The HTTP capability's settings (origins from the configuration).
    pub http: HttpSettings,
}

impl RunSettings {
    /// Checks `given` against the component's schema, picks the credential (required when
    /// `credential_needed`) and resolves the origins the guest may reach; the proxy and trusted
    /// roots are `network`'s.
    pub fn new(
        component: DeclaredComponent,
        given: BTreeMap<String, Given>,
        limits: RunLimits,
        network: NetworkSettings,
        credential_needed: bool,
    ) -> Result<RunSettings, SettingsError> {
        let config = ComponentConfig::new(&component.schema, given)?;
        let chosen = credential::choose(&config)?;
        // A 0.1.0 component's credential kinds are the host's fixed list, not its own: it may
        // need none.
        let declares_its_credentials = component.plugin.contract_version() != ContractVersion::V0_1;
        if chosen.is_none()
            && credential_needed
            && declares_its_credentials
            && !component.schema.credential_kinds.is_empty()
        {
            return Err(credential::none_given(&config).into());
        }
        let http = HttpSettings {
            max_response_bytes: limits.max_response_bytes,
            request_timeout: limits.request_timeout,
            max_total_wait: limits.max_total_wait,
            backoff_base: limits.backoff_base,
            requests_per_hour: limits.requests_per_hour,
            network,
            ..HttpSettings::for_origins(origin_urls(&config)?)
        };
        Ok(RunSettings {
            component,
            config,
            credential: chosen,
            limits,
            http,
        })
    }

    /// The name of the credential kind in use, `none` without one (the guest's `auth-kind`).
    pub fn auth_kind(&self) -> &str {
        self.credential.as_ref().map_or("none", |c| c.kind.as_str())
    }

    /// What the guest may read through `config.get`: every non-secret field, and `auth-kind`.
    pub fn guest_config(&self) -> BTreeMap<String, String> {
        let mut config = self.config.plain().clone();
        config.insert("auth-kind".to_string(), self.auth_kind().to_string());
        config
    }

    /// What a sync with these settings covers, for resuming only the same.
    pub fn scope(&self) -> SyncScope {
        let origin = self
            .http
            .origins
            .first()
            .map(|u| u.as_str().trim_end_matches('/').to_string())
            .unwrap_or_default();
        SyncScope {
            component: self.component.metadata.display_name.clone(),
            version: self.component.metadata.version.clone(),
            base_url: origin,
            credential_kind: self.auth_kind().to_string(),
            credential: credential_fingerprint(self.credential.as_ref().map(|c| &c.credential)),
            config: self.guest_config(),
            selection: Default::default(),
        }
    }

    /// A fresh instance of the component, with its HTTP capability (kept for its counters).
    pub async fn instantiate(&self) -> Result<(Instance, HttpCapability), SettingsError> {
        let http = HttpCapability::new(
            self.http.clone(),
            self.credential.as_ref().map(|c| c.credential.clone()),
        )?;
        let instance = self.instantiate_with(http.clone()).await?;
        Ok((instance, http))
    }

    /// Another instance of the component on an existing HTTP capability (shared by the instances
    /// of one run, so they share its budget, counters and cache).
    pub async fn instantiate_with(&self, http: HttpCapability) -> Result<Instance, CallError> {
        self.component
            .plugin
            .instantiate(&self.limits.sandbox, http, self.guest_config())
            .await
    }
}
