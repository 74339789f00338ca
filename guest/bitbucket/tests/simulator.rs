//! Native integration tests: the connector logic, over a small blocking HTTP/1.1 transport,
//! against the Bitbucket simulator. Checks the synced data against the simulator's ground
//! truth, the request count against the formula in docs/bitbucket-model.md ("Request plan"),
//! the credential variants, and idempotent provisioning.

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use bitbucket_connector::grants::grant;
use bitbucket_connector::settings::AuthKind;
use bitbucket_simulator::plan::{PlanOptions, documented_requests};
use bitbucket_simulator::{ReadRules, Scale, Simulator, SimulatorConfig, View};
use connector_sdk::testing::{self, Synced};
use connector_sdk::*;
use support::{Http, Under, admin, connector};

// ---- a host-like sync driver ----

fn sync(c: &mut Under) -> Result<Synced, ConnectorError> {
    testing::sync(&mut c.component)
}

fn ent_id(e: &EntitlementRef) -> String {
    format!(
        "{}:{}:{}",
        e.resource_ref.resource_type, e.resource_ref.id, e.slug
    )
}

fn grant_ids(s: &Synced) -> BTreeSet<String> {
    let mut members: HashMap<String, Vec<String>> = HashMap::new();
    for g in &s.grants {
        if g.entitlement.resource_ref.resource_type == "user_group" {
            members
                .entry(ent_id(&g.entitlement))
                .or_default()
                .push(g.principal.id.id.clone());
        }
    }
    let mut out = BTreeSet::new();
    for g in &s.grants {
        let e = ent_id(&g.entitlement);
        out.insert(format!(
            "{e}:{}:{}",
            g.principal.id.resource_type, g.principal.id.id
        ));
        if let Some(x) = &g.expandable {
            for src in &x.entitlements {
                for m in members.get(&ent_id(src)).into_iter().flatten() {
                    out.insert(format!("{e}:user:{m}"));
                }
            }
        }
    }
    out
}

fn check_truth(s: &Synced, sim: &Simulator, view: View) {
    let truth = sim.ground_truth(view);
    let resources: BTreeSet<(String, String)> = s
        .resources
        .iter()
        .map(|r| (r.id.resource_type.clone(), r.id.id.clone()))
        .collect();
    assert_eq!(resources, truth.resources, "resources");
    let ents: BTreeSet<String> = s
        .entitlements
        .iter()
        .map(|e| {
            format!(
                "{}:{}:{}",
                e.resource_ref.resource_type, e.resource_ref.id, e.slug
            )
        })
        .collect();
    assert_eq!(ents, truth.entitlements, "entitlements");
    let grants = grant_ids(s);
    let missing: Vec<_> = truth.grants.difference(&grants).take(5).collect();
    let extra: Vec<_> = grants.difference(&truth.grants).take(5).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "grants: missing {missing:?}, extra {extra:?}"
    );
}

// ---- the request-count formula of docs/bitbucket-model.md (simulator/src/plan.rs) ----

fn plan(sim: &Simulator, opts: PlanOptions) -> BTreeMap<String, u64> {
    documented_requests(&sim.dataset(), &opts)
}

fn actual(sim: &Simulator) -> BTreeMap<String, u64> {
    sim.request_log().by_endpoint.into_iter().collect()
}

/// The component's own endpoint labels must be the simulator's templates.
fn check_labels(c: &Under, sim: &Simulator) {
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    for e in c.http.endpoints_seen.borrow().iter() {
        *seen.entry(e.clone()).or_default() += 1;
    }
    assert_eq!(seen, actual(sim), "endpoint labels");
}

fn compare(expected: BTreeMap<String, u64>, sim: &Simulator) {
    assert_eq!(actual(sim), expected, "requests per endpoint");
    assert_eq!(sim.request_log().total, expected.values().sum::<u64>());
}

fn warnings(c: &Under) -> Vec<String> {
    c.http
        .logs
        .borrow()
        .iter()
        .filter(|(l, _)| *l == LogLevel::Warn)
        .map(|(_, m)| m.clone())
        .collect()
}

// ---- tests ----

#[test]
fn admin_sync_matches_truth_and_request_formula() {
    let sim = Simulator::start(SimulatorConfig::new(Scale::Small)).unwrap();
    let mut c = connector(&sim, admin(&sim), AuthKind::Basic, "", false);
    let s = sync(&mut c).unwrap();
    check_truth(&s, &sim, View::Admin);
    compare(plan(&sim, PlanOptions::new(View::Admin)), &sim);
    // Statuses come from the per-user lookups.
    let truth = sim.ground_truth(View::Admin);
    for r in s.resources.iter().filter(|r| r.id.resource_type == "user") {
        assert_eq!(
            r.user.as_ref().unwrap().status_details,
            truth.user_status[&r.id.id],
            "{}",
            r.id.id
        );
    }
    // One warning for the workspace the admin does not administer, saying what it read there.
    let w = warnings(&c);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("partner-co"), "{w:?}");
    assert!(
        w[0].contains("and the permissions of the 1 project and 2 repositories it administers"),
        "{w:?}"
    );
    assert_only_legacy_groups_refused(&sim);
}

#[test]
fn status_in_listing_means_no_lookups() {
    let mut cfg = SimulatorConfig::new(Scale::Small);
    cfg.member_status_in_listing = true;
    let sim = Simulator::start(cfg).unwrap();
    let mut c = connector(&sim, admin(&sim), AuthKind::Basic, "", false);
    let s = sync(&mut c).unwrap();
    let _ = s;
    compare(
        plan(
            &sim,
            PlanOptions {
                status_in_listing: true,
                ..PlanOptions::new(View::Admin)
            },
        ),
        &sim,
    );
}

#[test]
fn skip_user_status_makes_no_lookups_and_says_so_once() {
    let sim = Simulator::start(SimulatorConfig::new(Scale::Small)).unwrap();
    let mut c = connector(&sim, admin(&sim), AuthKind::Basic, "", true);
    let s = sync(&mut c).unwrap();
    check_truth(&s, &sim, View::Admin);
    assert_eq!(sim.request_log().count("GET /2.0/users/{selected_user}"), 0);
    let w = warnings(&c);
    assert_eq!(
        w.iter().filter(|m| m.contains("skip-user-status")).count(),
        1
    );
    assert!(
        s.resources
            .iter()
            .filter_map(|r| r.user.as_ref())
            .all(|u| u.status == AccountStatus::Unspecified)
    );
}

#[test]
fn access_token_reads_no_permissions() {
    let sim = Simulator::start(SimulatorConfig::new(Scale::Small)).unwrap();
    let creds = sim.credentials();
    let mut c = connector(
        &sim,
        Http::bearer(&creds.access_token),
        AuthKind::Bearer,
        "",
        false,
    );
    let s = sync(&mut c).unwrap();
    check_truth(&s, &sim, View::AccessToken);
    compare(plan(&sim, PlanOptions::new(View::AccessToken)), &sim);
    let w = warnings(&c);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("access tokens"));
}

#[test]
fn non_admin_user_syncs_what_it_can_read() {
    let sim = Simulator::start(SimulatorConfig::new(Scale::Small)).unwrap();
    let creds = sim.credentials();
    let mut c = connector(
        &sim,
        Http::basic(&creds.user_email, &creds.user_api_token),
        AuthKind::Basic,
        "",
        false,
    );
    let s = sync(&mut c).unwrap();
    check_truth(&s, &sim, View::User);
    compare(plan(&sim, PlanOptions::new(View::User)), &sim);
    assert_only_legacy_groups_refused(&sim);
}

/// The only refusals are of the 1.0 group API, which the reference does not say members may
/// read (so it is asked): the plan never spends a request on a refusal it could foresee.
fn assert_only_legacy_groups_refused(sim: &Simulator) {
    let refused = sim.request_log().refused();
    for endpoint in refused.keys() {
        assert!(
            endpoint.starts_with("GET /1.0/group"),
            "avoidable refusal: {refused:?}"
        );
    }
}

#[test]
fn workspace_filter_by_slug_and_uuid_and_unknown() {
    let sim = Simulator::start(SimulatorConfig::new(Scale::Small)).unwrap();
    let acme = sim
        .dataset()
        .workspaces
        .iter()
        .find(|w| w.slug == "acme")
        .unwrap()
        .uuid
        .clone();
    let mut c = connector(&sim, admin(&sim), AuthKind::Basic, "acme", false);
    let w = c.list_resources("workspace", None, "").unwrap();
    assert_eq!(w.items.len(), 1);
    assert_eq!(w.items[0].id.id, acme);
    let mut c = connector(&sim, admin(&sim), AuthKind::Basic, &acme, false);
    assert_eq!(
        c.list_resources("workspace", None, "").unwrap().items[0].profile_value("workspace_slug"),
        Some("acme")
    );
    let mut c = connector(&sim, admin(&sim), AuthKind::Basic, "acme,nope", false);
    assert_eq!(
        c.validate().unwrap_err(),
        ConnectorError::InvalidArgument("workspace 'nope' was not found or the credential is not a member of it; check --workspaces".into())
    );
}

#[test]
fn bad_credentials_are_explained() {
    let sim = Simulator::start(SimulatorConfig::new(Scale::Small)).unwrap();
    let mut c = connector(
        &sim,
        Http::basic("someone@example.com", "wrong"),
        AuthKind::Basic,
        "",
        false,
    );
    let e = c.validate().unwrap_err();
    assert!(
        matches!(&e, ConnectorError::Unauthenticated(m) if m.contains("Atlassian account e-mail")),
        "{e:?}"
    );
}

fn find<'a>(s: &'a Synced, ty: &str, pred: impl Fn(&ResourceInfo) -> bool) -> &'a ResourceInfo {
    s.resources
        .iter()
        .find(|r| r.id.resource_type == ty && pred(r))
        .unwrap()
}

fn ent(r: &ResourceInfo, slug: &str) -> Entitlement {
    Entitlement {
        resource_ref: r.id.clone(),
        slug: slug.into(),
        display_name: String::new(),
        description: String::new(),
        purpose: EntitlementPurpose::Permission,
        grantable_to: vec![],
    }
}

fn changes(sim: &Simulator) -> usize {
    sim.request_log().changes.len()
}

#[test]
fn provisioning_is_idempotent_and_orders_levels() {
    let sim = Simulator::start(SimulatorConfig::new(Scale::Small)).unwrap();
    let mut c = connector(&sim, admin(&sim), AuthKind::Basic, "acme", true);
    let s = sync(&mut c).unwrap();
    let repo = find(&s, "repository", |_| true).clone();
    // A workspace member with no explicit permission on this repository.
    let held: BTreeSet<String> = s
        .grants
        .iter()
        .filter(|g| g.entitlement.resource_ref == repo.id)
        .map(|g| g.principal.id.id.clone())
        .collect();
    let user = s
        .resources
        .iter()
        .find(|r| {
            r.id.resource_type == "user"
                && !held.contains(&r.id.id)
                && r.id.id != sim.credentials().admin_uuid
        })
        .unwrap()
        .clone();

    let mut p = connector(&sim, admin(&sim), AuthKind::Basic, "", true);
    let before = changes(&sim);
    let o = p.grant(&user, &ent(&repo, "write")).unwrap();
    assert_eq!(o.change, ProvisionChange::Applied, "{}", o.message);
    assert_eq!(changes(&sim), before + 1);
    let o = p.grant(&user, &ent(&repo, "write")).unwrap();
    assert_eq!(o.change, ProvisionChange::AlreadySatisfied);
    let o = p.grant(&user, &ent(&repo, "read")).unwrap();
    assert_eq!(o.change, ProvisionChange::AlreadySatisfied);
    assert!(o.message.contains("includes read"), "{}", o.message);
    assert_eq!(o.grants[0].entitlement.slug, "write");
    assert_eq!(changes(&sim), before + 1);
    let o = p.grant(&user, &ent(&repo, "admin")).unwrap();
    assert_eq!(o.change, ProvisionChange::Applied);
    assert!(o.message.contains("from write to admin"), "{}", o.message);
    let g = grant(&repo.id, "write", user.clone());
    let o = p.revoke(&g).unwrap();
    assert_eq!(o.change, ProvisionChange::AlreadySatisfied, "{}", o.message);
    assert_eq!(changes(&sim), before + 2);
    let o = p.revoke(&grant(&repo.id, "admin", user.clone())).unwrap();
    assert_eq!(o.change, ProvisionChange::Applied);
    let o = p.revoke(&grant(&repo.id, "admin", user.clone())).unwrap();
    assert_eq!(o.change, ProvisionChange::AlreadySatisfied);
    assert_eq!(changes(&sim), before + 3);

    // Project permissions for a group principal.
    let project = find(&s, "project", |_| true).clone();
    let group = find(&s, "user_group", |_| true).clone();
    let pheld: Option<String> = s
        .grants
        .iter()
        .find(|g| g.entitlement.resource_ref == project.id && g.principal.id == group.id)
        .map(|g| g.entitlement.slug.clone());
    let o = p.grant(&group, &ent(&project, "create-repo")).unwrap();
    match pheld.as_deref() {
        Some("create-repo") | Some("admin") => {
            assert_eq!(o.change, ProvisionChange::AlreadySatisfied)
        }
        _ => assert_eq!(o.change, ProvisionChange::Applied, "{}", o.message),
    }
    let o = p.grant(&group, &ent(&project, "create-repo")).unwrap();
    assert_eq!(o.change, ProvisionChange::AlreadySatisfied);
    assert!(o.grants[0].expandable.is_some());
    assert!(p.grant(&group, &ent(&project, "repository")).is_err());

    // Group membership.
    let members: BTreeSet<String> = s
        .grants
        .iter()
        .filter(|g| g.entitlement.resource_ref == group.id)
        .map(|g| g.principal.id.id.clone())
        .collect();
    let outsider = s
        .resources
        .iter()
        .find(|r| r.id.resource_type == "user" && !members.contains(&r.id.id))
        .unwrap()
        .clone();
    let member_ent = ent(&group, "member");
    let o = p.grant(&outsider, &member_ent).unwrap();
    assert_eq!(o.change, ProvisionChange::Applied, "{}", o.message);
    let o = p.grant(&outsider, &member_ent).unwrap();
    assert_eq!(o.change, ProvisionChange::AlreadySatisfied);
    let gm = grant(&group.id, "member", outsider.clone());
    assert_eq!(p.revoke(&gm).unwrap().change, ProvisionChange::Applied);
    assert_eq!(
        p.revoke(&gm).unwrap().change,
        ProvisionChange::AlreadySatisfied
    );

    // Workspace membership cannot be provisioned.
    let ws = find(&s, "workspace", |_| true).clone();
    assert!(
        matches!(p.grant(&user, &ent(&ws, "member")), Err(ConnectorError::InvalidArgument(m)) if m.contains("only invitations"))
    );
}

#[test]
fn oauth_like_refusal_of_changes_names_the_credential() {
    let sim = Simulator::start(SimulatorConfig::new(Scale::Small)).unwrap();
    let creds = sim.credentials();
    let mut c = connector(&sim, admin(&sim), AuthKind::Basic, "acme", true);
    let s = sync(&mut c).unwrap();
    let repo = find(&s, "repository", |_| true).clone();
    let user = find(&s, "user", |_| true).clone();
    // The non-admin user's token may not change permissions.
    let mut p = connector(
        &sim,
        Http::basic(&creds.user_email, &creds.user_api_token),
        AuthKind::Basic,
        "",
        true,
    );
    let e = p.grant(&user, &ent(&repo, "write")).unwrap_err();
    assert!(
        matches!(&e, ConnectorError::PermissionDenied(m) if m.contains("admin:repository:bitbucket")),
        "{e:?}"
    );
}

#[test]
fn medium_admin_sync_pages_and_matches_formula() {
    let sim = Simulator::start(SimulatorConfig::new(Scale::Medium)).unwrap();
    let mut c = connector(&sim, admin(&sim), AuthKind::Basic, "", false);
    let s = sync(&mut c).unwrap();
    check_truth(&s, &sim, View::Admin);
    let expected = plan(&sim, PlanOptions::new(View::Admin));
    assert!(
        expected["GET /2.0/repositories/{workspace}"] > expected["GET /2.0/workspaces/{workspace}"],
        "paging exercised"
    );
    compare(expected, &sim);
    check_labels(&c, &sim);
}

#[test]
fn granting_to_a_non_member_is_explained() {
    let sim = Simulator::start(SimulatorConfig::new(Scale::Small)).unwrap();
    let data = sim.dataset();
    let acme = data.workspaces.iter().find(|w| w.slug == "acme").unwrap();
    let outsider = data
        .users
        .iter()
        .find(|u| !acme.members.iter().any(|m| m.user == u.uuid))
        .expect("a user outside acme");
    let mut c = connector(&sim, admin(&sim), AuthKind::Basic, "acme", true);
    let s = sync(&mut c).unwrap();
    let repo = find(&s, "repository", |_| true).clone();
    let group = find(&s, "user_group", |_| true).clone();
    let principal = ResourceInfo {
        id: ResourceId::new("user", outsider.uuid.clone()),
        parent: None,
        display_name: outsider.display_name.clone(),
        description: String::new(),
        user: None,
        group: None,
        child_resource_types: vec![],
        profile: vec![],
    };
    let before = sim
        .request_log()
        .changes
        .iter()
        .filter(|r| r.status < 300)
        .count();
    for e in [ent(&repo, "read"), ent(&group, "member")] {
        let err = c.grant(&principal, &e).unwrap_err();
        assert!(
            matches!(&err, ConnectorError::InvalidArgument(m) if m.contains("not a member of the workspace")),
            "{err:?}"
        );
    }
    assert_eq!(
        sim.request_log()
            .changes
            .iter()
            .filter(|r| r.status < 300)
            .count(),
        before
    );
}

#[test]
fn refused_legacy_and_permissions_listings_fall_back() {
    let sim = Simulator::start(SimulatorConfig::new(Scale::Small)).unwrap();
    let mut http = admin(&sim);
    http.refuse
        .insert("GET /1.0/group-privileges/{workspace}".into(), 410);
    http.refuse
        .insert("GET /2.0/workspaces/{workspace}/permissions".into(), 403);
    let mut c = connector(&sim, http, AuthKind::Basic, "acme", true);
    let s = sync(&mut c).unwrap();
    check_labels(&c, &sim);
    // Same grants as the truth, except owners (only /permissions tells them).
    let truth: BTreeSet<String> = sim
        .ground_truth(View::Admin)
        .grants
        .into_iter()
        .filter(|g| !g.contains(":owner:"))
        .filter(|g| {
            s.resources
                .iter()
                .any(|r| g.contains(&r.id.id) && r.id.resource_type == "workspace")
                || !g.starts_with("workspace:")
        })
        .collect();
    let got = grant_ids(&s);
    let acme_truth: BTreeSet<String> = truth.intersection(&got).cloned().collect();
    assert_eq!(got, acme_truth, "no grant outside the truth");
    let repos = s
        .resources
        .iter()
        .filter(|r| r.id.resource_type == "repository")
        .count() as u64;
    let log = sim.request_log();
    assert_eq!(
        log.count("GET /2.0/repositories/{workspace}/{repo_slug}/permissions-config/groups"),
        repos
    );
    assert_eq!(log.count("GET /2.0/workspaces/{workspace}/members"), 1);
    assert!(
        s.grants
            .iter()
            .any(|g| g.entitlement.resource_ref.resource_type == "repository"
                && g.principal.id.resource_type == "user_group")
    );
    let w = warnings(&c);
    assert_eq!(w.len(), 3, "{w:?}"); // the two fallbacks and skip-user-status
}

#[test]
fn member_only_workspace_reads_the_legacy_group_api_when_bitbucket_answers_it() {
    let read_rules = ReadRules {
        members_read_legacy_groups: true,
    };
    let sim = Simulator::start(SimulatorConfig {
        read_rules,
        ..SimulatorConfig::new(Scale::Small)
    })
    .unwrap();
    let mut c = connector(&sim, admin(&sim), AuthKind::Basic, "", false);
    let s = sync(&mut c).unwrap();
    check_truth(&s, &sim, View::Admin);
    compare(
        plan(
            &sim,
            PlanOptions {
                read_rules,
                ..PlanOptions::new(View::Admin)
            },
        ),
        &sim,
    );
    assert!(sim.request_log().refused().is_empty());
    let w = warnings(&c);
    assert_eq!(w.len(), 1, "{w:?}");
    eprintln!("{}", w[0]);
}
