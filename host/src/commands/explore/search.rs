//! Search: users, groups and resources by name, login, e-mail or id.

use axum::extract::{Query, State};
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{self, Nav};
use super::widgets::{resource_link, status_badge};
use super::{Shared, links};
use c1z::query::MatchedField;

/// Hits shown.
const LIMIT: usize = 200;

/// `?q=...&type=...`.
#[derive(Deserialize)]
pub struct SearchParams {
    q: Option<String>,
    #[serde(rename = "type")]
    resource_type: Option<String>,
}

/// `GET /search`.
pub async fn page(State(x): State<Shared>, Query(p): Query<SearchParams>) -> Markup {
    let index = &x.index;
    let q = p.q.unwrap_or_default();
    let rt = p.resource_type.filter(|t| !t.is_empty());
    let found = index.search(&q, rt.as_deref(), LIMIT);
    let body = html! {
        h1 { "Search" }
        form.inline method="get" action="/search" {
            input type="search" name="q" value=(q) placeholder="Name, login, e-mail or id" autofocus size="40";
            select name="type" aria-label="Resource type" {
                option value="" { "all types" }
                @for t in index.resource_types() {
                    option value=(t.id) selected[rt.as_deref() == Some(t.id.as_str())] { (t.name()) }
                }
            }
            button type="submit" { "Search" }
        }
        @if q.trim().is_empty() {
            p.muted { "Type part of a name, a login, an e-mail address or an id." }
        } @else if found.total == 0 {
            p { "Nothing matches " strong { (q) } "." }
        } @else {
            p.muted {
                (found.total) " match" @if found.total != 1 { "es" }
                @if found.total > found.hits.len() { ", the best " (found.hits.len()) " shown" }
            }
            table id="results" {
                thead { tr { th { "Name" } th { "Type" } th { "Login" } th { "Status" } th { "In" } th { "Matched" } } }
                tbody {
                    @for hit in &found.hits {
                        @let r = index.resource(hit.resource);
                        tr {
                            td { (resource_link(index, hit.resource)) }
                            td { a href=(links::browse(&r.resource_type)) { (index.type_name(&r.resource_type)) } }
                            td { @if let Some(u) = &r.user { (u.login) } }
                            td { (status_badge(index, hit.resource)) }
                            td { @if let Some(parent) = r.parent { (resource_link(index, parent)) } }
                            td.muted { (match hit.field {
                                MatchedField::Name => "name",
                                MatchedField::Login => "login",
                                MatchedField::Email => "e-mail",
                                MatchedField::Id => "id",
                            }) }
                        }
                    }
                }
            }
        }
    };
    layout::page("Search", Nav::Search, body)
}
