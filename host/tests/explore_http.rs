//! The explorer over plain HTTP: it binds 127.0.0.1 only, answers GET only, escapes what the file holds, and its
//! pages show what the simulator's data says (search, holders of a repository, an account's reach, the changes
//! after a grant). Page times are printed.

mod common;
mod review_support;

use std::collections::BTreeSet;
use std::time::Instant;

use c1z::pb::{self, Annotation};
use reqwest::StatusCode;
use review_support::*;

async fn get(url: &str) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let r = reqwest::get(url)
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = r.status();
    let headers = r.headers().clone();
    (status, headers, r.text().await.unwrap())
}

/// The values of `attr="..."` inside the first `<table ... marker ...>` of `html`.
fn table_attrs(html: &str, marker: &str, attr: &str) -> Vec<String> {
    let start = html
        .find(marker)
        .unwrap_or_else(|| panic!("no table with {marker}"));
    let table = &html[start..];
    let table = &table[..table.find("</table>").unwrap()];
    let needle = format!("{attr}=\"");
    table
        .split(&needle)
        .skip(1)
        .map(|s| unescape(&s[..s.find('"').unwrap()]))
        .collect()
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_show_what_the_simulator_holds_and_print_their_times() {
    let s = synced_small();
    let data = s.data();
    let reach = group_reach(&data);
    let ex = ExplorerProcess::start(&s.file);
    assert!(ex.url.starts_with("http://127.0.0.1:"), "{}", ex.url);

    let (status, headers, home) = get(&ex.at("/")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(
        !home.contains("http://") && !home.contains("https://"),
        "no external assets"
    );
    assert!(home.contains("Access explorer"));

    // Search by login finds the account and links to its page.
    let (status, _, found) = get(&ex.at(&format!("/search?q={}", q(&reach.member_login)))).await;
    assert_eq!(status, StatusCode::OK);
    let user_link = format!("/user?type=user&amp;id={}", q(&reach.member_uuid));
    assert!(
        found.contains(&user_link),
        "no link {user_link} in the search results"
    );
    assert!(found.contains(&reach.member_name));

    // The repository page lists exactly the holders the simulator has for the permission.
    let repo_url = ex.at(&format!(
        "/resource?type=repository&id={}",
        q(&reach.repository_id())
    ));
    let (status, _, repo) = get(&repo_url).await;
    assert_eq!(status, StatusCode::OK);
    let marker = format!("data-entitlement=\"{}\"", reach.entitlement_id());
    let shown: BTreeSet<String> = table_attrs(&repo, &marker, "data-principal")
        .into_iter()
        .collect();
    assert_eq!(shown, expected_holders(&data, &reach).into_keys().collect());
    assert!(repo.contains(&reach.repo_name));

    // The account page says the permission comes through the group.
    let (_, _, user) = get(&ex.at(&format!("/user?type=user&id={}", q(&reach.member_uuid)))).await;
    let row_start = user
        .find(&format!("data-entitlement=\"{}\"", reach.entitlement_id()))
        .expect("the account page lists the repository permission");
    let row = &user[row_start..row_start + user[row_start..].find("</tr>").unwrap()];
    assert!(
        row.contains("through") && row.contains(&reach.group_name),
        "{row}"
    );
    assert!(
        !row.contains(">direct<"),
        "held only through the group: {row}"
    );

    // Every page, timed (client side, and the server's own Server-Timing).
    let pages = [
        "/".to_string(),
        format!("/search?q={}", q(&reach.member_login)),
        format!("/resource?type=repository&id={}", q(&reach.repository_id())),
        format!("/resource?type=workspace&id={}", q(&reach.workspace_uuid)),
        format!("/user?type=user&id={}", q(&reach.member_uuid)),
        format!("/entitlement?id={}", q(&reach.entitlement_id())),
        "/browse?type=repository".into(),
        "/review".into(),
        "/review/group-only".into(),
        "/changes".into(),
    ];
    for p in &pages {
        let t = Instant::now();
        let (status, headers, body) = get(&ex.at(p)).await;
        let client = ms_since(t);
        assert_eq!(status, StatusCode::OK, "{p}");
        let server = headers
            .get("server-timing")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        println!("page {p}: {client:.1} ms ({server}), {} bytes", body.len());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn read_only_on_loopback_for_its_own_host_only() {
    let s = synced_small();
    let ex = ExplorerProcess::start(&s.file);
    let client = reqwest::Client::new();
    for method in [
        reqwest::Method::POST,
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
        reqwest::Method::PATCH,
    ] {
        for path in ["/", "/search?q=a", "/no-such-page"] {
            let r = client
                .request(method.clone(), ex.at(path))
                .send()
                .await
                .unwrap();
            assert_eq!(
                r.status(),
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}"
            );
            assert_eq!(r.headers()["allow"], "GET, HEAD");
        }
    }
    let head = client.head(ex.at("/")).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);

    // Another Host header (DNS rebinding) is refused.
    let r = client
        .get(ex.at("/"))
        .header("host", "attacker.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::MISDIRECTED_REQUEST);
    let r = client
        .get(format!("http://localhost:{}/", ex.port))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "localhost is the same machine");

    // Bound to 127.0.0.1, not every interface: another loopback address of this machine gets no answer.
    let other = tokio::net::TcpStream::connect(("127.0.0.2", ex.port)).await;
    assert!(
        other.is_err(),
        "the explorer accepted a connection on 127.0.0.2"
    );

    for (path, status) in [
        ("/no-such-page", StatusCode::NOT_FOUND),
        ("/resource", StatusCode::BAD_REQUEST),
        ("/resource?type=repository&id=nope", StatusCode::NOT_FOUND),
        ("/entitlement?id=nope", StatusCode::NOT_FOUND),
        ("/browse?type=nope", StatusCode::NOT_FOUND),
        ("/review/nope", StatusCode::NOT_FOUND),
    ] {
        let (got, _, body) = get(&ex.at(path)).await;
        assert_eq!(got, status, "{path}");
        assert!(
            body.contains("<h1>"),
            "an error page, not a bare status: {body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn names_from_the_file_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hostile.c1z");
    let hostile = "<script>alert(\"x\")</script> & <b>co</b>";
    let user_type = pb::ResourceType {
        id: "user".into(),
        display_name: "User".into(),
        traits: vec![pb::Trait::User as i32],
        ..Default::default()
    };
    let user = pb::Resource {
        id: Some(pb::ResourceId {
            resource_type: "user".into(),
            resource: "u\"1<".into(),
            baton_resource: false,
        }),
        display_name: hostile.into(),
        annotations: vec![
            pb::UserTrait {
                login: "<img src=x onerror=alert(1)>".into(),
                ..Default::default()
            }
            .to_any(),
        ],
        ..Default::default()
    };
    let mut store = c1z::SyncStore::open(&file).unwrap();
    store.start_or_resume().unwrap();
    store.put_resource_types(&[user_type]).unwrap();
    store.put_resources(&[user]).unwrap();
    store.finish().unwrap();

    let ex = ExplorerProcess::start(&file);
    for path in [
        "/search?q=script",
        "/browse?type=user",
        &format!("/user?type=user&id={}", q("u\"1<")),
    ] {
        let (status, _, body) = get(&ex.at(path)).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(
            body.contains("&lt;script&gt;"),
            "{path}: the name is shown, escaped"
        );
        assert!(
            !body.contains("<script>") && !body.contains("<img"),
            "{path}: unescaped markup"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn changes_show_a_grant_made_between_two_syncs() {
    let s = synced_small();
    let data = s.data();
    let reach = group_reach(&data);
    let (ws, repo) = (reach.workspace(&data), reach.repository(&data));
    // A member with no access to the repository at all, directly or through a group.
    let in_group_with_perm = |u: &str| {
        repo.group_perms.iter().any(|gp| {
            ws.groups
                .iter()
                .any(|g| g.slug == gp.principal && g.members.iter().any(|m| m == u))
        })
    };
    let newcomer = ws
        .members
        .iter()
        .map(|m| m.user.clone())
        .find(|u| {
            *u != data.admin
                && !repo.user_perms.iter().any(|p| p.principal == *u)
                && !in_group_with_perm(u)
        })
        .expect("a member without access to the repository");
    let entitlement = format!("repository:{}:read", reach.repository_id());

    // Grant through the CLI using a scratch copy of the file, so the file itself keeps the old sync; then sync
    // again: the file's two syncs differ by that grant.
    let scratch = s.dir.path().join("scratch.c1z");
    std::fs::copy(&s.file, &scratch).unwrap();
    let c = s.sim.credentials();
    run_ok(
        s.dir.path(),
        &[
            "--base-url",
            &s.sim.base_url(),
            "--username",
            &c.admin_email,
            "--app-password",
            &c.api_token,
            "-f",
            scratch.to_str().unwrap(),
            "-p",
            "grant",
            "--entitlement",
            &entitlement,
            "--principal",
            &format!("user:{newcomer}"),
        ],
    );
    s.sync();

    let ex = ExplorerProcess::start(&s.file);
    let (status, _, page) = get(&ex.at("/changes")).await;
    assert_eq!(status, StatusCode::OK);
    let grant_id = format!("{entitlement}:user:{newcomer}");
    let ids = table_attrs(&page, "class=\"grant-changes\"", "data-grant");
    assert_eq!(ids, vec![grant_id.clone()], "the only new grant");
    let row_start = page.find(&format!("data-grant=\"{grant_id}\"")).unwrap();
    let row = &page[row_start..row_start + page[row_start..].find("</tr>").unwrap()];
    let name = &data.user(&newcomer).unwrap().display_name;
    assert!(
        row.contains(">new<") && row.contains(name) && row.contains(&reach.repo_name),
        "{row}"
    );
}
