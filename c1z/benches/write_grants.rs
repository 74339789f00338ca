//! Writes 1,000,000 grants (plus their resources and entitlements) through `SyncStore`, checkpointing every 100k,
//! and prints throughput, total time, output size and peak RSS. Run: `cargo bench -p c1z --bench write_grants`.

use std::time::Instant;

use c1z::SyncStore;
use c1z::pb::{self, Annotation};

const GRANTS: usize = 1_000_000;
const USERS: usize = 10_000;
const REPOS: usize = 1_000;
const SLUGS: [&str; 3] = ["read", "write", "admin"];
const PAGE: usize = 100;
const CHECKPOINT_EVERY: usize = 100_000;

fn rid(rt: &str, id: String) -> pb::ResourceId {
    pb::ResourceId {
        resource_type: rt.into(),
        resource: id,
        baton_resource: false,
    }
}

fn uuid(n: usize) -> String {
    format!(
        "{{{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}}}",
        n * 2654435761 % (1 << 32),
        n % 65536,
        n % 4096,
        n % 4096,
        n
    )
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench.c1z");
    let ws = uuid(0);
    let project = format!("{ws}:{}:PROJ", uuid(1));
    let t0 = Instant::now();
    let mut store = SyncStore::open(&path).expect("open");
    store.start_or_resume().expect("start");
    store
        .put_resource_types(&[
            pb::ResourceType {
                id: "user".into(),
                display_name: "User".into(),
                traits: vec![pb::Trait::User as i32],
                ..Default::default()
            },
            pb::ResourceType {
                id: "repository".into(),
                display_name: "Repository".into(),
                ..Default::default()
            },
        ])
        .expect("types");
    let users: Vec<pb::Resource> = (0..USERS)
        .map(|i| {
            let t = pb::UserTrait {
                login: format!("user{i}"),
                emails: vec![pb::Email {
                    address: format!("user{i}@example.com"),
                    is_primary: true,
                }],
                status: Some(pb::user_trait::Status {
                    status: 1,
                    details: String::new(),
                }),
                account_type: 1,
                ..Default::default()
            };
            pb::Resource {
                id: Some(rid("user", uuid(1000 + i))),
                display_name: format!("User Number {i}"),
                annotations: vec![t.to_any()],
                ..Default::default()
            }
        })
        .collect();
    for chunk in users.chunks(PAGE) {
        store.put_resources(chunk).expect("users");
    }
    let repos: Vec<pb::Resource> = (0..REPOS)
        .map(|i| pb::Resource {
            id: Some(rid(
                "repository",
                format!("{project}:{}", uuid(100_000 + i)),
            )),
            parent_resource_id: Some(rid("project", project.clone())),
            display_name: format!("repository-{i}"),
            ..Default::default()
        })
        .collect();
    store.put_resources(&repos).expect("repos");
    let ents: Vec<pb::Entitlement> = repos
        .iter()
        .flat_map(|r| {
            let id = r.id.clone().unwrap();
            SLUGS.iter().map(move |s| pb::Entitlement {
                resource: Some(r.clone()),
                id: pb::entitlement_id(&id.resource_type, &id.resource, s),
                display_name: format!("{} {s}", r.display_name),
                slug: s.to_string(),
                purpose: pb::Purpose::Permission as i32,
                ..Default::default()
            })
        })
        .collect();
    store.put_entitlements(&ents).expect("entitlements");
    let setup = t0.elapsed();

    let per_ent = GRANTS.div_ceil(ents.len());
    let t1 = Instant::now();
    let mut written = 0;
    let mut in_store = std::time::Duration::ZERO;
    let mut page = Vec::with_capacity(PAGE);
    'outer: for (ei, e) in ents.iter().enumerate() {
        for k in 0..per_ent {
            if written == GRANTS {
                break 'outer;
            }
            let u = &users[(ei * 7 + k * 13) % USERS];
            let pid = u.id.clone().unwrap();
            // NewGrant embeds a stub entitlement (id + resource) and the principal id only.
            page.push(pb::Grant {
                id: pb::grant_id(&e.id, &pid.resource_type, &pid.resource),
                entitlement: Some(pb::Entitlement {
                    id: e.id.clone(),
                    resource: e.resource.clone(),
                    ..Default::default()
                }),
                principal: Some(pb::Resource {
                    id: Some(pid),
                    ..Default::default()
                }),
                ..Default::default()
            });
            written += 1;
            if page.len() == PAGE {
                let t = Instant::now();
                store.put_grants(&page).expect("grants");
                in_store += t.elapsed();
                page.clear();
            }
            if written % CHECKPOINT_EVERY == 0 {
                let t = Instant::now();
                store
                    .checkpoint(&format!("{{\"version\":1,\"n\":{written}}}"))
                    .expect("checkpoint");
                in_store += t.elapsed();
            }
        }
    }
    store.put_grants(&page).expect("grants");
    store.checkpoint("{\"version\":1}").expect("checkpoint");
    let put = t1.elapsed();
    let db_size = std::fs::metadata(store.work_path())
        .map(|m| m.len())
        .unwrap_or(0);
    let t2 = Instant::now();
    let out = store.finish().expect("finish");
    let finish = t2.elapsed();
    let size = std::fs::metadata(&out).expect("output").len();
    let total = t0.elapsed();
    println!("| metric | value |");
    println!("|---|---|");
    println!("| grants written | {written} |");
    println!(
        "| setup (types, {USERS} users, {REPOS} repos, {} ents) | {:.2} s |",
        ents.len(),
        setup.as_secs_f64()
    );
    println!("| put_grants + checkpoints | {:.2} s |", put.as_secs_f64());
    println!(
        "| grants/s (put loop, incl. building grants) | {:.0} |",
        written as f64 / put.as_secs_f64()
    );
    println!(
        "| grants/s (time inside put_grants + checkpoint) | {:.0} |",
        written as f64 / in_store.as_secs_f64()
    );
    println!(
        "| finish (stats, cleanup, compress, rename) | {:.2} s |",
        finish.as_secs_f64()
    );
    println!("| total | {:.2} s |", total.as_secs_f64());
    println!("| sqlite db size | {:.1} MiB |", db_size as f64 / 1048576.0);
    println!("| output .c1z size | {:.1} MiB |", size as f64 / 1048576.0);
    println!(
        "| peak RSS (VmHWM) | {:.1} MiB |",
        peak_rss_kib() as f64 / 1024.0
    );
}
