//! The access-review queries on a written file: how access is held through nested groups, holders, search,
//! review findings and the changes between two syncs.

mod common;

use c1z::pb::{self, Annotation};
use c1z::query::{AccessIndex, AccountStatus, ChangeKind, MatchedField, sync_changes};
use c1z::{C1zError, C1zReader, SyncStore};
use common::*;

fn sourced(e: &pb::Entitlement, principal: &pb::Resource, sources: &[&str]) -> pb::Grant {
    let mut g = grant(e, principal);
    g.sources = Some(pb::GrantSources {
        sources: sources
            .iter()
            .map(|s| (s.to_string(), pb::GrantSource { is_direct: true }))
            .collect(),
    });
    g
}

fn expandable(mut g: pb::Grant, from: &pb::Entitlement) -> pb::Grant {
    g.annotations.push(
        pb::GrantExpandable {
            entitlement_ids: vec![from.id.clone()],
            shallow: false,
            resource_type_ids: vec![],
        }
        .to_any(),
    );
    g
}

fn with_status(mut u: pb::Resource, status: pb::StatusValue) -> pb::Resource {
    let mut t: pb::UserTrait = pb::pick(&u.annotations).unwrap();
    t.status = Some(pb::user_trait::Status {
        status: status as i32,
        details: String::new(),
    });
    pb::update(&mut u.annotations, &t);
    u
}

/// ws1 with groups devs and leads (leads is a member of devs); alice is in ws1 directly and through devs, bob
/// through devs, carol through leads → devs; dave is a deleted account that still owns the workspace.
fn nested() -> Fixture {
    let types = vec![
        rt("workspace", "Workspace", &[]),
        rt("user_group", "User Group", &[pb::Trait::Group]),
        rt("user", "User", &[pb::Trait::User]),
    ];
    let ws = workspace("ws1");
    let devs = group("ws1:devs", "Developers", "ws1");
    let leads = group("ws1:leads", "Leads", "ws1");
    let alice = user("alice", "Alice Archer");
    let bob = user("bob", "Bob Baker");
    let carol = user("carol", "Carol Archer");
    let dave = with_status(user("dave", "Dave Gone"), pb::StatusValue::Deleted);
    let ws_member = ent(&ws, "member");
    let mut ws_owner = ent(&ws, "owner");
    ws_owner.purpose = pb::Purpose::Ownership as i32;
    let devs_member = ent(&devs, "member");
    let leads_member = ent(&leads, "member");
    let grants = vec![
        expandable(grant(&ws_member, &devs), &devs_member),
        expandable(grant(&devs_member, &leads), &leads_member),
        sourced(&ws_member, &alice, &[&ws_member.id, &devs_member.id]),
        grant(&devs_member, &alice),
        grant(&devs_member, &bob),
        sourced(&ws_member, &bob, &[&devs_member.id]),
        grant(&leads_member, &carol),
        sourced(&devs_member, &carol, &[&leads_member.id]),
        sourced(&ws_member, &carol, &[&devs_member.id]),
        grant(&ws_owner, &dave),
    ];
    Fixture {
        types,
        resources: vec![ws, devs, leads, alice, bob, carol, dave],
        entitlements: vec![ws_member, ws_owner, devs_member, leads_member],
        grants,
    }
}

fn nested_file() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested.c1z");
    write_file(&path, &nested());
    (dir, path)
}

fn load(path: &std::path::Path) -> AccessIndex {
    AccessIndex::load(&C1zReader::open(path).unwrap(), None).unwrap()
}

fn names(index: &AccessIndex, steps: &[c1z::query::EntitlementRef]) -> Vec<String> {
    steps
        .iter()
        .map(|e| {
            index
                .resource(index.entitlement(*e).resource)
                .name()
                .to_string()
        })
        .collect()
}

#[test]
fn access_follows_sources_through_nested_groups() {
    let (_d, path) = nested_file();
    let index = load(&path);
    let carol = index.find_resource("user", "carol").unwrap();
    let access = index.access_of(carol);
    let summary: Vec<(String, bool, Vec<Vec<String>>)> = access
        .iter()
        .map(|h| {
            (
                index.entitlement(h.entitlement).id.clone(),
                h.direct,
                h.routes.iter().map(|r| names(&index, &r.steps)).collect(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "user_group:ws1:devs:member".to_string(),
                false,
                vec![vec!["Leads".to_string()]]
            ),
            ("user_group:ws1:leads:member".to_string(), true, vec![]),
            (
                "workspace:ws1:member".to_string(),
                false,
                vec![vec!["Developers".to_string(), "Leads".to_string()]]
            ),
        ]
    );
}

#[test]
fn holders_say_direct_and_through_which_group() {
    let (_d, path) = nested_file();
    let index = load(&path);
    let member = index.find_entitlement("workspace:ws1:member").unwrap();
    let holders: Vec<(String, bool, Vec<Vec<String>>)> = index
        .holders_of(member)
        .iter()
        .map(|h| {
            (
                index.resource(h.principal).id.clone(),
                h.direct,
                h.routes.iter().map(|r| names(&index, &r.steps)).collect(),
            )
        })
        .collect();
    assert_eq!(
        holders,
        vec![
            // Alice holds it directly and also through Developers.
            ("alice".into(), true, vec![vec!["Developers".to_string()]]),
            ("bob".into(), false, vec![vec!["Developers".to_string()]]),
            (
                "carol".into(),
                false,
                vec![vec!["Developers".to_string(), "Leads".to_string()]]
            ),
            // Groups after accounts.
            ("ws1:devs".into(), true, vec![]),
        ]
    );
}

#[test]
fn review_finds_owners_dormant_accounts_and_group_only_access() {
    let (_d, path) = nested_file();
    let index = load(&path);
    let f = index.review();
    let who = |hs: &[c1z::query::Holding]| -> Vec<(String, String)> {
        hs.iter()
            .map(|h| {
                (
                    index.entitlement(h.entitlement).slug.clone(),
                    index.resource(h.principal).id.clone(),
                )
            })
            .collect()
    };
    assert_eq!(who(&f.privileged), vec![("owner".into(), "dave".into())]);
    assert_eq!(f.dormant.len(), 1, "{:?}", f.dormant);
    assert_eq!(index.resource(f.dormant[0].account).id, "dave");
    assert_eq!(f.dormant[0].status, AccountStatus::Deleted);
    assert_eq!(f.dormant[0].grants.len(), 1);
    assert_eq!(
        who(&f.group_only),
        vec![
            ("member".into(), "carol".into()),
            ("member".into(), "bob".into()),
            ("member".into(), "carol".into()),
        ],
        "alice's workspace membership is also direct, so it is not group-only"
    );
}

#[test]
fn search_ranks_name_prefixes_before_substrings_and_finds_logins() {
    let (_d, path) = nested_file();
    let index = load(&path);
    let found = index.search("archer", None, 10);
    assert_eq!(found.total, 2);
    let ids: Vec<&str> = found
        .hits
        .iter()
        .map(|h| index.resource(h.resource).id.as_str())
        .collect();
    assert_eq!(ids, vec!["alice", "carol"], "same quality: by name");
    let dev = index.search("DEV", Some("user_group"), 10);
    assert_eq!(dev.total, 1);
    assert_eq!(index.resource(dev.hits[0].resource).name(), "Developers");
    let login = index.search("bob", Some("user"), 10);
    assert_eq!(
        login.hits[0].field,
        MatchedField::Login,
        "an exact login beats a name prefix"
    );
    let mail = index.search("carol@example.com", None, 10);
    assert_eq!(mail.hits[0].field, MatchedField::Email);
    assert_eq!(index.search("  ", None, 10).total, 0);
    assert_eq!(index.search("a", None, 1).hits.len(), 1);
}

#[test]
fn resolve_takes_ids_logins_and_unique_names() {
    let (_d, path) = nested_file();
    let index = load(&path);
    let alice = index.find_resource("user", "alice").unwrap();
    assert_eq!(
        index.resolve_resource(Some("user"), "alice").unwrap(),
        alice
    );
    assert_eq!(index.resolve_resource(None, "Alice Archer").unwrap(), alice);
    assert_eq!(
        index.resolve_resource(None, "alice@example.com").unwrap(),
        alice
    );
    let err = index.resolve_resource(Some("user"), "nobody").unwrap_err();
    assert!(matches!(err, C1zError::NotFound { .. }), "{err}");
    assert!(err.to_string().contains("inspect resources"), "{err}");
}

#[test]
fn changes_name_created_deleted_and_modified_objects() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two.c1z");
    let first = nested();
    write_file(&path, &first);
    let mut second = nested();
    // Bob leaves Developers (both his grants go), Dave's account is re-enabled, Erin joins Leads.
    second.grants.retain(|g| !g.id.ends_with(":user:bob"));
    let dave = second
        .resources
        .iter_mut()
        .find(|r| r.display_name == "Dave Gone")
        .unwrap();
    *dave = with_status(dave.clone(), pb::StatusValue::Enabled);
    let erin = user("erin", "Erin Evans");
    let leads_member = second.entitlements[3].clone();
    second.grants.push(grant(&leads_member, &erin));
    second.resources.push(erin);
    let mut store = SyncStore::open(&path).unwrap();
    store.start_or_resume().unwrap();
    write_fixture(&mut store, &second);
    store.finish().unwrap();

    let reader = C1zReader::open(&path).unwrap();
    let c = sync_changes(&reader).unwrap();
    let grants: Vec<(ChangeKind, &str, &str)> = c
        .grants
        .iter()
        .map(|g| (g.kind, g.principal_name.as_str(), g.resource_name.as_str()))
        .collect();
    assert_eq!(
        grants,
        vec![
            (ChangeKind::Created, "Erin Evans", "Leads"),
            (ChangeKind::Deleted, "Bob Baker", "Developers"),
            (ChangeKind::Deleted, "Bob Baker", "Workspace ws1"),
        ]
    );
    let deleted_ws = &c.grants[2];
    assert_eq!(deleted_ws.entitlement_name, "member");
    assert_eq!(deleted_ws.direct_before, Some(false));
    assert_eq!(deleted_ws.direct_after, None);
    let res: Vec<(
        ChangeKind,
        &str,
        Option<AccountStatus>,
        Option<AccountStatus>,
    )> = c
        .resources
        .iter()
        .map(|r| (r.kind, r.id.as_str(), r.status_before, r.status_after))
        .collect();
    assert_eq!(
        res,
        vec![
            (
                ChangeKind::Created,
                "erin",
                None,
                Some(AccountStatus::Enabled)
            ),
            (
                ChangeKind::Modified,
                "dave",
                Some(AccountStatus::Deleted),
                Some(AccountStatus::Enabled)
            ),
        ]
    );
    assert!(c.entitlements.is_empty());

    let one = tempfile::tempdir().unwrap();
    let single = one.path().join("one.c1z");
    write_file(&single, &nested());
    let err = sync_changes(&C1zReader::open(&single).unwrap()).unwrap_err();
    assert!(
        matches!(err, C1zError::NotEnoughSyncs { found: 1, .. }),
        "{err}"
    );
}
