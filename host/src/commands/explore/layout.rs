//! The page shell: header with navigation and search, inline styles (no external assets), and error pages.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, PreEscaped, html};

/// Which navigation entry a page belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    /// Home.
    Home,
    /// Search and browsing.
    Search,
    /// The review view.
    Review,
    /// The changes view.
    Changes,
}

const STYLE: &str = r#"
:root { --ink:#1d2330; --muted:#5f6b7a; --line:#dfe3ea; --bg:#f6f7f9; --blue:#1f5fbf; --red:#b3261e;
        --redbg:#fdecea; --amber:#8a5a00; --amberbg:#fff3d6; --green:#1e6b35; --greenbg:#e6f4ea; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--ink); background:var(--bg); }
header { background:#14213d; color:#fff; padding:10px 24px; display:flex; gap:24px; align-items:center; flex-wrap:wrap; }
header .brand { font-weight:600; font-size:16px; color:#fff; text-decoration:none; }
header nav a { color:#cdd6e6; text-decoration:none; margin-right:16px; }
header nav a.on { color:#fff; border-bottom:2px solid #fca311; padding-bottom:2px; }
header form { margin-left:auto; }
header input[type=search] { width:280px; padding:6px 10px; border-radius:4px; border:0; font:inherit; }
main { padding:20px 24px 48px; max-width:1400px; }
h1 { font-size:22px; margin:4px 0 12px; }
h2 { font-size:17px; margin:28px 0 8px; }
h3 { font-size:15px; margin:20px 0 6px; }
a { color:var(--blue); }
.muted { color:var(--muted); }
.id { font:12px ui-monospace,SFMono-Regular,Menlo,monospace; color:var(--muted); word-break:break-all; }
table { border-collapse:collapse; width:100%; background:#fff; border:1px solid var(--line); }
th, td { text-align:left; padding:6px 10px; border-bottom:1px solid var(--line); vertical-align:top; }
th { background:#eef1f5; font-weight:600; position:sticky; top:0; }
tr.alert td { background:var(--redbg); }
.cards { display:flex; gap:12px; flex-wrap:wrap; margin:8px 0 16px; }
a.card { text-decoration:none; color:inherit; }
a.card:hover { border-color:var(--blue); }
.card { background:#fff; border:1px solid var(--line); border-radius:6px; padding:12px 16px; min-width:180px; }
.card .n { font-size:24px; font-weight:600; }
.card.bad { border-color:#f1b6b0; background:var(--redbg); }
.card.warn { border-color:#f0d28a; background:var(--amberbg); }
.badge { display:inline-block; padding:1px 7px; border-radius:10px; font-size:12px; font-weight:600; white-space:nowrap; }
.b-direct { background:#e8ebf0; color:#333; }
.b-group { background:#e3edfb; color:var(--blue); }
.b-admin { background:var(--amberbg); color:var(--amber); }
.b-bad { background:var(--redbg); color:var(--red); }
.b-ok { background:var(--greenbg); color:var(--green); }
.b-new { background:var(--greenbg); color:var(--green); }
.pager { margin:10px 0; }
.pager a, .pager span { margin-right:10px; }
dl.facts { display:grid; grid-template-columns:max-content 1fr; gap:4px 16px; background:#fff; border:1px solid var(--line); padding:12px 16px; border-radius:6px; }
dl.facts dt { color:var(--muted); }
dl.facts dd { margin:0; }
form.inline { display:flex; gap:8px; margin:8px 0 16px; }
form.inline input, form.inline select, form.inline button { font:inherit; padding:5px 8px; }
"#;

/// A full page.
pub fn page(title: &str, nav: Nav, body: Markup) -> Markup {
    let item = |n: Nav, href: &str, label: &str| {
        html! { a.on[n == nav] href=(href) { (label) } }
    };
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · access explorer" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    a.brand href="/" { "Access explorer" }
                    nav {
                        (item(Nav::Home, "/", "Overview"))
                        (item(Nav::Search, "/search", "Search"))
                        (item(Nav::Review, "/review", "Review"))
                        (item(Nav::Changes, "/changes", "Changes"))
                    }
                    form method="get" action="/search" role="search" {
                        input type="search" name="q" placeholder="Find a user, group, project or repository"
                            aria-label="Search";
                    }
                }
                main { (body) }
            }
        }
    }
}

/// An error page with a status code.
pub fn error_page(status: StatusCode, title: &str, what_to_do: &str) -> Response {
    let body = html! {
        h1 { (title) }
        p { (what_to_do) }
        p { a href="/" { "Back to the overview" } }
    };
    (status, page(title, Nav::Home, body)).into_response()
}
