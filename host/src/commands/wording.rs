//! The words a reviewer reads for query results, shared by `inspect access|holders`, the review sheet of `export`
//! and the explorer: who a principal is, what its status is, and how an entitlement is held.

use c1z::query::{AccessIndex, AccountStatus, EntitlementRef, Holding, ResourceRef, Route};

/// What identifies an account to a person besides its name: the login, else the primary (or first) e-mail.
pub fn handle(index: &AccessIndex, r: ResourceRef) -> Option<&str> {
    let user = index.resource(r).user.as_ref()?;
    if !user.login.is_empty() {
        return Some(&user.login);
    }
    user.emails.first().map(String::as_str)
}

/// The first e-mail address of an account, primary first.
pub fn email(index: &AccessIndex, r: ResourceRef) -> Option<&str> {
    index
        .resource(r)
        .user
        .as_ref()?
        .emails
        .first()
        .map(String::as_str)
}

/// `Name (login)`, or just the name.
pub fn principal_label(index: &AccessIndex, r: ResourceRef) -> String {
    let name = index.resource(r).name();
    match handle(index, r) {
        Some(h) if h != name => format!("{name} ({h})"),
        _ => name.to_string(),
    }
}

/// An account status as a reviewer reads it; None for resources that are not accounts.
pub fn status_word(index: &AccessIndex, r: ResourceRef) -> Option<&'static str> {
    let user = index.resource(r).user.as_ref()?;
    Some(match user.effective_status() {
        AccountStatus::Enabled => "enabled",
        AccountStatus::Disabled => "disabled",
        AccountStatus::Deleted => "deleted",
        AccountStatus::Unspecified => "unknown",
    })
}

/// A source entitlement as a reviewer names it: `Developers (User group)`, with the slug when it is not plain
/// membership.
pub fn source_name(index: &AccessIndex, e: EntitlementRef) -> String {
    let ent = index.entitlement(e);
    let res = index.resource(ent.resource);
    let kind = index.type_name(&res.resource_type);
    if ent.slug == "member" || ent.slug.is_empty() {
        format!("{} ({kind})", res.name())
    } else {
        format!("{} ({kind}) {}", res.name(), ent.slug)
    }
}

/// One route: `Developers (User group)`, or `Developers (User group) via Leads (User group)` for nested groups.
pub fn route_text(index: &AccessIndex, route: &Route) -> String {
    route
        .steps
        .iter()
        .map(|e| source_name(index, *e))
        .collect::<Vec<_>>()
        .join(" via ")
}

/// `direct`, `group`, or `direct and group`: the kind of holding, for filtering a sheet.
pub fn how_kind(h: &Holding) -> &'static str {
    match (
        h.direct,
        h.routes.is_empty() && h.missing_sources.is_empty(),
    ) {
        (true, true) => "direct",
        (true, false) => "direct and group",
        (false, _) => "group",
    }
}

/// Every route of a holding, `; `-separated (ids for sources that are not in the file).
pub fn routes_text(index: &AccessIndex, h: &Holding) -> String {
    h.routes
        .iter()
        .map(|r| route_text(index, r))
        .chain(
            h.missing_sources
                .iter()
                .map(|id| format!("{id} (not in the file)")),
        )
        .collect::<Vec<_>>()
        .join("; ")
}

/// How a principal holds an entitlement, in one phrase: `direct`, `through Developers (User group)`, or
/// `direct, and through ...`.
pub fn how_text(index: &AccessIndex, h: &Holding) -> String {
    let routes = routes_text(index, h);
    match (h.direct, routes.is_empty()) {
        (true, true) => "direct".into(),
        (true, false) => format!("direct, and through {routes}"),
        (false, false) => format!("through {routes}"),
        // Expanded, but its sources were not recorded: say so rather than guess.
        (false, true) => "through a group (source not recorded)".into(),
    }
}
