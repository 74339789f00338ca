//! The review view: who holds admin or owner on what, accounts that are not enabled yet hold access, and access
//! that exists only through groups. Rows of accounts that are not enabled are highlighted everywhere.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use c1z::query::{AccessIndex, DormantAccess, is_privileged};
use maud::{Markup, html};

use super::layout::{self, Nav};
use super::widgets::{
    PREVIEW, PageParam, access_table, more, page_range, pager, principal_cell, status_badge,
};
use super::{Explorer, Shared, links};

/// The three lists of the review.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Privileged,
    Dormant,
    GroupOnly,
}

impl Section {
    fn slug(self) -> &'static str {
        match self {
            Section::Privileged => "privileged",
            Section::Dormant => "dormant",
            Section::GroupOnly => "group-only",
        }
    }

    fn from_slug(s: &str) -> Option<Section> {
        [Section::Privileged, Section::Dormant, Section::GroupOnly]
            .into_iter()
            .find(|x| x.slug() == s)
    }

    fn title(self) -> &'static str {
        match self {
            Section::Privileged => "Admins and owners",
            Section::Dormant => "Accounts not enabled that still hold access",
            Section::GroupOnly => "Access held only through groups",
        }
    }

    fn explanation(self) -> &'static str {
        match self {
            Section::Privileged => {
                "Grants of entitlements that give control: workspace owner, project and repository admin \
                 (and any entitlement of ownership purpose), to accounts and to groups."
            }
            Section::Dormant => {
                "Closed (deleted) and inactive (disabled) accounts, and accounts whose status is unknown, that \
                 still hold grants: candidates for revocation."
            }
            Section::GroupOnly => {
                "Accounts that hold an entitlement only because a group they are in holds it: removing them \
                 from the group removes the access."
            }
        }
    }

    fn len(self, x: &Explorer) -> usize {
        match self {
            Section::Privileged => x.review.privileged.len(),
            Section::Dormant => x.review.dormant.len(),
            Section::GroupOnly => x.review.group_only.len(),
        }
    }

    /// Rows `from..to` of the section's table.
    fn table(self, x: &Explorer, rows: std::ops::Range<usize>) -> Markup {
        let index = &x.index;
        match self {
            Section::Privileged => access_table(index, &x.review.privileged[rows], true),
            Section::GroupOnly => access_table(index, &x.review.group_only[rows], true),
            Section::Dormant => dormant_table(index, &x.review.dormant[rows]),
        }
    }
}

fn dormant_table(index: &AccessIndex, list: &[DormantAccess]) -> Markup {
    html! {
        table.dormant {
            thead { tr { th { "Account" } th { "Status" } th { "Grants" } th { "Privileged" } th { "Holds, for example" } } }
            tbody {
                @for d in list {
                    @let privileged = d.grants.iter().filter(|g| is_privileged(index.entitlement(index.grant(**g).entitlement))).count();
                    tr.alert data-principal=(index.resource(d.account).id) {
                        td { (principal_cell(index, d.account)) }
                        td { (status_badge(index, d.account)) }
                        td { a href=(links::access(index, d.account)) { (d.grants.len()) } }
                        td { @if privileged > 0 { span.badge.b-admin { (privileged) } } @else { "0" } }
                        td {
                            @for (i, g) in d.grants.iter().take(3).enumerate() {
                                @let e = index.entitlement(index.grant(*g).entitlement);
                                @if i > 0 { ", " }
                                (index.resource(e.resource).name()) " " span.muted { (e.slug) }
                            }
                            @if d.grants.len() > 3 { ", …" }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /review`: the counts and the start of each list.
pub async fn overview(State(x): State<Shared>) -> Markup {
    // The most alarming first: access that should already be gone.
    let sections = [Section::Dormant, Section::Privileged, Section::GroupOnly];
    let body = html! {
        h1 { "Access review" }
        p.muted {
            "Sync " span.id { (x.index.sync().id) } " of "
            (x.file.file_name().map_or(x.file.display().to_string(), |n| n.to_string_lossy().into_owned()))
        }
        div.cards {
            @for s in sections {
                a.card.bad[s == Section::Dormant && s.len(&x) > 0].warn[s == Section::Privileged]
                    href=(format!("/review/{}", s.slug())) {
                    div.n { (s.len(&x)) } div { (s.title()) }
                }
            }
        }
        @for s in sections {
            section id=(s.slug()) {
                h2 { (s.title()) " " span.muted { "(" (s.len(&x)) ")" } }
                p.muted { (s.explanation()) }
                @if s.len(&x) == 0 {
                    p { "None." }
                } @else {
                    (s.table(&x, 0..s.len(&x).min(PREVIEW)))
                    (more(PREVIEW.min(s.len(&x)), s.len(&x), &format!("/review/{}", s.slug()), "rows"))
                }
            }
        }
    };
    layout::page("Review", Nav::Review, body)
}

/// `GET /review/{section}`: one list, a page at a time.
pub async fn section(
    State(x): State<Shared>,
    Path(slug): Path<String>,
    Query(p): Query<PageParam>,
) -> Response {
    let Some(s) = Section::from_slug(&slug) else {
        return layout::error_page(
            StatusCode::NOT_FOUND,
            "No such review list",
            "The review lists are privileged, dormant and group-only.",
        );
    };
    let total = s.len(&x);
    let (rows, page) = page_range(total, p.page);
    let href = |n: usize| format!("/review/{}?page={n}", s.slug());
    let body = html! {
        h1 { (s.title()) " " span.muted { "(" (total) ")" } }
        p.muted { (s.explanation()) " " a href="/review" { "Back to the review" } }
        @if total == 0 { p { "None." } } @else {
            (pager(total, page, &href))
            (s.table(&x, rows))
            (pager(total, page, &href))
        }
    };
    layout::page(s.title(), Nav::Review, body).into_response()
}
