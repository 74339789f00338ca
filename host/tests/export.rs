//! `export csv|xlsx`: the CSV reads back through a CSV reader with baton's exact header and one row per user,
//! entitlement and user grant of the file; the XLSX opens with the same rows, a frozen header, filters and widths.

mod common;
mod review_support;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use calamine::{Data, Reader, Xlsx, open_workbook};
use review_support::*;

/// baton's header row, spelled out here rather than imported, so a change on either side is caught.
const BATON_HEADER: [&str; 12] = [
    "Type",
    "Last Name",
    "First Name",
    "User ID",
    "User Status",
    "Email Address",
    "Entitlement Display Name",
    "Entitlement",
    "Resource Type",
    "Resource Name",
    "Entitlement Description",
    "Entitlement Slug",
];

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).expect("the CSV opens");
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|rec| {
            rec.expect("every record parses")
                .iter()
                .map(String::from)
                .collect()
        })
        .collect();
    (header, rows)
}

/// Counts in the file itself: users, entitlements, grants to users.
fn file_counts(file: &Path) -> (usize, usize, usize) {
    let (reader, sync) = latest_sync(file);
    let count = |sql: &str| -> usize {
        reader
            .connection()
            .query_row(sql, [&sync], |r| r.get::<_, i64>(0))
            .unwrap() as usize
    };
    (
        count("SELECT count(*) FROM v1_resources WHERE sync_id = ?1 AND resource_type_id = 'user'"),
        count("SELECT count(*) FROM v1_entitlements WHERE sync_id = ?1"),
        count(
            "SELECT count(*) FROM v1_grants WHERE sync_id = ?1 AND principal_resource_type_id = 'user'",
        ),
    )
}

#[test]
fn csv_round_trips_with_batons_header_and_rows() {
    let s = synced_small();
    let data = s.data();
    let out = s.dir.path().join("sync.csv");
    let printed = s.cli(&["export", "csv", "--out", out.to_str().unwrap()]);
    let (header, rows) = read_csv(&out);
    assert_eq!(header, BATON_HEADER);
    assert!(printed.contains(&rows.len().to_string()), "{printed}");
    assert!(rows.iter().all(|r| r.len() == 12));

    let mut by_type: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &rows {
        *by_type.entry(r[0].as_str()).or_default() += 1;
    }
    let (users, entitlements, user_grants) = file_counts(&s.file);
    assert!(users > 0 && entitlements > 0 && user_grants > 0);
    assert_eq!(
        by_type,
        BTreeMap::from([
            ("Entitlement", entitlements),
            ("Grant", user_grants),
            ("Identity", users)
        ])
    );

    // An account's identity row, as baton fills it: names and id from the profile, the status word.
    let closed = data
        .users
        .iter()
        .find(|u| u.account_status == "closed" && rows.iter().any(|r| r[3] == u.uuid))
        .expect("a closed account is exported");
    let identity = rows
        .iter()
        .find(|r| r[0] == "Identity" && r[3] == closed.uuid)
        .unwrap();
    let (first, last) = closed.display_name.split_once(' ').unwrap();
    assert_eq!(
        &identity[1..5],
        [
            last.to_string(),
            first.to_string(),
            closed.uuid.clone(),
            "Deleted".to_string()
        ]
    );
    assert!(identity[6..].iter().all(String::is_empty), "{identity:?}");

    // The grant row of a permission held through a group names the account and the entitlement.
    let reach = group_reach(&data);
    let grant = rows
        .iter()
        .find(|r| r[0] == "Grant" && r[3] == reach.member_uuid && r[7] == reach.entitlement_id())
        .expect("the group member's expanded grant is exported");
    assert_eq!(grant[4], "", "baton leaves the status empty on grant rows");
    assert_eq!(grant[8], "repository");
    assert_eq!(grant[9], reach.repo_name);
    assert_eq!(grant[11], reach.permission);
    let ent = rows
        .iter()
        .find(|r| r[0] == "Entitlement" && r[7] == reach.entitlement_id())
        .unwrap();
    assert_eq!(&ent[1..6], ["", "", "", "", ""]);
    assert_eq!(ent[9], reach.repo_name);
    // Group principals have no identity: their grants are not exported, as in baton.
    assert!(!rows.iter().any(|r| r[7].contains(":user_group:")));
}

#[test]
fn review_csv_has_one_row_per_grant_with_how_it_is_held() {
    let s = synced_small();
    let reach = group_reach(&s.data());
    let out = s.dir.path().join("review.csv");
    s.cli(&[
        "export",
        "csv",
        "--layout",
        "review",
        "--out",
        out.to_str().unwrap(),
    ]);
    let (header, rows) = read_csv(&out);
    assert_eq!(
        header[..5],
        [
            "Principal Type",
            "Principal",
            "Login",
            "Email Address",
            "Account Status"
        ]
    );
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (reader, sync) = latest_sync(&s.file);
    assert_eq!(
        rows.len() as u64,
        reader
            .count(c1z::reader::ObjectTable::Grants, &sync)
            .unwrap()
    );
    let row = rows
        .iter()
        .find(|r| {
            r[col("Grant ID")] == format!("{}:user:{}", reach.entitlement_id(), reach.member_uuid)
        })
        .unwrap();
    assert_eq!(row[col("Login")], reach.member_login);
    assert_eq!(row[col("Account Status")], "enabled");
    assert_eq!(row[col("How Held")], "group");
    assert_eq!(
        row[col("Through")],
        format!("{} (User group)", reach.group_name)
    );
    assert_eq!(row[col("Resource")], reach.repo_name);
    assert_eq!(
        row[col("Privileged")],
        if reach.permission == "admin" {
            "yes"
        } else {
            "no"
        }
    );
}

#[test]
fn xlsx_opens_with_the_same_rows_a_frozen_header_filters_and_widths() {
    let s = synced_small();
    let xlsx = s.dir.path().join("sync.xlsx");
    let csv_path = s.dir.path().join("sync.csv");
    s.cli(&["export", "xlsx", "--out", xlsx.to_str().unwrap()]);
    s.cli(&["export", "csv", "--out", csv_path.to_str().unwrap()]);
    assert!(!s.dir.path().join("sync.xlsx.tmp").exists());
    let (_, csv_rows) = read_csv(&csv_path);

    let mut wb: Xlsx<_> = open_workbook(&xlsx).expect("the workbook opens");
    assert_eq!(wb.sheet_names(), vec!["Sheet1".to_string()]);
    let range = wb.worksheet_range("Sheet1").unwrap();
    let cells: Vec<Vec<String>> = range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect();
    assert_eq!(cells[0], BATON_HEADER);
    assert_eq!(&cells[1..], &csv_rows[..], "the XLSX holds the CSV's rows");

    let mut zip = zip::ZipArchive::new(std::fs::File::open(&xlsx).unwrap()).unwrap();
    let mut sheet = String::new();
    zip.by_name("xl/worksheets/sheet1.xml")
        .unwrap()
        .read_to_string(&mut sheet)
        .unwrap();
    assert!(
        sheet.contains(
            r#"<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>"#
        ),
        "the header row is frozen"
    );
    assert!(
        sheet.contains(&format!(
            r#"<autoFilter ref="A1:L{}"/>"#,
            csv_rows.len() + 1
        )),
        "every column has a filter"
    );
    let widths: Vec<f64> = sheet
        .split("<col ")
        .skip(1)
        .filter_map(|c| c.split("width=\"").nth(1)?.split('"').next()?.parse().ok())
        .collect();
    assert_eq!(widths.len(), 12, "every column has a width");
    assert!(
        widths.iter().all(|w| (8.0..=62.0).contains(w)),
        "{widths:?}"
    );
    assert!(
        widths[7] > widths[0],
        "the entitlement id column is wider than Type: {widths:?}"
    );
}

#[test]
fn export_errors_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(dir.path(), &["export", "csv", "-f", "missing.c1z"]);
    assert!(!r.ok);
    assert!(r.stderr.contains("missing.c1z"), "{}", r.stderr);
    let r = run(dir.path(), &["export", "pdf", "-f", "missing.c1z"]);
    assert!(!r.ok);
    assert!(
        r.stderr.contains("csv") && r.stderr.contains("xlsx"),
        "{}",
        r.stderr
    );
}
