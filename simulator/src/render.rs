//! JSON shapes, errors, paging envelopes, `fields` partial responses and a small BBQL filter.

use std::collections::HashMap;
use std::convert::Infallible;
use std::ops::Range;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use percent_encoding::{NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde_json::{Map, Value, json};

use crate::data::{Dataset, Project, Repository, User, Workspace};

/// A 2.0 JSON error response.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// `error.message`.
    pub message: String,
}

impl ApiError {
    /// An error with this status and message.
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            message: message.into(),
        }
    }
    /// 401.
    pub fn unauthorized() -> Self {
        Self::new(401, "Unauthorized")
    }
    /// 403.
    pub fn forbidden(msg: &str) -> Self {
        Self::new(403, msg)
    }
    /// 404.
    pub fn not_found(msg: &str) -> Self {
        Self::new(404, msg)
    }
    /// 400.
    pub fn bad_request(msg: &str) -> Self {
        Self::new(400, msg)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"type": "error", "error": {"message": self.message}});
        (self.status, axum::Json(body)).into_response()
    }
}

/// The Bitbucket 429 answer: text/plain, no `Retry-After`.
pub fn rate_limited() -> Response {
    let mut r = (
        StatusCode::TOO_MANY_REQUESTS,
        "Rate limit for this resource has been exceeded",
    )
        .into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    r
}

/// Decodes an `application/x-www-form-urlencoded` string into pairs.
pub fn parse_form(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let d = |x: &str| {
                percent_decode_str(&x.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (d(k), d(v))
        })
        .collect()
}

/// Percent-encodes a path segment (braces become `%7B…%7D`).
pub fn enc(s: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b':');
    utf8_percent_encode(s, SET).to_string()
}

/// Request context: absolute base URL (from `Host`), raw path and query, decoded parameters.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// `http://host:port`.
    pub base: String,
    /// Path as requested.
    pub path: String,
    /// Raw query string.
    pub raw_query: String,
    /// Decoded query parameters (last wins).
    pub params: HashMap<String, String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("127.0.0.1")
            .to_string();
        let raw_query = parts.uri.query().unwrap_or("").to_string();
        Ok(Ctx {
            base: format!("http://{host}"),
            path: parts.uri.path().to_string(),
            params: parse_form(&raw_query).into_iter().collect(),
            raw_query,
        })
    }
}

impl Ctx {
    /// A query parameter.
    pub fn param(&self, k: &str) -> Option<&str> {
        self.params.get(k).map(|s| s.as_str())
    }

    fn link_for_page(&self, page: usize) -> String {
        let mut parts: Vec<&str> = self
            .raw_query
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("page="))
            .collect();
        let pg = format!("page={page}");
        parts.push(&pg);
        format!("{}{}?{}", self.base, self.path, parts.join("&"))
    }

    /// Builds a list-style paged envelope; `render` produces the values of the requested range.
    pub fn page(
        &self,
        total: usize,
        render: impl FnOnce(Range<usize>) -> Vec<Value>,
    ) -> Result<Value, ApiError> {
        let pagelen = match self.param("pagelen") {
            None => 10,
            Some(s) => match s.trim().parse::<usize>() {
                Ok(n) if (1..=100).contains(&n) => n,
                _ => return Err(ApiError::bad_request("Invalid pagelen")),
            },
        };
        let page = match self.param("page") {
            None => 1,
            Some(s) => match s.trim().parse::<usize>() {
                Ok(n) if n >= 1 => n,
                _ => return Err(ApiError::bad_request("Invalid page")),
            },
        };
        let start = ((page - 1) * pagelen).min(total);
        let end = (start + pagelen).min(total);
        let values = render(start..end);
        let mut env = Map::new();
        env.insert("size".into(), json!(total));
        env.insert("page".into(), json!(page));
        env.insert("pagelen".into(), json!(pagelen));
        if end < total {
            env.insert("next".into(), json!(self.link_for_page(page + 1)));
        }
        if page > 1 {
            env.insert("previous".into(), json!(self.link_for_page(page - 1)));
        }
        env.insert("values".into(), Value::Array(values));
        Ok(Value::Object(env))
    }

    /// The `fields` parameter entries, with a leading space (an unencoded `+`) read as `+`.
    pub fn fields(&self) -> Vec<String> {
        self.param("fields")
            .map(|f| {
                f.split(',')
                    .map(|x| {
                        if x.starts_with(' ') {
                            format!("+{}", x.trim())
                        } else {
                            x.trim().to_string()
                        }
                    })
                    .filter(|x| !x.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether `fields` asks to add this dotted path (`+path`).
    pub fn adds(&self, path: &str) -> bool {
        self.fields()
            .iter()
            .any(|f| f.strip_prefix('+') == Some(path))
    }

    /// Applies `fields` and wraps the value as a 200 JSON response.
    pub fn respond(&self, v: Value) -> Response {
        axum::Json(apply_fields(v, &self.fields())).into_response()
    }
}

fn seg_match(pat: &str, key: &str) -> bool {
    pat == "*" || pat == key
}

fn remove_path(v: &mut Value, segs: &[&str]) {
    match v {
        Value::Array(a) => a.iter_mut().for_each(|e| remove_path(e, segs)),
        Value::Object(m) => {
            if segs.len() == 1 {
                m.retain(|k, _| !seg_match(segs[0], k));
            } else {
                for (k, child) in m.iter_mut() {
                    if seg_match(segs[0], k) {
                        remove_path(child, &segs[1..]);
                    }
                }
            }
        }
        _ => {}
    }
}

fn select(v: &Value, pats: &[Vec<&str>]) -> Option<Value> {
    match v {
        Value::Array(a) => Some(Value::Array(
            a.iter().filter_map(|e| select(e, pats)).collect(),
        )),
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, child) in m {
                let matching: Vec<Vec<&str>> = pats
                    .iter()
                    .filter(|p| !p.is_empty() && seg_match(p[0], k))
                    .map(|p| p[1..].to_vec())
                    .collect();
                if matching.is_empty() {
                    continue;
                }
                if matching.iter().any(|t| t.is_empty()) {
                    out.insert(k.clone(), child.clone());
                } else if let Some(s) = select(child, &matching) {
                    out.insert(k.clone(), s);
                }
            }
            Some(Value::Object(out))
        }
        other => Some(other.clone()),
    }
}

/// Applies a Bitbucket `fields` list: plain entries select, `-` entries remove, `+` entries are
/// additions (handled by the endpoints that support them; otherwise ignored).
pub fn apply_fields(v: Value, fields: &[String]) -> Value {
    if fields.is_empty() {
        return v;
    }
    let selections: Vec<Vec<&str>> = fields
        .iter()
        .filter(|f| !f.starts_with('-') && !f.starts_with('+'))
        .map(|f| f.split('.').collect())
        .collect();
    let mut v = if selections.is_empty() {
        v
    } else {
        select(&v, &selections).unwrap_or(Value::Null)
    };
    for f in fields.iter().filter_map(|f| f.strip_prefix('-')) {
        let segs: Vec<&str> = f.split('.').collect();
        remove_path(&mut v, &segs);
    }
    v
}

/// One BBQL condition `field op value`.
#[derive(Debug, Clone)]
pub struct Cond {
    field: String,
    op: String,
    value: String,
}

/// Parses a conjunction of simple BBQL conditions (`a = "x" AND b != "y"`, ops `= != ~ !~`).
pub fn parse_q(q: &str) -> Result<Vec<Cond>, ApiError> {
    let mut out = vec![];
    let bad = || ApiError::bad_request(&format!("Invalid query: {q}"));
    let mut rest = q.trim();
    while !rest.is_empty() {
        let op_pos = rest.find(['=', '!', '~']).ok_or_else(bad)?;
        let field = rest[..op_pos].trim().to_string();
        let after = &rest[op_pos..];
        let op = ["!~", "!=", "=", "~"]
            .into_iter()
            .find(|o| after.starts_with(o))
            .ok_or_else(bad)?;
        let after = after[op.len()..].trim_start();
        let (value, tail) = if let Some(s) = after.strip_prefix('"') {
            let end = s.find('"').ok_or_else(bad)?;
            (s[..end].to_string(), &s[end + 1..])
        } else {
            let end = after.find(' ').unwrap_or(after.len());
            (after[..end].to_string(), &after[end..])
        };
        if field.is_empty() || field.contains(' ') {
            return Err(bad());
        }
        out.push(Cond {
            field,
            op: op.into(),
            value,
        });
        let tail = tail.trim_start();
        rest = if tail.is_empty() {
            ""
        } else if tail.len() >= 3 && tail[..3].eq_ignore_ascii_case("AND") {
            tail[3..].trim_start()
        } else {
            return Err(bad());
        };
    }
    Ok(out)
}

/// Evaluates conditions with a field getter; an unknown field is a 400.
pub fn matches_q(conds: &[Cond], get: impl Fn(&str) -> Option<String>) -> Result<bool, ApiError> {
    for c in conds {
        let Some(actual) = get(&c.field) else {
            return Err(ApiError::bad_request(&format!(
                "Invalid field name: {}",
                c.field
            )));
        };
        let is_uuid = c.value.starts_with('{');
        let eq = if is_uuid {
            actual.eq_ignore_ascii_case(&c.value)
        } else {
            actual == c.value
        };
        let contains = actual.to_lowercase().contains(&c.value.to_lowercase());
        let ok = match c.op.as_str() {
            "=" => eq,
            "!=" => !eq,
            "~" => contains,
            _ => !contains,
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

const AVATAR: &str =
    "https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/default/128";

/// Condensed (embedded) user.
pub fn user_condensed(base: &str, u: &User) -> Value {
    json!({
        "type": "user",
        "uuid": u.uuid,
        "account_id": u.account_id,
        "display_name": u.display_name,
        "nickname": u.nickname,
        "links": {
            "self": {"href": format!("{base}/2.0/users/{}", enc(&u.uuid))},
            "avatar": {"href": AVATAR},
            "html": {"href": format!("https://bitbucket.org/{}/", enc(&u.uuid))}
        }
    })
}

/// Full user (`/2.0/user` when `is_self`, `/2.0/users/{id}` otherwise).
pub fn user_full(base: &str, u: &User, is_self: bool) -> Value {
    let mut v = user_condensed(base, u);
    let m = v.as_object_mut().expect("object");
    m.insert("account_status".into(), json!(u.account_status));
    m.insert("has_2fa_enabled".into(), Value::Null);
    m.insert("is_staff".into(), json!(false));
    m.insert(
        "created_on".into(),
        json!("2021-03-04T10:11:12.000000+00:00"),
    );
    m.insert("location".into(), Value::Null);
    if is_self {
        m.insert("username".into(), json!(u.nickname));
    }
    if let Some(l) = m.get_mut("links").and_then(|l| l.as_object_mut()) {
        l.insert(
            "repositories".into(),
            json!({"href": format!("{base}/2.0/repositories/{}", enc(&u.uuid))}),
        );
    }
    v
}

/// Embedded workspace.
pub fn workspace_embedded(base: &str, w: &Workspace) -> Value {
    json!({
        "type": "workspace",
        "uuid": w.uuid,
        "slug": w.slug,
        "name": w.name,
        "links": {
            "avatar": {"href": format!("https://bitbucket.org/workspaces/{}/avatar/", w.slug)},
            "html": {"href": format!("https://bitbucket.org/{}/", w.slug)},
            "self": {"href": format!("{base}/2.0/workspaces/{}", w.slug)}
        }
    })
}

/// `workspace_base` (no name), as in `/2.0/user/workspaces`.
pub fn workspace_base(base: &str, w: &Workspace) -> Value {
    json!({
        "type": "workspace_base",
        "uuid": w.uuid,
        "slug": w.slug,
        "links": {
            "avatar": {"href": format!("https://bitbucket.org/workspaces/{}/avatar/", w.slug)},
            "self": {"href": format!("{base}/2.0/workspaces/{}", w.slug)}
        }
    })
}

/// Full workspace.
pub fn workspace_full(base: &str, w: &Workspace) -> Value {
    let s = &w.slug;
    json!({
        "type": "workspace",
        "uuid": w.uuid,
        "slug": s,
        "name": w.name,
        "is_private": true,
        "is_privacy_enforced": false,
        "forking_mode": "allow_forks",
        "created_on": "2020-01-02T03:04:05.000000+00:00",
        "updated_on": "2024-05-06T07:08:09.000000+00:00",
        "links": {
            "self": {"href": format!("{base}/2.0/workspaces/{s}")},
            "html": {"href": format!("https://bitbucket.org/{s}/")},
            "avatar": {"href": format!("https://bitbucket.org/workspaces/{s}/avatar/")},
            "members": {"href": format!("{base}/2.0/workspaces/{s}/members")},
            "owners": {"href": format!("{base}/2.0/workspaces/{s}/members?q=permission%3D%22owner%22")},
            "projects": {"href": format!("{base}/2.0/workspaces/{s}/projects")},
            "repositories": {"href": format!("{base}/2.0/repositories/{s}")},
            "snippets": {"href": format!("{base}/2.0/snippets/{s}")}
        }
    })
}

/// The legacy `owner` of workspace content: the user for a personal workspace, a team otherwise.
pub fn owner(base: &str, data: &Dataset, w: &Workspace) -> Value {
    if w.personal
        && let Some(u) = w
            .members
            .iter()
            .find(|m| m.permission == "owner")
            .and_then(|m| data.user(&m.user))
    {
        return user_condensed(base, u);
    }
    json!({
        "type": "team",
        "uuid": w.uuid,
        "username": w.slug,
        "display_name": w.name,
        "links": {
            "self": {"href": format!("{base}/2.0/workspaces/{}", w.slug)},
            "avatar": {"href": format!("https://bitbucket.org/workspaces/{}/avatar/", w.slug)},
            "html": {"href": format!("https://bitbucket.org/{}/", w.slug)}
        }
    })
}

/// Embedded project.
pub fn project_embedded(base: &str, w: &Workspace, p: &Project) -> Value {
    json!({
        "type": "project",
        "key": p.key,
        "uuid": p.uuid,
        "name": p.name,
        "links": {
            "self": {"href": format!("{base}/2.0/workspaces/{}/projects/{}", w.slug, p.key)},
            "html": {"href": format!("https://bitbucket.org/{}/workspace/projects/{}", w.slug, p.key)},
            "avatar": {"href": format!("https://bitbucket.org/{}/workspace/projects/{}/avatar/32", w.slug, p.key)}
        }
    })
}

/// Full project.
pub fn project_full(base: &str, data: &Dataset, w: &Workspace, p: &Project) -> Value {
    let mut v = project_embedded(base, w, p);
    let has_public = w
        .repositories
        .iter()
        .any(|r| r.project == p.uuid && !r.is_private);
    let m = v.as_object_mut().expect("object");
    m.insert("description".into(), json!(p.description));
    m.insert("is_private".into(), json!(p.is_private));
    m.insert("has_publicly_visible_repos".into(), json!(has_public));
    m.insert(
        "created_on".into(),
        json!("2022-02-03T04:05:06.000000+00:00"),
    );
    m.insert(
        "updated_on".into(),
        json!("2024-02-03T04:05:06.000000+00:00"),
    );
    m.insert("owner".into(), owner(base, data, w));
    m.insert("workspace".into(), workspace_embedded(base, w));
    if let Some(l) = m.get_mut("links").and_then(|l| l.as_object_mut()) {
        l.insert(
            "repositories".into(),
            json!({"href": format!("{base}/2.0/repositories/{}?q=project.key%3D%22{}%22", w.slug, p.key)}),
        );
    }
    v
}

/// Full repository.
pub fn repo_full(base: &str, data: &Dataset, w: &Workspace, r: &Repository) -> Value {
    let full = format!("{}/{}", w.slug, r.slug);
    let api = format!("{base}/2.0/repositories/{full}");
    let project = w
        .project_by_uuid(&r.project)
        .map(|p| project_embedded(base, w, p))
        .unwrap_or(Value::Null);
    json!({
        "type": "repository",
        "uuid": r.uuid,
        "full_name": full,
        "slug": r.slug,
        "name": r.name,
        "description": "",
        "scm": "git",
        "website": null,
        "is_private": r.is_private,
        "fork_policy": if r.is_private { "no_public_forks" } else { "allow_forks" },
        "language": "rust",
        "size": 12345,
        "has_issues": false,
        "has_wiki": false,
        "created_on": "2023-01-02T03:04:05.000000+00:00",
        "updated_on": "2024-06-07T08:09:10.000000+00:00",
        "mainbranch": {"type": "branch", "name": "main"},
        "parent": null,
        "owner": owner(base, data, w),
        "workspace": workspace_embedded(base, w),
        "project": project,
        "override_settings": {"default_merge_strategy": false, "branching_model": false},
        "enforced_signed_commits": null,
        "links": {
            "self": {"href": api},
            "html": {"href": format!("https://bitbucket.org/{full}")},
            "avatar": {"href": format!("https://bytebucket.org/ravatar/{}?ts=default", enc(&r.uuid))},
            "pullrequests": {"href": format!("{api}/pullrequests")},
            "commits": {"href": format!("{api}/commits")},
            "forks": {"href": format!("{api}/forks")},
            "watchers": {"href": format!("{api}/watchers")},
            "branches": {"href": format!("{api}/refs/branches")},
            "tags": {"href": format!("{api}/refs/tags")},
            "downloads": {"href": format!("{api}/downloads")},
            "source": {"href": format!("{api}/src")},
            "hooks": {"href": format!("{api}/hooks")},
            "clone": [
                {"name": "https", "href": format!("https://bitbucket.org/{full}.git")},
                {"name": "ssh", "href": format!("git@bitbucket.org:{full}.git")}
            ]
        }
    })
}

/// A 1.0 member object (as embedded in 1.0 groups).
pub fn member_v1(u: &User) -> Value {
    json!({
        "display_name": u.display_name,
        "account_id": u.account_id,
        "uuid": u.uuid,
        "nickname": u.nickname,
        "is_team": false,
        "is_staff": false,
        "is_active": u.account_status == "active",
        "avatar": AVATAR,
        "resource_uri": format!("/1.0/users/{}", enc(&u.uuid))
    })
}

/// A 1.0 team owner object.
pub fn team_v1(w: &Workspace) -> Value {
    json!({
        "display_name": w.name,
        "uuid": w.uuid,
        "is_team": true,
        "avatar": format!("https://bitbucket.org/workspaces/{}/avatar/", w.slug),
        "nickname": w.slug,
        "username": w.slug,
        "resource_uri": format!("/1.0/users/{}", w.slug)
    })
}
