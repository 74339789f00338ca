//! The overview: what file and sync this is, what it holds, and where a reviewer starts.

use axum::extract::State;
use maud::{Markup, html};

use super::layout::{self, Nav};
use super::{Shared, links};
use c1z::query::ChangeKind;

/// `GET /`.
pub async fn page(State(x): State<Shared>) -> Markup {
    let index = &x.index;
    let sync = index.sync();
    let r = &x.review;
    let body = html! {
        h1 { "Access in " (x.file.display()) }
        p.muted {
            "Sync " span.id { (sync.id) } " · started " (sync.started_at)
            @if let Some(end) = &sync.ended_at { " · finished " (end) } @else { " · not finished" }
        }
        form.inline method="get" action="/search" {
            input type="search" name="q" placeholder="Name, login, e-mail or id" autofocus size="40";
            button type="submit" { "Search" }
        }
        h2 { "Start a review" }
        div.cards {
            a.card.warn href="/review/privileged" {
                div.n { (r.privileged.len()) } div { "admin and owner grants" }
            }
            a.card.bad href="/review/dormant" {
                div.n { (r.dormant.len()) } div { "accounts not enabled that hold access" }
            }
            a.card href="/review/group-only" {
                div.n { (r.group_only.len()) } div { "grants held only through groups" }
            }
            a.card href="/changes" {
                @match &x.changes {
                    Ok(c) => {
                        div.n { (c.grants.iter().filter(|g| g.kind == ChangeKind::Created).count()) }
                        div { "grants new since the previous sync" }
                    }
                    Err(_) => { div.n { "–" } div { "no previous sync to compare" } }
                }
            }
        }
        h2 { "What the file holds" }
        table {
            thead { tr { th { "Resource type" } th { "Resources" } th { "Entitlements" } } }
            tbody {
                @for t in index.resource_types() {
                    @let list = index.resources_of_type(&t.id);
                    tr {
                        td { a href=(links::browse(&t.id)) { (t.name()) } }
                        td { (list.len()) }
                        td { (list.iter().map(|r| index.entitlements_of(*r).len()).sum::<usize>()) }
                    }
                }
            }
        }
        p.muted { (index.grants().len()) " grants in all." }
    };
    layout::page("Overview", Nav::Home, body)
}
