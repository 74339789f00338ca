//! The connector's state for one component instance (one sync, or one provisioning call): the
//! settings, the HTTP client, what it read so far and the warnings it gave. The listings that
//! fill the cache live in `workspaces`, `members`, `groups`, `repositories` and `access`.

use std::rc::Rc;

use connector_sdk::{Client, ConnectorError, Transport, Warnings};

use crate::cache::Cache;
use crate::errors::BitbucketApi;
use crate::settings::{AuthKind, Settings};

/// One instance of the Bitbucket connector.
pub struct Bitbucket {
    /// The API client.
    pub client: Client,
    /// What the operator configured.
    pub settings: Settings,
    /// What this instance read so far.
    pub(crate) cache: Cache,
    warnings: Warnings,
}

impl Bitbucket {
    /// An instance with these settings; sends no request.
    pub fn with_settings(
        transport: Rc<dyn Transport>,
        settings: Settings,
    ) -> Result<Self, ConnectorError> {
        let client = Client::new(
            transport,
            &settings.base_url,
            BitbucketApi {
                auth: settings.auth,
            },
        )?;
        Ok(Bitbucket {
            client,
            settings,
            cache: Cache::default(),
            warnings: Warnings::default(),
        })
    }

    /// Logs a warning once per instance for `key`.
    pub fn warn_once(&mut self, key: &str, message: &str) {
        self.warnings.once(self.client.transport(), key, message);
    }

    /// Whether the credential may be asked for permissions at all: Bitbucket refuses every
    /// permission endpoint to access tokens (reference §1.3), user credentials are asked.
    pub fn reads_permissions(&self) -> bool {
        self.settings.auth != AuthKind::Bearer
    }
}
