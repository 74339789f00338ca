//! The typed settings of a run of a component, built once from wherever they come from (flags
//! and `BATON_*` variables, a tenant file, a ConductorOne task): the component, its checked
//! configuration and credential, the sandbox's limits and the HTTP capability's settings.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::component::DeclaredComponent;
use crate::config::credential::{self, ChosenCredential, CredentialError};
use crate::config::origins::{OriginError, origin_urls};
use crate::config::{ComponentConfig, Given, ValueError};
use crate::http::{BudgetSettings, HttpCapability, HttpSettings, HttpSetupError};
use crate::runtime::{CallError, ContractVersion, Instance, Limits, LogLimits, PluginLog};
use crate::sync::scope::credential_fingerprint;
use crate::sync::{SyncLimits, SyncScope};
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
    /// Requests allowed per rolling window.
    pub requests_per_window: RequestsPerWindow,
    /// The rolling window's length (an hour for Bitbucket).
    pub rate_window: Duration,
    /// The most plugin calls of a sync that run at once (each on an instance of its own).
    pub concurrency: usize,
    /// A sync's deadline and its caps on rows and on its in-progress file.
    pub sync: SyncLimits,
    /// The bounds on the plugin's log lines (length, rate), per run.
    pub log: LogLimits,
}

/// How many requests a run may send in any rolling window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestsPerWindow {
    /// No budget: requests go as fast as the calls make them.
    Unlimited,
    /// [`DEFAULT_REQUESTS_PER_WINDOW`], or the limit the API reports (`X-RateLimit-Limit`) once
    /// it reports one.
    Default,
    /// Exactly this many; a reported limit does not replace it.
    Exactly(u32),
}

/// The default budget: what Bitbucket allows a user credential per rolling hour.
pub const DEFAULT_REQUESTS_PER_WINDOW: u32 = 1000;

/// The default rolling window.
pub const DEFAULT_RATE_WINDOW: Duration = Duration::from_secs(3600);

impl RequestsPerWindow {
    /// The budget's settings over `window`, if there is a budget.
    pub fn budget(self, window: Duration) -> Option<BudgetSettings> {
        let (limit, adopt_reported) = match self {
            RequestsPerWindow::Unlimited => return None,
            RequestsPerWindow::Default => (DEFAULT_REQUESTS_PER_WINDOW, true),
            RequestsPerWindow::Exactly(n) => (n, false),
        };
        Some(BudgetSettings {
            limit,
            window,
            adopt_reported,
        })
    }
}

/// Calls in flight by default: enough to hide round trips of 100-300 ms, few enough for a
/// 2-core machine and the API's rate limit.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// A sync's deadline by default: twice the ~12 h that a very large workspace needs under
/// Bitbucket's 1,000 requests an hour (about 12,000 requests), so only a sync that never ends
/// reaches it.
pub const DEFAULT_SYNC_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

/// Rows a sync may write by default: ten times a large Bitbucket organisation's (the simulator's
/// large scale, 3,000 users and 10,000 repositories: 94,000 rows from 11,700 requests, about 12 h
/// under 1,000 requests an hour), so a legitimate sync stays far below it while a plugin whose
/// listings never end is stopped within seconds.
pub const DEFAULT_MAX_SYNC_ROWS: u64 = 1_000_000;

/// MiB a sync may add to its in-progress file by default: just above what the default row cap
/// allows at a Bitbucket row's size (the large organisation's 94,000 rows take 252 MB, 2.7 KB a
/// row with indexes), so it stops only syncs of abnormally large objects.
pub const DEFAULT_MAX_SYNC_MIB: u64 = 3072;

impl SyncLimits {
    /// The default bounds of a sync.
    pub fn defaults() -> SyncLimits {
        SyncLimits {
            timeout: Some(DEFAULT_SYNC_TIMEOUT),
            max_rows: Some(DEFAULT_MAX_SYNC_ROWS),
            max_bytes: Some(DEFAULT_MAX_SYNC_MIB << 20),
        }
    }
}

impl Default for RunLimits {
    fn default() -> Self {
        let http = HttpSettings::default();
        RunLimits {
            sandbox: Limits::default(),
            max_response_bytes: http.max_response_bytes,
            request_timeout: http.request_timeout,
            max_total_wait: http.max_total_wait,
            backoff_base: http.backoff_base,
            requests_per_window: RequestsPerWindow::Default,
            rate_window: DEFAULT_RATE_WINDOW,
            concurrency: DEFAULT_CONCURRENCY,
            sync: SyncLimits::defaults(),
            log: LogLimits::default(),
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
            budget: limits.requests_per_window.budget(limits.rate_window),
            max_in_flight: limits.concurrency.max(1),
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

    /// A fresh instance of the component, and what the run's further instances share with it
    /// (its HTTP capability, kept for its counters, and its plugin log).
    pub async fn instantiate(&self) -> Result<(Instance, RunShared), SettingsError> {
        let http = HttpCapability::new(
            self.http.clone(),
            self.credential.as_ref().map(|c| c.credential.clone()),
        )?;
        let shared = RunShared {
            http,
            log: self.component.plugin.log(self.limits.log.clone()),
        };
        let instance = self.instantiate_with(&shared).await?;
        Ok((instance, shared))
    }

    /// Another instance of the component in an existing run: on its HTTP capability (so the
    /// instances share its budget, counters and cache) and its plugin log (its cap and dedupe).
    pub async fn instantiate_with(&self, shared: &RunShared) -> Result<Instance, CallError> {
        self.component
            .plugin
            .instantiate_logging(
                &self.limits.sandbox,
                shared.http.clone(),
                self.guest_config(),
                shared.log.clone(),
            )
            .await
    }
}

/// What the instances of one run share.
#[derive(Clone)]
pub struct RunShared {
    /// The HTTP capability: its request budget, counters and shared reads.
    pub http: HttpCapability,
    /// The plugin log: its rate cap, and the warnings already said.
    pub log: PluginLog,
}
