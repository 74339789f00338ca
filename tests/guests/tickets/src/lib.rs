//! A small ticket-tracker connector on `connector-sdk`, with a configuration schema of its own
//! and a Bearer credential, so the host can prove that its CLI, credential handling and
//! allow-list come from a component's metadata and not from Bitbucket.
//!
//! Configuration: `api-url` (required: the API's base URL; the only reachable origin),
//! `api-key` (secret, sent by the host as `Authorization: Bearer <key>`), `projects` (a
//! comma-separated list of project keys; all projects when empty).
//!
//! The API it reads, under `api-url` (JSON; every listing is paged as
//! `{"values": [...], "next": "<absolute or root-relative URL of the next page>"}`, `next`
//! absent or null on the last page):
//!
//! | request | answer |
//! |---|---|
//! | `GET /users?per_page=100` | users: `{"id": "u1", "name": "Ada Lovelace", "email": "ada@example.com", "active": true}` (`name`, `email`, `active` optional) |
//! | `GET /projects?per_page=100` | projects: `{"key": "OPS", "name": "Operations", "members": [{"user": "u1", "role": "admin"}]}` (`name`, `members` optional; roles `member`, `admin`) |
//! | `GET /projects/{key}` | one project, as above (provisioning reads the current role) |
//! | `PUT /projects/{key}/members/{user}` with `{"role": "member"}` or `{"role": "admin"}` | any 2xx |
//! | `DELETE /projects/{key}/members/{user}` | any 2xx; 404 when not a member |
//!
//! Resource types: `user` (user trait; status from `active`) and `project` (group trait) with
//! the entitlements `member` and `admin`, granted from the embedded members, and provisioned.

use std::rc::Rc;

use connector_sdk::{
    Client, Config, ConfigField, Connector, ConnectorError, CredentialKind, FieldGroup, FieldType,
    Metadata, Origin, ResourceSyncer, Service, Transport,
};

mod api;
mod projects;
mod users;

const API_URL: &str = "api-url";
const API_KEY: &str = "api-key";
const PROJECTS: &str = "projects";

/// The ticket tracker's API, as the SDK's client sees it.
struct TicketsApi;

impl Service for TicketsApi {
    fn name(&self) -> &str {
        "the ticket tracker"
    }
    fn url_field(&self) -> &str {
        API_URL
    }
    fn url_example(&self) -> &str {
        "https://tickets.example.com/api"
    }
}

/// One instance: the API client and the projects to sync.
pub struct Tickets {
    client: Client,
    /// Project keys to sync (upper case); all when empty.
    projects: Vec<String>,
}

impl Connector for Tickets {
    fn metadata() -> Metadata {
        Metadata {
            config_fields: vec![
                ConfigField::new(
                    API_URL,
                    FieldType::Text,
                    FieldGroup::Connection,
                    "The ticket tracker's API URL; only this host is reachable.",
                )
                .required(),
                ConfigField::new(
                    API_KEY,
                    FieldType::Text,
                    FieldGroup::Connection,
                    "An API key of the ticket tracker (sent as Bearer).",
                )
                .secret(),
                ConfigField::new(
                    PROJECTS,
                    FieldType::TextList,
                    FieldGroup::Sync,
                    "Limit syncing to these project keys (comma-separated); all when empty.",
                ),
            ],
            credential_kinds: vec![CredentialKind::bearer(
                API_KEY,
                "an API key of the ticket tracker",
                API_KEY,
            )],
            origins: vec![Origin::FromField(API_URL.into())],
            ..Metadata::new(
                "Tickets",
                "Syncs the users and projects of a ticket tracker, with project membership and \
administration, and provisions both.",
                env!("CARGO_PKG_VERSION"),
            )
        }
    }

    fn syncers() -> &'static [&'static dyn ResourceSyncer<Self>] {
        &[&users::UserSyncer, &projects::ProjectSyncer]
    }

    fn new(transport: Rc<dyn Transport>, config: &Config) -> Result<Self, ConnectorError> {
        let url = config.text(API_URL).ok_or_else(|| {
            ConnectorError::InvalidArgument(
                "api-url is not set: give the ticket tracker's API URL with --api-url".into(),
            )
        })?;
        Ok(Tickets {
            client: Client::new(transport, &url, TicketsApi)?,
            projects: config
                .list(PROJECTS)
                .into_iter()
                .map(|k| k.to_ascii_uppercase())
                .collect(),
        })
    }

    /// One page of users: the API answers and the credential is accepted.
    fn validate(&mut self) -> Result<(), ConnectorError> {
        let url = self.client.url(&["users"], &[("per_page", api::PER_PAGE)]);
        self.client
            .get_page::<api::User>(&url, api::EP_USERS)
            .map(|_| ())
    }
}

connector_sdk::export_connector!(Tickets);
