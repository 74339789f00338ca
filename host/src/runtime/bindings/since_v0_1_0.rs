//! Host-side bindings for the frozen contract `baton:connector@0.1.0` (`wit/since_v0.1.0/`), and
//! the adapter between its records and the current ones.
//!
//! Every record, enum and variant except `metadata` is the same in both versions, so each is
//! converted field by field. A 0.1.0 component's `metadata` only names the configuration keys it
//! reads; the host supplies the rest of its declaration (`runtime::legacy`).

wasmtime::component::bindgen!({
    world: "connector",
    path: "../wit/since_v0.1.0",
    imports: { default: async | trappable },
    exports: { default: async },
});

use super::latest::baton::connector as new;
use baton::connector as old;

/// Converts a value of one contract version into the same value of the other.
pub trait Adapt<T> {
    /// The converted value.
    fn adapt(self) -> T;
}

macro_rules! same {
    ($($t:ty),*) => { $(impl Adapt<$t> for $t { fn adapt(self) -> $t { self } })* };
}
same!(String, bool, u8, u16, ());

impl<A: Adapt<B>, B> Adapt<Vec<B>> for Vec<A> {
    fn adapt(self) -> Vec<B> {
        self.into_iter().map(Adapt::adapt).collect()
    }
}

impl<A: Adapt<B>, B> Adapt<Option<B>> for Option<A> {
    fn adapt(self) -> Option<B> {
        self.map(Adapt::adapt)
    }
}

impl<A: Adapt<B>, B, E: Adapt<F>, F> Adapt<Result<B, F>> for Result<A, E> {
    fn adapt(self) -> Result<B, F> {
        self.map(Adapt::adapt).map_err(Adapt::adapt)
    }
}

/// Records with the same fields in both versions, converted both ways.
macro_rules! records {
    ($($m:ident :: $t:ident { $($f:ident),* $(,)? })*) => { $(
        impl Adapt<new::$m::$t> for old::$m::$t {
            fn adapt(self) -> new::$m::$t {
                new::$m::$t { $($f: self.$f.adapt()),* }
            }
        }
        impl Adapt<old::$m::$t> for new::$m::$t {
            fn adapt(self) -> old::$m::$t {
                old::$m::$t { $($f: self.$f.adapt()),* }
            }
        }
    )* };
}

/// Enums, and variants whose cases all carry a value or none, with the same cases in both.
macro_rules! cases {
    ($($m:ident :: $t:ident { $($c:ident $(($x:ident))?),* $(,)? })*) => { $(
        impl Adapt<new::$m::$t> for old::$m::$t {
            fn adapt(self) -> new::$m::$t {
                match self { $(old::$m::$t::$c $(($x))? => new::$m::$t::$c $(($x.adapt()))?),* }
            }
        }
        impl Adapt<old::$m::$t> for new::$m::$t {
            fn adapt(self) -> old::$m::$t {
                match self { $(new::$m::$t::$c $(($x))? => old::$m::$t::$c $(($x.adapt()))?),* }
            }
        }
    )* };
}

records! {
    types::ResourceType { id, display_name, description, traits }
    types::ResourceId { resource_type, id }
    types::ProfileEntry { key, value }
    types::UserTrait { login, status, status_details, account_type, given_name, family_name, emails }
    types::GroupTrait { profile }
    types::ResourceInfo {
        id, parent, display_name, description, user, group, child_resource_types, profile,
    }
    types::Entitlement { resource_ref, slug, display_name, description, purpose, grantable_to }
    types::EntitlementRef { resource_ref, slug }
    types::GrantExpandable { entitlements, shallow, resource_type_ids }
    types::Grant { entitlement, principal, expandable }
    types::ResourcePage { items, next_token }
    types::EntitlementPage { items, next_token }
    types::GrantPage { items, next_token }
    types::GrantOutcome { change, grants, message }
    types::RevokeOutcome { change, message }
    http::Header { name, value }
    http::Request { method, url, headers, body, endpoint }
    http::Response { status, headers, body }
}

cases! {
    types::ConnectorError {
        Unauthenticated(m), PermissionDenied(m), NotFound(m), InvalidArgument(m),
        RateLimited(m), Unavailable(m), Internal(m),
    }
    types::ResourceTrait { User, Group, Role, App }
    types::AccountStatus { Unspecified, Enabled, Disabled, Deleted }
    types::AccountType { Unspecified, Human, Service }
    types::EntitlementPurpose { Unspecified, Assignment, Permission, Ownership }
    types::ProvisionChange { Applied, AlreadySatisfied }
    http::Method { Get, Head, Post, Put, Patch, Delete }
    http::HttpError { Denied(m), InvalidRequest(m), Connection(m), Timeout(m), TooLarge(m) }
    log::Level { Trace, Debug, Info, Warn, Error }
}

// ---- the host's imports, for 0.1.0 components: the current ones, adapted ----

use super::super::state::TenantState;

impl old::types::Host for TenantState {}

impl old::http::Host for TenantState {
    async fn send(
        &mut self,
        req: old::http::Request,
    ) -> wasmtime::Result<Result<old::http::Response, old::http::HttpError>> {
        let result = <Self as new::http::Host>::send(self, req.adapt()).await?;
        Ok(result.adapt())
    }
}

impl old::config::Host for TenantState {
    async fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        <Self as new::config::Host>::get(self, key).await
    }
}

impl old::log::Host for TenantState {
    async fn log(&mut self, level: old::log::Level, message: String) -> wasmtime::Result<()> {
        <Self as new::log::Host>::log(self, level.adapt(), message).await
    }
}
