//! The changes view: what the latest full sync has that the previous one did not (and what it lost), by name.

use axum::extract::State;
use c1z::query::{
    AccessIndex, AccountStatus, ChangeKind, GrantChange, ResourceChange, SyncChanges,
};
use maud::{Markup, html};

use super::Shared;
use super::layout::{self, Nav};
use super::links;

/// Rows of each change list shown; `inspect diff -o json` has them all.
const LIMIT: usize = 500;

fn kind_badge(k: ChangeKind) -> Markup {
    match k {
        ChangeKind::Created => html! { span.badge.b-new { "new" } },
        ChangeKind::Deleted => html! { span.badge.b-bad { "removed" } },
        ChangeKind::Modified => html! { span.badge.b-direct { "changed" } },
    }
}

/// A name linked to its page when the latest sync has the resource, plain text otherwise.
fn named(index: &AccessIndex, rt: &str, id: &str, name: &str) -> Markup {
    let shown = if name.is_empty() { id } else { name };
    match index.find_resource(rt, id) {
        Some(r) => html! { a href=(links::resource(index, r)) { (shown) } },
        None => html! { (shown) },
    }
}

fn status_text(s: Option<AccountStatus>) -> &'static str {
    s.map_or("", |s| match s {
        AccountStatus::Unspecified => "unknown",
        other => other.as_str(),
    })
}

fn how(direct: Option<bool>) -> &'static str {
    match direct {
        Some(true) => "direct",
        Some(false) => "through a group",
        None => "",
    }
}

fn grants_table(index: &AccessIndex, list: &[&GrantChange]) -> Markup {
    html! {
        table.grant-changes {
            thead { tr { th { "Change" } th { "Principal" } th { "Resource" } th { "Entitlement" } th { "Before" } th { "Now" } } }
            tbody {
                @for g in list.iter().take(LIMIT) {
                    tr data-grant=(g.id) {
                        td { (kind_badge(g.kind)) }
                        td { (named(index, &g.principal_type, &g.principal_id, &g.principal_name)) " "
                             span.muted { (index.type_name(&g.principal_type)) } }
                        td { (named(index, &g.resource_type, &g.resource_id, &g.resource_name)) " "
                             span.muted { (index.type_name(&g.resource_type)) } }
                        td { (if g.entitlement_name.is_empty() { &g.entitlement_id } else { &g.entitlement_name }) }
                        td { (how(g.direct_before)) }
                        td { (how(g.direct_after)) }
                    }
                }
            }
        }
        @if list.len() > LIMIT { p.muted { "and " (list.len() - LIMIT) " more; `inspect diff -o json` lists them all." } }
    }
}

fn resources_table(index: &AccessIndex, list: &[ResourceChange]) -> Markup {
    html! {
        table.resource-changes {
            thead { tr { th { "Change" } th { "Resource" } th { "Type" } th { "Status before" } th { "Status now" } } }
            tbody {
                @for r in list.iter().take(LIMIT) {
                    tr.alert[r.status_before != r.status_after && r.status_after.is_some_and(|s| s != AccountStatus::Enabled)] {
                        td { (kind_badge(r.kind)) }
                        td { (named(index, &r.resource_type, &r.id, &r.display_name)) }
                        td { (index.type_name(&r.resource_type)) }
                        td { (status_text(r.status_before)) }
                        td { (status_text(r.status_after)) }
                    }
                }
            }
        }
        @if list.len() > LIMIT { p.muted { "and " (list.len() - LIMIT) " more." } }
    }
}

fn body(index: &AccessIndex, c: &SyncChanges) -> Markup {
    let of = |k: ChangeKind| c.grants.iter().filter(|g| g.kind == k).collect::<Vec<_>>();
    let (created, deleted, modified) = (
        of(ChangeKind::Created),
        of(ChangeKind::Deleted),
        of(ChangeKind::Modified),
    );
    html! {
        p.muted { "Latest full sync " span.id { (c.latest_sync_id) } " against the previous one "
                  span.id { (c.base_sync_id) } "." }
        div.cards {
            a.card.warn[!created.is_empty()] href="#new-grants" { div.n { (created.len()) } div { "new grants" } }
            a.card href="#removed-grants" { div.n { (deleted.len()) } div { "removed grants" } }
            a.card href="#changed-grants" { div.n { (modified.len()) } div { "grants held differently" } }
            a.card href="#resources" { div.n { (c.resources.len()) } div { "resources changed" } }
            div.card { div.n { (c.entitlements.len()) } div { "entitlements changed" } }
        }
        h2 id="new-grants" { "New grants " span.muted { "(" (created.len()) ")" } }
        @if created.is_empty() { p { "None." } } @else { (grants_table(index, &created)) }
        h2 id="removed-grants" { "Removed grants " span.muted { "(" (deleted.len()) ")" } }
        @if deleted.is_empty() { p { "None." } } @else { (grants_table(index, &deleted)) }
        h2 id="changed-grants" { "Grants held differently " span.muted { "(" (modified.len()) ")" } }
        @if modified.is_empty() { p { "None." } } @else { (grants_table(index, &modified)) }
        h2 id="resources" { "Resources " span.muted { "(" (c.resources.len()) ")" } }
        @if c.resources.is_empty() { p { "None." } } @else { (resources_table(index, &c.resources)) }
        @if !c.entitlements.is_empty() {
            h2 { "Entitlements " span.muted { "(" (c.entitlements.len()) ")" } }
            table {
                thead { tr { th { "Change" } th { "Entitlement" } th { "Resource" } } }
                tbody {
                    @for e in c.entitlements.iter().take(LIMIT) {
                        tr {
                            td { (kind_badge(e.kind)) }
                            td { (e.display_name) " " span.id { (e.id) } }
                            td { (named(index, &e.resource_type, &e.resource_id, &e.resource_name)) }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /changes`.
pub async fn page(State(x): State<Shared>) -> Markup {
    let content = match &x.changes {
        Ok(c) => body(&x.index, c),
        Err(why) => html! {
            p { "Nothing to compare: " (why) }
            p.muted { "A file keeps its two newest full syncs; each sync into the same -f file adds one." }
        },
    };
    layout::page(
        "Changes",
        Nav::Changes,
        html! { h1 { "Changes since the previous sync" } (content) },
    )
}
