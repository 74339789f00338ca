//! Shared fixtures: a small Bitbucket-like data set.
#![allow(dead_code)]

use c1z::pb::{self, Annotation};
use prost_types::{Struct, Value, value::Kind};

pub fn rt(id: &str, name: &str, traits: &[pb::Trait]) -> pb::ResourceType {
    pb::ResourceType {
        id: id.into(),
        display_name: name.into(),
        traits: traits.iter().map(|t| *t as i32).collect(),
        ..Default::default()
    }
}

pub fn rid(rt: &str, id: &str) -> pb::ResourceId {
    pb::ResourceId {
        resource_type: rt.into(),
        resource: id.into(),
        baton_resource: false,
    }
}

pub fn user(id: &str, name: &str) -> pb::Resource {
    let mut profile = Struct::default();
    // Inserted out of order on purpose: encoding must still be sorted by key.
    profile.fields.insert(
        "zeta".into(),
        Value {
            kind: Some(Kind::StringValue("z".into())),
        },
    );
    profile.fields.insert(
        "alpha".into(),
        Value {
            kind: Some(Kind::NumberValue(1.0)),
        },
    );
    let t = pb::UserTrait {
        emails: vec![pb::Email {
            address: format!("{id}@example.com"),
            is_primary: true,
        }],
        status: Some(pb::user_trait::Status {
            status: pb::StatusValue::Enabled as i32,
            details: String::new(),
        }),
        profile: Some(profile),
        account_type: pb::AccountType::Human as i32,
        login: id.into(),
        structured_name: Some(pb::StructuredName {
            given_name: name.into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    pb::Resource {
        id: Some(rid("user", id)),
        display_name: name.into(),
        annotations: vec![t.to_any()],
        ..Default::default()
    }
}

pub fn group(id: &str, name: &str, parent: &str) -> pb::Resource {
    pb::Resource {
        id: Some(rid("user_group", id)),
        parent_resource_id: Some(rid("workspace", parent)),
        display_name: name.into(),
        annotations: vec![pb::GroupTrait::default().to_any()],
        ..Default::default()
    }
}

pub fn workspace(id: &str) -> pb::Resource {
    pb::Resource {
        id: Some(rid("workspace", id)),
        display_name: format!("Workspace {id}"),
        annotations: vec![
            pb::ChildResourceType {
                resource_type_id: "user_group".into(),
            }
            .to_any(),
        ],
        ..Default::default()
    }
}

pub fn ent(res: &pb::Resource, slug: &str) -> pb::Entitlement {
    let id = res.id.as_ref().unwrap();
    pb::Entitlement {
        resource: Some(res.clone()),
        id: pb::entitlement_id(&id.resource_type, &id.resource, slug),
        display_name: slug.into(),
        slug: slug.into(),
        purpose: pb::Purpose::Assignment as i32,
        grantable_to: vec![rt("user", "User", &[pb::Trait::User])],
        ..Default::default()
    }
}

pub fn grant(e: &pb::Entitlement, principal: &pb::Resource) -> pb::Grant {
    let p = principal.id.as_ref().unwrap();
    pb::Grant {
        entitlement: Some(pb::Entitlement {
            id: e.id.clone(),
            resource: e.resource.clone(),
            ..Default::default()
        }),
        principal: Some(pb::Resource {
            id: Some(p.clone()),
            ..Default::default()
        }),
        id: pb::grant_id(&e.id, &p.resource_type, &p.resource),
        ..Default::default()
    }
}

pub struct Fixture {
    pub types: Vec<pb::ResourceType>,
    pub resources: Vec<pb::Resource>,
    pub entitlements: Vec<pb::Entitlement>,
    pub grants: Vec<pb::Grant>,
}

pub fn fixture() -> Fixture {
    let types = vec![
        rt("workspace", "Workspace", &[]),
        rt("user_group", "User Group", &[pb::Trait::Group]),
        rt("user", "User", &[pb::Trait::User]),
    ];
    let ws = workspace("ws1");
    let g = group("ws1:devs", "Developers", "ws1");
    let alice = user("alice", "Alice");
    let bob = user("bob", "Bob");
    let ws_member = ent(&ws, "member");
    let g_member = ent(&g, "member");
    let mut g_grant = grant(&ws_member, &g);
    g_grant.annotations.push(
        pb::GrantExpandable {
            entitlement_ids: vec![g_member.id.clone()],
            shallow: false,
            resource_type_ids: vec![],
        }
        .to_any(),
    );
    let grants = vec![grant(&ws_member, &alice), grant(&g_member, &bob), g_grant];
    Fixture {
        types,
        resources: vec![ws, g, alice, bob],
        entitlements: vec![ws_member, g_member],
        grants,
    }
}

pub fn write_fixture(store: &mut c1z::SyncStore, f: &Fixture) {
    store.put_resource_types(&f.types).unwrap();
    store.put_resources(&f.resources).unwrap();
    store.put_entitlements(&f.entitlements).unwrap();
    store.put_grants(&f.grants).unwrap();
}

pub fn write_file(path: &std::path::Path, f: &Fixture) -> String {
    let mut store = c1z::SyncStore::open(path).unwrap();
    let run = store.start_or_resume().unwrap();
    write_fixture(&mut store, f);
    store.finish().unwrap();
    run.id
}
