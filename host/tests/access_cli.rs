//! `inspect access` and `inspect holders` on a file synced from the simulator, checked against the simulator's
//! own data: a member of a group that holds a repository permission holds it "through" that group.

mod common;
mod review_support;

use review_support::*;
use serde_json::Value;

#[test]
fn access_of_a_group_member_shows_the_repository_through_the_group() {
    let s = synced_small();
    let data = s.data();
    let reach = group_reach(&data);
    let group_label = format!("through {} (User group)", reach.group_name);

    // Table, by id: the repository row says which group it comes through.
    let out = s.cli(&["inspect", "access", "-t", "user", "-r", &reach.member_uuid]);
    let header = out.lines().next().unwrap();
    assert!(
        header.contains(&reach.member_name) && header.contains(&reach.member_login),
        "the header names the account: {header}"
    );
    let row = out
        .lines()
        .find(|l| {
            let cells: Vec<&str> = l.split(" | ").map(str::trim).collect();
            cells.len() == 4
                && cells[0] == "Repository"
                && cells[1] == reach.repo_name
                && cells[2] == reach.permission
        })
        .unwrap_or_else(|| {
            panic!(
                "no row for {} {}:\n{out}",
                reach.repo_name, reach.permission
            )
        });
    assert!(row.contains(&group_label), "{row}");
    assert!(
        !out.contains(&reach.repo_uuid),
        "tables show names, not ids, unless asked:\n{out}"
    );

    // The same by login, with ids on request.
    let by_login = s.cli(&["inspect", "access", "-r", &reach.member_login, "--show-ids"]);
    assert!(by_login.contains(&reach.entitlement_id()), "{by_login}");

    // JSON: the route names the group's member entitlement and resource.
    let json: Value = serde_json::from_str(&s.cli(&[
        "inspect",
        "access",
        "-t",
        "user",
        "-r",
        &reach.member_uuid,
        "-o",
        "json",
    ]))
    .unwrap();
    assert_eq!(json["principal"]["id"], reach.member_uuid.as_str());
    assert_eq!(json["principal"]["status"], "enabled");
    let item = json["access"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["entitlement"]["id"] == reach.entitlement_id().as_str())
        .expect("the repository permission is in the JSON");
    assert_eq!(item["direct"], false);
    assert_eq!(item["how"], "group");
    let step = &item["through"][0][0];
    assert_eq!(
        step["entitlementId"],
        format!(
            "user_group:{}:{}:member",
            reach.workspace_uuid, reach.group_slug
        )
        .as_str()
    );
    assert_eq!(step["resource"]["displayName"], reach.group_name.as_str());

    // Every grant of the account in the file is listed: as many as the simulator says.
    let truth = s.sim.ground_truth(bitbucket_simulator::View::Admin);
    let expected = truth
        .grants
        .iter()
        .filter(|g| g.ends_with(&format!(":user:{}", reach.member_uuid)))
        .count();
    assert_eq!(json["access"].as_array().unwrap().len(), expected);
}

#[test]
fn holders_of_a_repository_permission_match_the_simulator() {
    let s = synced_small();
    let data = s.data();
    let reach = group_reach(&data);
    let expected: std::collections::BTreeSet<String> =
        expected_holders(&data, &reach).into_values().collect();

    let out = s.cli(&["inspect", "holders", "-e", &reach.entitlement_id()]);
    let rows: Vec<Vec<String>> = out
        .lines()
        .skip(2)
        .map(|l| l.split(" | ").map(|c| c.trim().to_string()).collect())
        .collect();
    let names: std::collections::BTreeSet<String> = rows.iter().map(|r| r[1].clone()).collect();
    assert_eq!(names, expected, "holders table:\n{out}");
    let member = rows
        .iter()
        .find(|r| r[2] == reach.member_login)
        .unwrap_or_else(|| panic!("{} is not among the holders:\n{out}", reach.member_login));
    assert_eq!(member[0], "User");
    assert_eq!(member[3], "enabled");
    assert_eq!(
        member[4],
        format!("through {} (User group)", reach.group_name)
    );
    let group = rows
        .iter()
        .find(|r| r[1] == reach.group_name)
        .expect("the group itself holds it");
    assert_eq!(
        (group[0].as_str(), group[4].as_str()),
        ("User group", "direct")
    );

    let json: Value = serde_json::from_str(&s.cli(&[
        "inspect",
        "holders",
        "-e",
        &reach.entitlement_id(),
        "-o",
        "json",
    ]))
    .unwrap();
    assert_eq!(json["holders"].as_array().unwrap().len(), rows.len());
    assert_eq!(json["entitlement"]["slug"], reach.permission.as_str());
}

#[test]
fn a_closed_account_shows_its_status_and_unknown_principals_say_what_to_do() {
    let s = synced_small();
    let data = s.data();
    let closed = data
        .users
        .iter()
        .find(|u| {
            u.account_status == "closed"
                && data
                    .workspaces
                    .iter()
                    .any(|w| w.members.iter().any(|m| m.user == u.uuid))
        })
        .expect("the small data set has a closed member");
    let out = s.cli(&["inspect", "access", "-r", &closed.uuid]);
    assert!(
        out.lines().next().unwrap().contains("account deleted"),
        "{out}"
    );
    assert!(
        out.contains("Workspace"),
        "a closed member still holds workspace membership:\n{out}"
    );

    let r = s.cli_run(&["inspect", "access", "-t", "user", "-r", "nobody-at-all"]);
    assert!(!r.ok);
    assert!(
        r.stderr.contains("nobody-at-all") && r.stderr.contains("inspect resources"),
        "{}",
        r.stderr
    );
    let r = s.cli_run(&["inspect", "holders"]);
    assert!(!r.ok);
    assert!(r.stderr.contains("-e ID"), "{}", r.stderr);

    // The existing views are unchanged by the new ones.
    let grants = s.cli(&["inspect", "grants"]);
    assert!(grants.starts_with("ID "), "{grants}");
}
