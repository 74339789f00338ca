//! Browsing: the resources of one type, by name, a page at a time.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use c1z::query::ResourceRef;
use maud::html;
use serde::Deserialize;

use super::layout::{self, Nav};
use super::widgets::{page_of, pager, resource_link, status_badge};
use super::{Shared, links};

/// `?type=...&page=N`.
#[derive(Deserialize)]
pub struct BrowseParams {
    #[serde(rename = "type")]
    resource_type: Option<String>,
    page: Option<usize>,
}

/// `GET /browse`.
pub async fn page(State(x): State<Shared>, Query(p): Query<BrowseParams>) -> Response {
    let index = &x.index;
    let Some(t) = p
        .resource_type
        .as_deref()
        .and_then(|t| index.resource_type(t))
    else {
        return layout::error_page(
            StatusCode::NOT_FOUND,
            "No such resource type",
            "Pick a resource type on the overview page.",
        );
    };
    let mut list: Vec<ResourceRef> = index.resources_of_type(&t.id).to_vec();
    list.sort_by(|a, b| index.resource(*a).name().cmp(index.resource(*b).name()));
    let (shown, page) = page_of(&list, p.page);
    let is_user = shown.iter().any(|r| index.resource(*r).user.is_some());
    let href = |n: usize| {
        links::with_query(
            "/browse",
            &[("type", t.id.as_str()), ("page", &n.to_string())],
        )
    };
    let body = html! {
        h1 { (t.name()) " " span.muted { "(" (list.len()) ")" } }
        (pager(list.len(), page, &href))
        table {
            thead {
                tr {
                    th { "Name" }
                    @if is_user { th { "Login" } th { "Status" } }
                    th { "In" } th { "Holds" } th { "Entitlements" }
                }
            }
            tbody {
                @for r in shown {
                    @let res = index.resource(*r);
                    tr {
                        td { (resource_link(index, *r)) }
                        @if is_user {
                            td { @if let Some(u) = &res.user { (u.login) } }
                            td { (status_badge(index, *r)) }
                        }
                        td { @if let Some(parent) = res.parent { (resource_link(index, parent)) } }
                        td { (index.grants_of_principal(*r).len()) }
                        td { (index.entitlements_of(*r).len()) }
                    }
                }
            }
        }
        (pager(list.len(), page, &href))
    };
    layout::page(t.name(), Nav::Search, body).into_response()
}
