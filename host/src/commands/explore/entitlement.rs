//! An entitlement page: every holder, a page at a time.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use c1z::query::is_privileged;
use maud::html;
use serde::Deserialize;

use super::layout::{self, Nav};
use super::widgets::{holders_table, page_of, pager, resource_link};
use super::{Shared, links};

/// `?id=...&page=N`.
#[derive(Deserialize)]
pub struct EntitlementParams {
    id: Option<String>,
    page: Option<usize>,
}

/// `GET /entitlement`.
pub async fn page(State(x): State<Shared>, Query(p): Query<EntitlementParams>) -> Response {
    let index = &x.index;
    let Some(e) = p.id.as_deref().and_then(|id| index.find_entitlement(id)) else {
        return layout::error_page(
            StatusCode::NOT_FOUND,
            "No such entitlement",
            "Open the resource's page to see its entitlements.",
        );
    };
    let ent = index.entitlement(e);
    let res = index.resource(ent.resource);
    let holders = index.holders_of(e);
    let (shown, page) = page_of(&holders, p.page);
    let href =
        |n: usize| links::with_query("/entitlement", &[("id", &ent.id), ("page", &n.to_string())]);
    let title = format!("{} {}", res.name(), ent.slug);
    let body = html! {
        h1 {
            (resource_link(index, ent.resource)) " " (ent.slug)
            @if is_privileged(ent) { " " span.badge.b-admin { "privileged" } }
        }
        p.muted { (index.type_name(&res.resource_type)) " · " (ent.display_name) " · " span.id { (ent.id) } }
        @if !ent.description.is_empty() { p { (ent.description) } }
        h2 { (holders.len()) " holder" @if holders.len() != 1 { "s" } }
        (pager(holders.len(), page, &href))
        (holders_table(index, shown, &ent.id))
        (pager(holders.len(), page, &href))
    };
    layout::page(&title, Nav::Search, body).into_response()
}
