//! The simulated Bitbucket state and its deterministic seeding.

use serde::Serialize;

use crate::Scale;

/// A small deterministic generator (splitmix64): the same seed always gives the same data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5eed_b17b_0c4e_7a11)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// A float in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A random lowercase uuid without braces.
    pub fn uuid_bare(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        let hex = format!("{a:016x}{b:016x}");
        let variant = ["8", "9", "a", "b"][(b >> 62) as usize];
        format!(
            "{}-{}-4{}-{variant}{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[13..16],
            &hex[17..20],
            &hex[20..32]
        )
    }

    /// A random lowercase uuid in braces, as Bitbucket writes them.
    pub fn uuid(&mut self) -> String {
        format!("{{{}}}", self.uuid_bare())
    }
}

/// A Bitbucket account.
#[derive(Debug, Clone, Serialize)]
pub struct User {
    /// `{uuid}` with braces.
    pub uuid: String,
    /// Atlassian account id (`557058:<uuid>`).
    pub account_id: String,
    /// Display name (may be unicode).
    pub display_name: String,
    /// Nickname (lowercase, used as the personal workspace slug for the admin).
    pub nickname: String,
    /// `active`, `inactive` or `closed`.
    pub account_status: String,
    /// Atlassian account e-mail (never served except for the caller's own Basic login).
    pub email: String,
}

/// A workspace membership.
#[derive(Debug, Clone, Serialize)]
pub struct Membership {
    /// Member uuid.
    pub user: String,
    /// `owner` or `member`.
    pub permission: String,
}

/// A user group (1.0 API).
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// Group slug (unique per workspace).
    pub slug: String,
    /// Group name.
    pub name: String,
    /// Default repository permission (`read|write|admin` or none).
    pub permission: Option<String>,
    /// Member uuids, in insertion order.
    pub members: Vec<String>,
}

/// An explicit permission entry (permissions-config).
#[derive(Debug, Clone, Serialize)]
pub struct Perm {
    /// User uuid or group slug.
    pub principal: String,
    /// `read|write|create-repo|admin`.
    pub permission: String,
}

/// A project.
#[derive(Debug, Clone, Serialize)]
pub struct Project {
    /// `{uuid}`.
    pub uuid: String,
    /// Upper-case key.
    pub key: String,
    /// Display name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Private flag.
    pub is_private: bool,
    /// Explicit user permissions (principal = user uuid).
    pub user_perms: Vec<Perm>,
    /// Explicit group permissions (principal = group slug).
    pub group_perms: Vec<Perm>,
}

/// A repository; it always belongs to a project.
#[derive(Debug, Clone, Serialize)]
pub struct Repository {
    /// `{uuid}`.
    pub uuid: String,
    /// Lowercase slug.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// The project's uuid.
    pub project: String,
    /// Private flag.
    pub is_private: bool,
    /// Explicit user permissions.
    pub user_perms: Vec<Perm>,
    /// Explicit group permissions.
    pub group_perms: Vec<Perm>,
}

/// A workspace with everything it contains.
#[derive(Debug, Clone, Serialize)]
pub struct Workspace {
    /// `{uuid}`.
    pub uuid: String,
    /// Lowercase slug.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Whether this is a user's personal workspace.
    pub personal: bool,
    /// Members and their workspace permission.
    pub members: Vec<Membership>,
    /// User groups.
    pub groups: Vec<Group>,
    /// Projects.
    pub projects: Vec<Project>,
    /// Repositories.
    pub repositories: Vec<Repository>,
}

/// The whole simulated state.
#[derive(Debug, Clone, Serialize)]
pub struct Dataset {
    /// Every account.
    pub users: Vec<User>,
    /// Every workspace.
    pub workspaces: Vec<Workspace>,
    /// The admin user's uuid (owner of the API token and OAuth consumer).
    pub admin: String,
    /// The non-admin user's uuid.
    pub non_admin: String,
    /// The slug of the workspace the access token is scoped to.
    pub access_token_workspace: String,
}

/// Compares uuids case-insensitively, with or without braces.
pub fn uuid_eq(a: &str, b: &str) -> bool {
    let t = |s: &str| {
        s.trim_start_matches('{')
            .trim_end_matches('}')
            .to_ascii_lowercase()
    };
    a.starts_with('{') && b.starts_with('{') && t(a) == t(b)
}

impl Dataset {
    /// The user with this uuid.
    pub fn user(&self, uuid: &str) -> Option<&User> {
        self.users.iter().find(|u| u.uuid == uuid)
    }

    /// Looks a user up by `{uuid}` (case-insensitive) or account id.
    pub fn find_user(&self, id: &str) -> Option<&User> {
        if id.starts_with('{') {
            self.users.iter().find(|u| uuid_eq(&u.uuid, id))
        } else {
            self.users.iter().find(|u| u.account_id == id)
        }
    }

    /// Index of a workspace by slug or `{uuid}`.
    pub fn ws_index(&self, id: &str) -> Option<usize> {
        if id.starts_with('{') {
            self.workspaces.iter().position(|w| uuid_eq(&w.uuid, id))
        } else {
            self.workspaces.iter().position(|w| w.slug == id)
        }
    }

    /// Workspace by slug.
    pub fn ws_by_slug(&self, slug: &str) -> Option<&Workspace> {
        self.workspaces.iter().find(|w| w.slug == slug)
    }
}

impl Workspace {
    /// The member's workspace permission, if a member.
    pub fn role(&self, user: &str) -> Option<&str> {
        self.members
            .iter()
            .find(|m| m.user == user)
            .map(|m| m.permission.as_str())
    }

    /// Project by key.
    pub fn project_by_key(&self, key: &str) -> Option<usize> {
        self.projects.iter().position(|p| p.key == key)
    }

    /// Project by uuid.
    pub fn project_by_uuid(&self, uuid: &str) -> Option<&Project> {
        self.projects.iter().find(|p| uuid_eq(&p.uuid, uuid))
    }

    /// Repository by slug or `{uuid}`.
    pub fn repo_index(&self, id: &str) -> Option<usize> {
        if id.starts_with('{') {
            self.repositories.iter().position(|r| uuid_eq(&r.uuid, id))
        } else {
            self.repositories.iter().position(|r| r.slug == id)
        }
    }

    /// Group by slug.
    pub fn group_index(&self, slug: &str) -> Option<usize> {
        self.groups.iter().position(|g| g.slug == slug)
    }
}

/// Size parameters of a scale.
struct Sizes {
    users: usize,
    team_workspaces: usize,
    groups: usize,
    projects: usize,
    repos: usize,
    grants: usize,
}

fn sizes(scale: Scale) -> Sizes {
    match scale {
        // Small needs four workspaces: the edge cases (personal, empty, not administered) each take one.
        Scale::Small => Sizes {
            users: 25,
            team_workspaces: 1,
            groups: 5,
            projects: 6,
            repos: 30,
            grants: 50,
        },
        Scale::Medium => Sizes {
            users: 300,
            team_workspaces: 2,
            groups: 30,
            projects: 40,
            repos: 600,
            grants: 1000,
        },
        Scale::Large => Sizes {
            users: 3000,
            team_workspaces: 4,
            groups: 200,
            projects: 300,
            repos: 10_000,
            grants: 15_000,
        },
    }
}

const FIRST: &[&str] = &[
    "Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy", "Mallory",
    "Niaj", "Olivia", "Peggy", "Rupert", "Sybil", "Trent", "Victor", "Walter", "Yara", "Søren",
    "Łukasz", "Chloé", "José",
];
const LAST: &[&str] = &[
    "Smith",
    "Jones",
    "Müller",
    "García",
    "Rossi",
    "Kowalski",
    "Nakamura",
    "Ødegaard",
    "Dubois",
    "Novak",
    "Silva",
    "Brown",
    "Khan",
    "Ivanova",
    "O'Brien",
    "Lee",
];
const WORDS: &[&str] = &[
    "api", "web", "core", "billing", "auth", "infra", "mobile", "data", "search", "ui", "docs",
    "tools", "gateway", "ledger", "metrics", "sync", "portal", "worker", "cli", "sdk",
];
const PROJECT_PERMS: &[&str] = &["read", "write", "create-repo", "admin"];
const REPO_PERMS: &[&str] = &["read", "write", "admin"];

/// The admin's nickname, also its personal workspace slug.
pub const ADMIN_NICKNAME: &str = "sim-admin";

fn new_user(rng: &mut Rng, display: String, nickname: String, email: String) -> User {
    let uuid_bare = rng.uuid_bare();
    let acct = rng.uuid_bare();
    User {
        uuid: format!("{{{uuid_bare}}}"),
        account_id: format!("557058:{acct}"),
        display_name: display,
        nickname,
        account_status: "active".into(),
        email,
    }
}

/// Builds the seeded dataset for a scale.
pub fn seed(scale: Scale, seed: u64) -> Dataset {
    let s = sizes(scale);
    let mut rng = Rng::new(seed);

    // Users: 0 = admin, 1 = non-admin credential user, 2 = "Zoë Ångström", rest generated.
    let mut users = vec![
        new_user(
            &mut rng,
            "Sim Admin".into(),
            ADMIN_NICKNAME.into(),
            "admin@example.com".into(),
        ),
        new_user(
            &mut rng,
            "Nora Nonadmin".into(),
            "nora-nonadmin".into(),
            "nora@example.com".into(),
        ),
        new_user(
            &mut rng,
            "Zoë Ångström".into(),
            "zoe-angstrom".into(),
            "zoe@example.com".into(),
        ),
    ];
    for i in users.len()..s.users {
        let f = FIRST[rng.below(FIRST.len())];
        let l = LAST[rng.below(LAST.len())];
        let nick = format!("user{i:05}");
        let email = format!("{nick}@example.com");
        users.push(new_user(&mut rng, format!("{f} {l}"), nick, email));
    }
    // Inactive and closed users (never the credential users or Zoë).
    let n = users.len();
    users[n - 1].account_status = "closed".into();
    users[n - 2].account_status = "inactive".into();
    for u in users.iter_mut().skip(3).take(n.saturating_sub(5)) {
        let r = rng.unit();
        if r < 0.03 {
            u.account_status = "inactive".into();
        } else if r < 0.05 {
            u.account_status = "closed".into();
        }
    }
    let admin = users[0].uuid.clone();
    let non_admin = users[1].uuid.clone();

    let mk_ws = |rng: &mut Rng, slug: &str, name: &str, personal: bool| Workspace {
        uuid: rng.uuid(),
        slug: slug.into(),
        name: name.into(),
        personal,
        members: vec![],
        groups: vec![],
        projects: vec![],
        repositories: vec![],
    };
    let member = |u: &str, p: &str| Membership {
        user: u.into(),
        permission: p.into(),
    };

    // Fixed workspaces.
    let mut personal = mk_ws(&mut rng, ADMIN_NICKNAME, "Sim Admin", true);
    personal.members.push(member(&admin, "owner"));
    let mut empty = mk_ws(&mut rng, "empty-space", "Empty Space", false);
    empty.members.push(member(&admin, "owner"));
    let mut partner = mk_ws(&mut rng, "partner-co", "Partner Co", false);
    partner.members.push(member(&non_admin, "owner"));
    partner.members.push(member(&admin, "member"));
    let mut teams: Vec<Workspace> = (0..s.team_workspaces)
        .map(|i| {
            let (slug, name) = match i {
                0 => ("acme".to_string(), "Acme Corp".to_string()),
                1 => ("globex".into(), "Globex Ünïcode GmbH".into()),
                _ => (format!("team-{i}"), format!("Team {i}")),
            };
            let mut w = mk_ws(&mut rng, &slug, &name, false);
            w.members.push(member(&admin, "owner"));
            w
        })
        .collect();
    teams[0].members.push(member(&non_admin, "member"));

    // Distribute the other users over the data workspaces (teams + partner).
    // data index: 0..teams = teams, teams.len() = partner.
    let data_count = teams.len() + 1;
    for (i, u) in users.iter().enumerate().skip(2) {
        let primary = if i == 2 { 0 } else { i % data_count };
        let mut targets = vec![primary];
        // Zoë belongs to every data workspace: one resource listed under several parents.
        if i == 2 {
            targets = (0..data_count).collect();
        } else if rng.unit() < 0.15 {
            let other = (primary + 1 + rng.below(data_count - 1)) % data_count;
            targets.push(other);
        }
        for t in targets {
            let ws = if t < teams.len() {
                &mut teams[t]
            } else {
                &mut partner
            };
            let perm = if rng.unit() < 0.03 { "owner" } else { "member" };
            ws.members.push(member(&u.uuid, perm));
        }
    }
    // Make sure each team has a second owner.
    for t in teams.iter_mut() {
        if t.members.iter().filter(|m| m.permission == "owner").count() < 2
            && let Some(m) = t.members.iter_mut().skip(2).find(|m| m.user != non_admin)
        {
            m.permission = "owner".into();
        }
    }

    // Personal workspace: one project with two repositories.
    let pproj = Project {
        uuid: rng.uuid(),
        key: "PERS".into(),
        name: "Personal Stuff".into(),
        description: "The admin's own project".into(),
        is_private: true,
        user_perms: vec![],
        group_perms: vec![],
    };
    for (slug, name) in [("dotfiles", "dotfiles"), ("notes", "Notes")] {
        personal.repositories.push(Repository {
            uuid: rng.uuid(),
            slug: slug.into(),
            name: name.into(),
            project: pproj.uuid.clone(),
            is_private: true,
            user_perms: vec![],
            group_perms: vec![],
        });
    }
    personal.projects.push(pproj);

    let mut data: Vec<Workspace> = teams;
    data.push(partner);

    // Groups.
    for gi in 0..s.groups {
        let wi = if gi == 0 { 0 } else { gi % data.len() };
        let ws = &mut data[wi];
        let word = WORDS[gi % WORDS.len()];
        let slug = format!("{word}-team-{gi}");
        let name = if gi == 1 {
            "Développeurs Ünïcode".to_string()
        } else {
            format!("{} Team {gi}", capitalize(word))
        };
        let mut members = vec![];
        // Group 2 stays empty.
        if gi != 2 {
            let n = 1 + rng.below(12.min(ws.members.len()));
            for _ in 0..n {
                let m = &ws.members[rng.below(ws.members.len())];
                if !members.contains(&m.user) {
                    members.push(m.user.clone());
                }
            }
        }
        let permission = match rng.below(4) {
            0 => None,
            1 => Some("read".to_string()),
            2 => Some("write".to_string()),
            _ => Some("admin".to_string()),
        };
        ws.groups.push(Group {
            slug,
            name,
            permission,
            members,
        });
    }

    // Projects (the personal one already counts as one).
    let mut key_counter = 0usize;
    for pi in 0..s.projects.saturating_sub(1) {
        let wi = if pi < 2 { 0 } else { pi % data.len() };
        let ws = &mut data[wi];
        key_counter += 1;
        let word = WORDS[pi % WORDS.len()];
        let (key, name) = match pi {
            0 => ("EMPTY".to_string(), "Empty Project".to_string()),
            1 => ("NIHON".to_string(), "日本語プロジェクト".to_string()),
            _ => (
                format!("{}{key_counter}", word.to_ascii_uppercase()),
                format!("{} {key_counter}", capitalize(word)),
            ),
        };
        ws.projects.push(Project {
            uuid: rng.uuid(),
            key,
            name,
            description: String::new(),
            is_private: rng.unit() < 0.8,
            user_perms: vec![],
            group_perms: vec![],
        });
    }

    // Repositories (the personal two count).
    for ri in 0..s.repos.saturating_sub(2) {
        let wi = if ri == 0 { 0 } else { ri % data.len() };
        let ws = &mut data[wi];
        // Never into the EMPTY project.
        let candidates: Vec<usize> = (0..ws.projects.len())
            .filter(|&i| ws.projects[i].key != "EMPTY")
            .collect();
        let pi = if ri == 0 {
            ws.project_by_key("NIHON").unwrap_or(candidates[0])
        } else {
            candidates[rng.below(candidates.len())]
        };
        let word = WORDS[rng.below(WORDS.len())];
        let (slug, name) = if ri == 0 {
            (
                "donnees-unicode".to_string(),
                "Données Ünïcode 日本".to_string(),
            )
        } else {
            (format!("{word}-{ri}"), format!("{} {ri}", capitalize(word)))
        };
        let project = ws.projects[pi].uuid.clone();
        let is_private = ws.projects[pi].is_private || rng.unit() < 0.7;
        ws.repositories.push(Repository {
            uuid: rng.uuid(),
            slug,
            name,
            project,
            is_private,
            user_perms: vec![],
            group_perms: vec![],
        });
    }

    // Explicit grants on projects and repositories.
    let targets: usize = data
        .iter()
        .map(|w| w.projects.len() + w.repositories.len())
        .sum();
    let avg = s.grants as f64 / targets.max(1) as f64;
    for ws in data.iter_mut() {
        let eligible: Vec<String> = ws
            .members
            .iter()
            .filter(|m| m.permission != "owner")
            .map(|m| m.user.clone())
            .collect();
        let groups: Vec<String> = ws.groups.iter().map(|g| g.slug.clone()).collect();
        let draw = |rng: &mut Rng, perms: &[&str]| -> (Vec<Perm>, Vec<Perm>) {
            let mut k = avg.floor() as usize;
            if rng.unit() < avg.fract() {
                k += 1;
            }
            let (mut up, mut gp): (Vec<Perm>, Vec<Perm>) = (vec![], vec![]);
            for _ in 0..k {
                let permission = perms[rng.below(perms.len())].to_string();
                if !groups.is_empty() && rng.unit() < 0.3 {
                    let g = &groups[rng.below(groups.len())];
                    if !gp.iter().any(|p| &p.principal == g) {
                        gp.push(Perm {
                            principal: g.clone(),
                            permission,
                        });
                    }
                } else if !eligible.is_empty() {
                    let u = &eligible[rng.below(eligible.len())];
                    if !up.iter().any(|p| &p.principal == u) {
                        up.push(Perm {
                            principal: u.clone(),
                            permission,
                        });
                    }
                }
            }
            (up, gp)
        };
        for p in ws.projects.iter_mut() {
            let (u, g) = draw(&mut rng, PROJECT_PERMS);
            p.user_perms = u;
            p.group_perms = g;
        }
        for r in ws.repositories.iter_mut() {
            let (u, g) = draw(&mut rng, REPO_PERMS);
            r.user_perms = u;
            r.group_perms = g;
        }
    }

    // Edge case: a group whose member also holds an explicit permission on the same repository.
    {
        let ws = &mut data[0];
        let g = ws.groups[0].clone();
        if let (Some(first), Some(repo)) = (g.members.first(), ws.repositories.first_mut()) {
            set_perm(&mut repo.group_perms, &g.slug, "write");
            if ws
                .members
                .iter()
                .any(|m| &m.user == first && m.permission != "owner")
            {
                set_perm(&mut repo.user_perms, first, "admin");
            }
        }
    }

    member_only_admin_access(&mut data, &admin);

    let access_token_workspace = data[0].slug.clone();
    let mut workspaces = vec![personal, empty];
    workspaces.extend(data);
    Dataset {
        users,
        workspaces,
        admin,
        non_admin,
        access_token_workspace,
    }
}

/// Inserts or updates an explicit permission, keeping list order.
pub fn set_perm(list: &mut Vec<Perm>, principal: &str, permission: &str) {
    if let Some(p) = list.iter_mut().find(|p| p.principal == principal) {
        p.permission = permission.into();
    } else {
        list.push(Perm {
            principal: principal.into(),
            permission: permission.into(),
        });
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// The admin credential's access in `partner-co`, which it does not administer (it is a plain
/// member there): admin of one repository explicitly, and admin of one project through a group,
/// and nothing else, so the sync must find exactly these through the caller's own permissions.
fn member_only_admin_access(data: &mut [Workspace], admin: &str) {
    let Some(ws) = data.iter_mut().find(|w| w.slug == "partner-co") else {
        return;
    };
    for p in ws.projects.iter_mut() {
        p.user_perms.retain(|p| p.principal != admin);
    }
    for r in ws.repositories.iter_mut() {
        r.user_perms.retain(|p| p.principal != admin);
    }
    for g in ws.groups.iter_mut() {
        g.members.retain(|m| m != admin);
    }
    // Small organisations have a single project there: give the scenario a second one, holding
    // one repository moved out of the first.
    let with_repos = |ws: &Workspace| {
        ws.projects
            .iter()
            .filter(|p| ws.repositories.iter().any(|r| r.project == p.uuid))
            .count()
    };
    if with_repos(ws) == 1 {
        let uuid = format!("{{{}}}", "5ca1ab1e-0000-4000-8000-00000000a001");
        if let Some(r) = ws.repositories.last_mut() {
            r.project = uuid.clone();
        }
        ws.projects.push(Project {
            uuid,
            key: "REL".into(),
            name: "Release Tooling".into(),
            description: String::new(),
            is_private: true,
            user_perms: vec![],
            group_perms: vec![],
        });
    }
    let repos_of = |ws: &Workspace, project: &str| {
        ws.repositories
            .iter()
            .filter(|r| r.project == project)
            .count()
    };
    // The project of the administered repository keeps other repositories the caller cannot
    // administer, so it cannot be mistaken for an administered project.
    let mut by_size: Vec<(usize, String)> = ws
        .projects
        .iter()
        .map(|p| (repos_of(ws, &p.uuid), p.uuid.clone()))
        .filter(|(n, _)| *n > 0)
        .collect();
    by_size.sort();
    let (Some((_, administered)), Some((_, with_one_admin_repo))) =
        (by_size.first().cloned(), by_size.last().cloned())
    else {
        return;
    };
    if administered == with_one_admin_repo {
        return;
    }
    if let Some(r) = ws
        .repositories
        .iter_mut()
        .find(|r| r.project == with_one_admin_repo)
    {
        set_perm(&mut r.user_perms, admin, "admin");
    }
    let other = ws
        .members
        .iter()
        .find(|m| m.user != admin && m.permission != "owner")
        .map(|m| m.user.clone());
    let slug = "release-managers".to_string();
    ws.groups.push(Group {
        slug: slug.clone(),
        name: "Release Managers".into(),
        permission: None,
        members: std::iter::once(admin.to_string()).chain(other).collect(),
    });
    if let Some(p) = ws.projects.iter_mut().find(|p| p.uuid == administered) {
        set_perm(&mut p.group_perms, &slug, "admin");
    }
}
