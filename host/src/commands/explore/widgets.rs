//! Pieces several pages share: links with names, status and how-held badges, holder and access tables, paging.

use c1z::query::{AccessIndex, AccountStatus, Holding, ResourceRef, is_privileged};
use maud::{Markup, html};
use serde::Deserialize;

use super::links;
use crate::commands::wording::{handle, source_name, status_word};

/// Rows per page of long lists.
pub const PAGE_SIZE: usize = 500;
/// Rows of a list shown inside another page before "show all".
pub const PREVIEW: usize = 100;

/// `?page=N` (1-based).
#[derive(Deserialize, Default)]
pub struct PageParam {
    /// The page, from 1.
    pub page: Option<usize>,
}

/// The rows of 1-based `page` in a list of `total`, and the page actually shown (out-of-range pages clamp).
pub fn page_range(total: usize, page: Option<usize>) -> (std::ops::Range<usize>, usize) {
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let page = page.unwrap_or(1).clamp(1, pages);
    let start = (page - 1) * PAGE_SIZE;
    (start..total.min(start + PAGE_SIZE), page)
}

/// The slice of `list` for 1-based `page`, and the page actually shown.
pub fn page_of<T>(list: &[T], page: Option<usize>) -> (&[T], usize) {
    let (rows, page) = page_range(list.len(), page);
    (&list[rows], page)
}

/// "Page 2 of 5" with links; `href(page)` builds each link.
pub fn pager(total: usize, page: usize, href: &dyn Fn(usize) -> String) -> Markup {
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    html! {
        @if pages > 1 {
            div.pager {
                @if page > 1 { a href=(href(page - 1)) { "← previous" } }
                span.muted { "page " (page) " of " (pages) " (" (total) " rows)" }
                @if page < pages { a href=(href(page + 1)) { "next →" } }
            }
        }
    }
}

/// A resource's name, linked to its page.
pub fn resource_link(index: &AccessIndex, r: ResourceRef) -> Markup {
    html! { a href=(links::resource(index, r)) { (index.resource(r).name()) } }
}

/// A principal: linked name, and the login beside it for accounts.
pub fn principal_cell(index: &AccessIndex, r: ResourceRef) -> Markup {
    let name = index.resource(r).name();
    html! {
        (resource_link(index, r))
        @if let Some(h) = handle(index, r).filter(|h| *h != name) {
            " " span.muted { (h) }
        }
    }
}

/// An account status badge (nothing for non-accounts).
pub fn status_badge(index: &AccessIndex, r: ResourceRef) -> Markup {
    let Some(user) = &index.resource(r).user else {
        return html! {};
    };
    let class = match user.effective_status() {
        AccountStatus::Enabled => "badge b-ok",
        AccountStatus::Unspecified => "badge b-admin",
        AccountStatus::Deleted | AccountStatus::Disabled => "badge b-bad",
    };
    html! { span class=(class) title=(user.status_details) { (status_word(index, r).unwrap_or_default()) } }
}

/// Whether a principal is an account that is not enabled.
pub fn not_enabled(index: &AccessIndex, r: ResourceRef) -> bool {
    index
        .resource(r)
        .user
        .as_ref()
        .is_some_and(|u| u.effective_status() != AccountStatus::Enabled)
}

/// How a holding is held: a `direct` badge and/or `through` with each group linked.
pub fn how_cell(index: &AccessIndex, h: &Holding) -> Markup {
    html! {
        @if h.direct { span.badge.b-direct { "direct" } " " }
        @if !h.routes.is_empty() || !h.missing_sources.is_empty() {
            span.badge.b-group { "group" } " through "
            @for (i, route) in h.routes.iter().enumerate() {
                @if i > 0 { "; " }
                @for (j, step) in route.steps.iter().enumerate() {
                    @if j > 0 { " via " }
                    a href=(links::resource(index, index.entitlement(*step).resource)) { (source_name(index, *step)) }
                }
            }
            @for id in &h.missing_sources { " " span.id { (id) " (not in the file)" } }
        }
    }
}

/// The entitlement column: its slug, linked to all its holders, with a badge when it is privileged.
pub fn entitlement_cell(index: &AccessIndex, h: &Holding) -> Markup {
    let e = index.entitlement(h.entitlement);
    html! {
        a href=(links::entitlement(index, h.entitlement)) title=(e.display_name) { (e.slug) }
        @if is_privileged(e) { " " span.badge.b-admin { "privileged" } }
    }
}

/// Holders of one entitlement: principal, type, status, how.
pub fn holders_table(index: &AccessIndex, holdings: &[Holding], entitlement_id: &str) -> Markup {
    html! {
        table.holders data-entitlement=(entitlement_id) {
            thead { tr { th { "Principal" } th { "Type" } th { "Status" } th { "How" } } }
            tbody {
                @for h in holdings {
                    tr.alert[not_enabled(index, h.principal)] data-principal=(index.resource(h.principal).id) {
                        td { (principal_cell(index, h.principal)) }
                        td { (index.type_name(&index.resource(h.principal).resource_type)) }
                        td { (status_badge(index, h.principal)) }
                        td { (how_cell(index, h)) }
                    }
                }
            }
        }
    }
}

/// What principals hold: resource, entitlement, how (and the principal, when `with_principal`).
pub fn access_table(index: &AccessIndex, holdings: &[Holding], with_principal: bool) -> Markup {
    html! {
        table.access {
            thead {
                tr {
                    @if with_principal { th { "Principal" } th { "Status" } }
                    th { "Resource type" } th { "Resource" } th { "Entitlement" } th { "How" }
                }
            }
            tbody {
                @for h in holdings {
                    @let e = index.entitlement(h.entitlement);
                    tr.alert[with_principal && not_enabled(index, h.principal)]
                        data-entitlement=(e.id) {
                        @if with_principal {
                            td { (principal_cell(index, h.principal)) }
                            td { (status_badge(index, h.principal)) }
                        }
                        td { (index.type_name(&index.resource(e.resource).resource_type)) }
                        td { (resource_link(index, e.resource)) }
                        td { (entitlement_cell(index, h)) }
                        td { (how_cell(index, h)) }
                    }
                }
            }
        }
    }
}

/// "Showing the first N of M — all M" when a preview is cut.
pub fn more(shown: usize, total: usize, href: &str, what: &str) -> Markup {
    html! {
        @if total > shown {
            p.muted { "Showing " (shown) " of " (total) " " (what) ". " a href=(href) { "Show all " (total) } }
        }
    }
}
