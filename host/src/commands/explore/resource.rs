//! A resource page: what it is, what it contains, and for each of its entitlements who holds it and how.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use c1z::query::{AccessIndex, Holding, ResourceRef};
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{self, Nav};
use super::widgets::{PREVIEW, access_table, holders_table, more, resource_link};
use super::{Shared, links};

/// `?type=...&id=...`: a resource.
#[derive(Deserialize)]
pub struct ResourceParams {
    #[serde(rename = "type")]
    pub resource_type: Option<String>,
    pub id: Option<String>,
    pub page: Option<usize>,
}

/// Why a resource page cannot be shown.
pub enum NotShown {
    /// `type` or `id` is missing.
    NoParams,
    /// No such resource in the sync.
    NotInSync,
}

impl NotShown {
    /// The error page to answer.
    pub fn page(self) -> Response {
        match self {
            NotShown::NoParams => layout::error_page(
                StatusCode::BAD_REQUEST,
                "Which resource?",
                "This page needs ?type=...&id=...; find the resource with the search instead.",
            ),
            NotShown::NotInSync => layout::error_page(
                StatusCode::NOT_FOUND,
                "Not in this sync",
                "There is no such resource in the sync shown; search for it by name.",
            ),
        }
    }
}

impl ResourceParams {
    /// The resource named.
    pub fn find(&self, index: &AccessIndex) -> Result<ResourceRef, NotShown> {
        let (Some(t), Some(id)) = (&self.resource_type, &self.id) else {
            return Err(NotShown::NoParams);
        };
        index.find_resource(t, id).ok_or(NotShown::NotInSync)
    }
}

/// Name, type, id, parent and description.
pub fn facts(index: &AccessIndex, r: ResourceRef) -> Markup {
    let res = index.resource(r);
    html! {
        dl.facts {
            dt { "Type" } dd { a href=(links::browse(&res.resource_type)) { (index.type_name(&res.resource_type)) } }
            dt { "Id" } dd.id { (res.id) }
            @if let Some(parent) = res.parent {
                dt { "In" } dd { (resource_link(index, parent)) " " span.muted { "(" (index.type_name(&index.resource(parent).resource_type)) ")" } }
            }
            @if !res.description.is_empty() { dt { "Description" } dd { (res.description) } }
        }
    }
}

/// `GET /resource`.
pub async fn page(State(x): State<Shared>, Query(p): Query<ResourceParams>) -> Response {
    let index = &x.index;
    let r = match p.find(index) {
        Ok(r) => r,
        Err(why) => return why.page(),
    };
    let res = index.resource(r);
    let children = index.children(r);
    let held: Vec<Holding> = index.access_of(r);
    let body = html! {
        h1 { (res.name()) }
        (facts(index, r))
        h2 { "Who holds what on " (res.name()) }
        @if index.entitlements_of(r).is_empty() {
            p.muted { "It has no entitlements." }
        }
        @for e in index.entitlements_of(r) {
            @let holders = index.holders_of(*e);
            @let ent = index.entitlement(*e);
            h3 id=(ent.slug) {
                a href=(links::entitlement(index, *e)) { (ent.slug) }
                " " span.muted { (holders.len()) " holder" @if holders.len() != 1 { "s" } }
            }
            @if !ent.description.is_empty() { p.muted { (ent.description) } }
            @if !holders.is_empty() {
                (holders_table(index, &holders[..holders.len().min(PREVIEW)], &ent.id))
                (more(PREVIEW.min(holders.len()), holders.len(), &links::entitlement(index, *e), "holders"))
            }
        }
        @if !held.is_empty() {
            h2 { "What " (res.name()) " holds" }
            (access_table(index, &held[..held.len().min(PREVIEW)], false))
            (more(PREVIEW.min(held.len()), held.len(), &links::access(index, r), "grants"))
        }
        @if !children.is_empty() {
            h2 { "Contains " span.muted { "(" (children.len()) ")" } }
            table {
                thead { tr { th { "Name" } th { "Type" } } }
                tbody {
                    @for c in &children[..children.len().min(PREVIEW)] {
                        tr {
                            td { (resource_link(index, *c)) }
                            td { (index.type_name(&index.resource(*c).resource_type)) }
                        }
                    }
                }
            }
            @if children.len() > PREVIEW { p.muted { "and " (children.len() - PREVIEW) " more." } }
        }
    };
    layout::page(res.name(), Nav::Search, body).into_response()
}
