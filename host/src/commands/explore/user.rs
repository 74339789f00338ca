//! An account page (or any principal's): who it is, its status, and everything it can reach, with how.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use c1z::query::is_privileged;
use maud::html;

use super::layout::{self, Nav};
use super::resource::{ResourceParams, facts};
use super::widgets::{access_table, page_of, pager, status_badge};
use super::{Shared, links};

/// `GET /user`.
pub async fn page(State(x): State<Shared>, Query(p): Query<ResourceParams>) -> Response {
    let index = &x.index;
    let r = match p.find(index) {
        Ok(r) => r,
        Err(why) => return why.page(),
    };
    let res = index.resource(r);
    let access = index.access_of(r);
    let direct = access.iter().filter(|h| h.direct).count();
    let privileged = access
        .iter()
        .filter(|h| is_privileged(index.entitlement(h.entitlement)))
        .count();
    let (shown, page) = page_of(&access, p.page);
    let href = |n: usize| {
        links::with_query(
            "/user",
            &[
                ("type", res.resource_type.as_str()),
                ("id", res.id.as_str()),
                ("page", &n.to_string()),
            ],
        )
    };
    let body = html! {
        h1 { (res.name()) " " (status_badge(index, r)) }
        (facts(index, r))
        @if let Some(u) = &res.user {
            dl.facts {
                dt { "Login" } dd { (u.login) }
                @if !u.emails.is_empty() { dt { "E-mail" } dd { (u.emails.join(", ")) } }
                dt { "Account status" } dd {
                    (status_badge(index, r))
                    @if !u.status_details.is_empty() { " " span.muted { "(" (u.status_details) ")" } }
                }
            }
        }
        @if !index.entitlements_of(r).is_empty() {
            p { a href=(links::with_query("/resource", &[("type", &res.resource_type), ("id", &res.id)])) {
                "Who holds " (res.name()) "'s own entitlements" } }
        }
        h2 { "Can reach " span.muted { "(" (access.len()) ")" } }
        div.cards {
            div.card { div.n { (direct) } div { "held directly" } }
            div.card { div.n { (access.len() - direct) } div { "only through groups" } }
            div.card.warn[privileged > 0] { div.n { (privileged) } div { "privileged" } }
        }
        @if access.is_empty() {
            p.muted { "Nothing: it holds no grant in this sync." }
        } @else {
            (pager(access.len(), page, &href))
            (access_table(index, shown, false))
            (pager(access.len(), page, &href))
        }
    };
    layout::page(res.name(), Nav::Search, body).into_response()
}
