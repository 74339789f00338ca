//! The wit-bindgen glue (wasm32 only): converts between the generated WIT types and
//! `crate::model`, and keeps one `Connector` per component instance.

use std::cell::RefCell;

use crate::client::{HttpError, HttpRequest, HttpResponse, LogLevel, Method, Transport};
use crate::connector::{Connector, Settings};
use crate::errors::ConnectorError as Error;
use crate::model as m;

// The generated code is not ours to lint (a constructor with many arguments).
#[allow(clippy::too_many_arguments)]
mod generated {
    wit_bindgen::generate!({ world: "connector", path: "../wit/since_v0.1.0" });
}

use generated::Guest;
use generated::baton::connector::types as w;
use generated::baton::connector::{config, http, log};

struct Host;

impl Transport for Host {
    fn send(&self, req: &HttpRequest) -> Result<HttpResponse, HttpError> {
        let method = match req.method {
            Method::Get => http::Method::Get,
            Method::Put => http::Method::Put,
            Method::Delete => http::Method::Delete,
        };
        let r = http::Request {
            method,
            url: req.url.clone(),
            headers: req
                .headers
                .iter()
                .map(|(name, value)| http::Header {
                    name: name.clone(),
                    value: value.clone(),
                })
                .collect(),
            body: req.body.clone(),
            endpoint: req.endpoint.clone(),
        };
        match http::send(&r) {
            Ok(resp) => Ok(HttpResponse {
                status: resp.status,
                body: resp.body,
            }),
            Err(http::HttpError::Denied(s)) => Err(HttpError::Denied(s)),
            Err(http::HttpError::InvalidRequest(s)) => Err(HttpError::InvalidRequest(s)),
            Err(http::HttpError::Connection(s)) => Err(HttpError::Connection(s)),
            Err(http::HttpError::Timeout(s)) => Err(HttpError::Timeout(s)),
            Err(http::HttpError::TooLarge(s)) => Err(HttpError::TooLarge(s)),
        }
    }

    fn log(&self, level: LogLevel, message: &str) {
        let level = match level {
            LogLevel::Debug => log::Level::Debug,
            LogLevel::Info => log::Level::Info,
            LogLevel::Warn => log::Level::Warn,
        };
        log::log(level, message);
    }
}

thread_local! {
    static STATE: RefCell<Option<Connector<Host>>> = const { RefCell::new(None) };
}

/// Runs `f` on the instance's connector, creating it from the config on first use.
fn with<R>(
    f: impl FnOnce(&mut Connector<Host>) -> Result<R, Error>,
) -> Result<R, w::ConnectorError> {
    STATE
        .with(|cell| {
            let mut slot = cell.borrow_mut();
            if slot.is_none() {
                let settings = Settings::from_config(config::get)?;
                *slot = Some(Connector::new(Host, settings)?);
            }
            match slot.as_mut() {
                Some(c) => f(c),
                None => Err(Error::Internal("connector not initialised".into())),
            }
        })
        .map_err(err_out)
}

fn err_out(e: Error) -> w::ConnectorError {
    match e {
        Error::Unauthenticated(s) => w::ConnectorError::Unauthenticated(s),
        Error::PermissionDenied(s) => w::ConnectorError::PermissionDenied(s),
        Error::NotFound(s) => w::ConnectorError::NotFound(s),
        Error::InvalidArgument(s) => w::ConnectorError::InvalidArgument(s),
        Error::RateLimited(s) => w::ConnectorError::RateLimited(s),
        Error::Unavailable(s) => w::ConnectorError::Unavailable(s),
        Error::Internal(s) => w::ConnectorError::Internal(s),
    }
}

// ---- model → WIT ----

fn rid_out(r: m::ResourceId) -> w::ResourceId {
    w::ResourceId {
        resource_type: r.resource_type,
        id: r.id,
    }
}

fn profile_out(p: Vec<m::ProfileEntry>) -> Vec<w::ProfileEntry> {
    p.into_iter()
        .map(|e| w::ProfileEntry {
            key: e.key,
            value: e.value,
        })
        .collect()
}

fn resource_out(r: m::ResourceInfo) -> w::ResourceInfo {
    w::ResourceInfo {
        id: rid_out(r.id),
        parent: r.parent.map(rid_out),
        display_name: r.display_name,
        description: r.description,
        user: r.user.map(|u| w::UserTrait {
            login: u.login,
            status: match u.status {
                m::AccountStatus::Unspecified => w::AccountStatus::Unspecified,
                m::AccountStatus::Enabled => w::AccountStatus::Enabled,
                m::AccountStatus::Disabled => w::AccountStatus::Disabled,
                m::AccountStatus::Deleted => w::AccountStatus::Deleted,
            },
            status_details: u.status_details,
            account_type: match u.account_type {
                m::AccountType::Unspecified => w::AccountType::Unspecified,
                m::AccountType::Human => w::AccountType::Human,
                m::AccountType::Service => w::AccountType::Service,
            },
            given_name: u.given_name,
            family_name: u.family_name,
            emails: u.emails,
        }),
        group: r.group.map(|g| w::GroupTrait {
            profile: profile_out(g.profile),
        }),
        child_resource_types: r.child_resource_types,
        profile: profile_out(r.profile),
    }
}

fn eref_out(e: m::EntitlementRef) -> w::EntitlementRef {
    w::EntitlementRef {
        resource_ref: rid_out(e.resource_ref),
        slug: e.slug,
    }
}

fn grant_out(g: m::Grant) -> w::Grant {
    w::Grant {
        entitlement: eref_out(g.entitlement),
        principal: resource_out(g.principal),
        expandable: g.expandable.map(|x| w::GrantExpandable {
            entitlements: x.entitlements.into_iter().map(eref_out).collect(),
            shallow: x.shallow,
            resource_type_ids: x.resource_type_ids,
        }),
    }
}

fn entitlement_out(e: m::Entitlement) -> w::Entitlement {
    w::Entitlement {
        resource_ref: rid_out(e.resource_ref),
        slug: e.slug,
        display_name: e.display_name,
        description: e.description,
        purpose: match e.purpose {
            m::EntitlementPurpose::Assignment => w::EntitlementPurpose::Assignment,
            m::EntitlementPurpose::Permission => w::EntitlementPurpose::Permission,
            m::EntitlementPurpose::Ownership => w::EntitlementPurpose::Ownership,
        },
        grantable_to: e.grantable_to,
    }
}

fn change_out(c: m::ProvisionChange) -> w::ProvisionChange {
    match c {
        m::ProvisionChange::Applied => w::ProvisionChange::Applied,
        m::ProvisionChange::AlreadySatisfied => w::ProvisionChange::AlreadySatisfied,
    }
}

// ---- WIT → model ----

fn rid_in(r: w::ResourceId) -> m::ResourceId {
    m::ResourceId {
        resource_type: r.resource_type,
        id: r.id,
    }
}

fn profile_in(p: Vec<w::ProfileEntry>) -> Vec<m::ProfileEntry> {
    p.into_iter()
        .map(|e| m::ProfileEntry {
            key: e.key,
            value: e.value,
        })
        .collect()
}

fn resource_in(r: w::ResourceInfo) -> m::ResourceInfo {
    m::ResourceInfo {
        id: rid_in(r.id),
        parent: r.parent.map(rid_in),
        display_name: r.display_name,
        description: r.description,
        user: r.user.map(|u| m::UserTrait {
            login: u.login,
            status: match u.status {
                w::AccountStatus::Unspecified => m::AccountStatus::Unspecified,
                w::AccountStatus::Enabled => m::AccountStatus::Enabled,
                w::AccountStatus::Disabled => m::AccountStatus::Disabled,
                w::AccountStatus::Deleted => m::AccountStatus::Deleted,
            },
            status_details: u.status_details,
            account_type: match u.account_type {
                w::AccountType::Unspecified => m::AccountType::Unspecified,
                w::AccountType::Human => m::AccountType::Human,
                w::AccountType::Service => m::AccountType::Service,
            },
            given_name: u.given_name,
            family_name: u.family_name,
            emails: u.emails,
        }),
        group: r.group.map(|g| m::GroupTrait {
            profile: profile_in(g.profile),
        }),
        child_resource_types: r.child_resource_types,
        profile: profile_in(r.profile),
    }
}

fn eref_in(e: w::EntitlementRef) -> m::EntitlementRef {
    m::EntitlementRef {
        resource_ref: rid_in(e.resource_ref),
        slug: e.slug,
    }
}

fn entitlement_in(e: w::Entitlement) -> m::Entitlement {
    m::Entitlement {
        resource_ref: rid_in(e.resource_ref),
        slug: e.slug,
        display_name: e.display_name,
        description: e.description,
        purpose: match e.purpose {
            w::EntitlementPurpose::Ownership => m::EntitlementPurpose::Ownership,
            w::EntitlementPurpose::Permission => m::EntitlementPurpose::Permission,
            w::EntitlementPurpose::Assignment | w::EntitlementPurpose::Unspecified => {
                m::EntitlementPurpose::Assignment
            }
        },
        grantable_to: e.grantable_to,
    }
}

fn grant_in(g: w::Grant) -> m::Grant {
    m::Grant {
        entitlement: eref_in(g.entitlement),
        principal: resource_in(g.principal),
        expandable: g.expandable.map(|x| m::GrantExpandable {
            entitlements: x.entitlements.into_iter().map(eref_in).collect(),
            shallow: x.shallow,
            resource_type_ids: x.resource_type_ids,
        }),
    }
}

struct Component;

impl Guest for Component {
    fn metadata() -> w::Metadata {
        let md = Connector::<Host>::metadata();
        w::Metadata {
            display_name: md.display_name,
            description: md.description,
            version: md.version,
            config_keys: md.config_keys,
        }
    }

    fn validate() -> Result<(), w::ConnectorError> {
        with(|c| c.validate())
    }

    fn resource_types() -> Result<Vec<w::ResourceType>, w::ConnectorError> {
        Ok(Connector::<Host>::resource_types()
            .into_iter()
            .map(|t| w::ResourceType {
                id: t.id,
                display_name: t.display_name,
                description: t.description,
                traits: t
                    .traits
                    .into_iter()
                    .map(|t| match t {
                        m::ResourceTrait::User => w::ResourceTrait::User,
                        m::ResourceTrait::Group => w::ResourceTrait::Group,
                    })
                    .collect(),
            })
            .collect())
    }

    fn list_resources(
        resource_type: String,
        parent: Option<w::ResourceId>,
        page_token: String,
    ) -> Result<w::ResourcePage, w::ConnectorError> {
        let parent = parent.map(rid_in);
        with(|c| c.list_resources(&resource_type, parent.as_ref(), &page_token)).map(|p| {
            w::ResourcePage {
                items: p.items.into_iter().map(resource_out).collect(),
                next_token: p.next_token,
            }
        })
    }

    fn list_entitlements(
        target: w::ResourceInfo,
        page_token: String,
    ) -> Result<w::EntitlementPage, w::ConnectorError> {
        let target = resource_in(target);
        with(|c| c.list_entitlements(&target, &page_token)).map(|p| w::EntitlementPage {
            items: p.items.into_iter().map(entitlement_out).collect(),
            next_token: p.next_token,
        })
    }

    fn list_grants(
        target: w::ResourceInfo,
        page_token: String,
    ) -> Result<w::GrantPage, w::ConnectorError> {
        let target = resource_in(target);
        with(|c| c.list_grants(&target, &page_token)).map(|p| w::GrantPage {
            items: p.items.into_iter().map(grant_out).collect(),
            next_token: p.next_token,
        })
    }

    fn grant(
        principal: w::ResourceInfo,
        entitlement: w::Entitlement,
    ) -> Result<w::GrantOutcome, w::ConnectorError> {
        let principal = resource_in(principal);
        let entitlement = entitlement_in(entitlement);
        with(|c| c.grant(&principal, &entitlement)).map(|o| w::GrantOutcome {
            change: change_out(o.change),
            grants: o.grants.into_iter().map(grant_out).collect(),
            message: o.message,
        })
    }

    fn revoke(grant: w::Grant) -> Result<w::RevokeOutcome, w::ConnectorError> {
        let grant = grant_in(grant);
        with(|c| c.revoke(&grant)).map(|o| w::RevokeOutcome {
            change: change_out(o.change),
            message: o.message,
        })
    }
}

generated::export!(Component with_types_in generated);
