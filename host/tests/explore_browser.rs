//! The explorer as a reviewer uses it, in a real headless Chromium driven over WebDriver: search for a user, open
//! a repository from the user's page and check the holders shown against the file; look at the review view and
//! take its screenshot.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them). Without them the tests say so loudly
//! and pass, unless `REQUIRE_BROWSER_TESTS=1` (set by `.ci/run`), which makes them fail. `UPDATE_SCREENSHOTS=1`
//! writes the review view's screenshot to `docs/review-view.png` (otherwise to the test's temp dir).

mod common;
mod review_support;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use review_support::*;
use serde_json::json;

const INSTALL: &str = "install them with `apt-get install -y chromium chromium-driver` (Debian), or point \
                       CHROME_BIN and CHROMEDRIVER_BIN at a Chrome and its driver";

fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

fn binary(env: &str, names: &[&str]) -> Option<PathBuf> {
    std::env::var_os(env)
        .map(PathBuf::from)
        .filter(|p| p.is_file())
        .or_else(|| on_path(names))
}

/// A chromedriver on a free loopback port and a WebDriver session with a fresh profile; all of it ends on drop.
struct Browser {
    client: Option<Client>,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts the browser, or returns None (after saying why) when it is not installed and not required.
    async fn start(test: &str) -> Option<Browser> {
        let chrome = binary(
            "CHROME_BIN",
            &["chromium", "chromium-browser", "google-chrome"],
        );
        let driver = binary("CHROMEDRIVER_BIN", &["chromedriver"]);
        let (Some(chrome), Some(driver)) = (chrome, driver) else {
            let msg = format!("{test}: Chromium or chromedriver is not installed; {INSTALL}");
            if std::env::var("REQUIRE_BROWSER_TESTS").as_deref() == Ok("1") {
                panic!("{msg} (REQUIRE_BROWSER_TESTS=1)");
            }
            // Straight to stderr: the test harness captures eprintln!, and a skip must be seen.
            let _ = writeln!(
                std::io::stderr(),
                "\n!!! SKIPPED {msg}.\n!!! Set REQUIRE_BROWSER_TESTS=1 to make this a failure.\n"
            );
            return None;
        };
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let driver = Command::new(&driver)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}; {INSTALL}", driver.display()));
        let profile = tempfile::tempdir().unwrap();
        let mut browser = Browser {
            client: None,
            driver,
            _profile: profile,
        };
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while reqwest::get(format!("{url}/status")).await.is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not answer on {url} within 30 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let caps = json!({
            "goog:chromeOptions": {
                "binary": chrome,
                // Without the background-networking flags Chromium waits on the closed network.
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--window-size=1400,1000",
                    format!("--user-data-dir={}", browser._profile.path().display()),
                ]
            }
        });
        let serde_json::Value::Object(caps) = caps else {
            unreachable!()
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&url)
            .await
            .unwrap_or_else(|e| panic!("starting a Chromium session through {url}: {e}"));
        browser.client = Some(client);
        Some(browser)
    }

    fn page(&self) -> &Client {
        self.client.as_ref().expect("connected")
    }

    async fn text(&self, css: &str) -> String {
        self.page()
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
            .text()
            .await
            .unwrap()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            // Closing the session ends Chromium; the driver is ours to end.
            let handle = tokio::runtime::Handle::current();
            let _ = std::thread::scope(|s| {
                s.spawn(|| handle.block_on(async { client.close().await }))
                    .join()
            });
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Principal ids holding `entitlement` in the file's latest sync, read with SQL.
fn holders_in_file(file: &Path, entitlement: &str) -> BTreeSet<String> {
    let (reader, sync) = latest_sync(file);
    let mut stmt = reader
        .connection()
        .prepare("SELECT principal_resource_id FROM v1_grants WHERE sync_id = ?1 AND entitlement_id = ?2")
        .unwrap();
    stmt.query_map([&sync, entitlement], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reviewer_searches_a_user_opens_a_repository_and_sees_who_holds_it() {
    let Some(b) = Browser::start("a_reviewer_searches_a_user_opens_a_repository").await else {
        return;
    };
    let s = synced_small();
    let data = s.data();
    let reach = group_reach(&data);
    let ex = ExplorerProcess::start(&s.file);
    let page = b.page();

    // Type the user's login into the search box of the header and press Enter.
    page.goto(&ex.url).await.unwrap();
    let search = page
        .find(Locator::Css("header input[type=search]"))
        .await
        .unwrap();
    search
        .send_keys(&format!("{}\u{E007}", reach.member_login))
        .await
        .unwrap();
    let first = b.text("#results tbody tr td").await;
    assert_eq!(first, reach.member_name, "the account is the best match");

    // Open the account from the results.
    page.find(Locator::Css("#results tbody tr td a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let h1 = b.text("h1").await;
    assert!(h1.starts_with(&reach.member_name), "{h1}");
    let row_css = format!("tr[data-entitlement=\"{}\"]", reach.entitlement_id());
    let row = b.text(&row_css).await;
    assert!(
        row.contains(&format!("through {} (User group)", reach.group_name)),
        "the account page says how it holds the permission: {row}"
    );

    // Open the repository from that row.
    page.find(Locator::Css(&format!("{row_css} td:nth-child(2) a")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(b.text("h1").await, reach.repo_name);
    let table_css = format!("table[data-entitlement=\"{}\"]", reach.entitlement_id());
    b.text(&table_css).await;
    let rows = page
        .find_all(Locator::Css(&format!("{table_css} tbody tr")))
        .await
        .unwrap();
    let mut shown = BTreeSet::new();
    let mut member_row = None;
    for r in &rows {
        let id = r
            .attr("data-principal")
            .await
            .unwrap()
            .expect("rows carry the principal id");
        if id == reach.member_uuid {
            member_row = Some(r.text().await.unwrap());
        }
        shown.insert(id);
    }
    assert_eq!(
        shown,
        holders_in_file(&s.file, &reach.entitlement_id()),
        "holders shown = the file's grants"
    );
    let member_row = member_row.expect("the group member is among the holders");
    assert!(
        member_row.contains(&reach.member_login) && member_row.contains(&reach.group_name),
        "{member_row}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_review_view_highlights_dormant_accounts_and_admins() {
    let Some(b) = Browser::start("the_review_view_highlights_dormant_accounts_and_admins").await
    else {
        return;
    };
    let s = synced_small();
    let data = s.data();
    let ex = ExplorerProcess::start(&s.file);
    let page = b.page();
    page.goto(&ex.url).await.unwrap();
    page.find(Locator::LinkText("Review"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(b.text("h1").await, "Access review");

    // Every closed or inactive member of a synced workspace is listed, highlighted, with its status.
    let dormant: BTreeSet<String> = data
        .users
        .iter()
        .filter(|u| u.account_status != "active")
        .filter(|u| {
            data.workspaces
                .iter()
                .any(|w| w.members.iter().any(|m| m.user == u.uuid))
        })
        .map(|u| u.uuid.clone())
        .collect();
    assert!(!dormant.is_empty());
    let rows = page
        .find_all(Locator::Css("#dormant table.dormant tbody tr"))
        .await
        .unwrap();
    let mut shown = BTreeSet::new();
    for r in &rows {
        assert_eq!(r.attr("class").await.unwrap().as_deref(), Some("alert"));
        let text = r.text().await.unwrap();
        assert!(
            text.contains("deleted") || text.contains("disabled"),
            "{text}"
        );
        shown.insert(r.attr("data-principal").await.unwrap().unwrap());
    }
    assert_eq!(shown, dormant);

    // Admin and owner grants are listed; every row's entitlement is privileged.
    let privileged = b.text("#privileged h2").await;
    assert!(privileged.starts_with("Admins and owners"), "{privileged}");
    let cells = page
        .find_all(Locator::Css("#privileged tbody tr td:nth-child(5)"))
        .await
        .unwrap();
    assert!(!cells.is_empty());
    for c in &cells {
        let t = c.text().await.unwrap();
        assert!(
            t.contains("privileged") && (t.contains("admin") || t.contains("owner")),
            "{t}"
        );
    }
    let group_only = b.text("#group-only h2").await;
    assert!(
        group_only.starts_with("Access held only through groups"),
        "{group_only}"
    );

    let png = page.screenshot().await.unwrap();
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000,
        "a real screenshot"
    );
    let out = if std::env::var("UPDATE_SCREENSHOTS").as_deref() == Ok("1") {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/review-view.png")
    } else {
        s.dir.path().join("review-view.png")
    };
    std::fs::write(&out, &png).unwrap();
    println!("screenshot of the review view: {}", out.display());
}
