//! Finding resources by what a person knows of them: a name, a login, an e-mail address, or the id.

use super::index::{AccessIndex, ResourceRef};
use crate::error::C1zError;

/// Which field of a resource matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MatchedField {
    /// The display name.
    Name,
    /// The login.
    Login,
    /// An e-mail address.
    Email,
    /// The id.
    Id,
}

/// How well a field matched; lower is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MatchQuality {
    /// The whole field.
    Exact,
    /// The start of the field or of a word in it.
    Prefix,
    /// Anywhere.
    Contains,
}

/// One resource found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHit {
    /// The resource.
    pub resource: ResourceRef,
    /// The best-matching field.
    pub field: MatchedField,
    /// How well.
    pub quality: MatchQuality,
}

/// The hits of a search, best first, and how many there were before the limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchResults {
    /// At most the requested number of hits.
    pub hits: Vec<SearchHit>,
    /// All matches.
    pub total: usize,
}

fn quality(field: &str, needle: &str) -> Option<MatchQuality> {
    if field.is_empty() {
        return None;
    }
    let field = field.to_lowercase();
    if field == needle {
        return Some(MatchQuality::Exact);
    }
    let pos = field.find(needle)?;
    let at_word = pos == 0
        || field[..pos]
            .chars()
            .next_back()
            .is_some_and(|c| !c.is_alphanumeric());
    Some(if at_word {
        MatchQuality::Prefix
    } else {
        MatchQuality::Contains
    })
}

impl AccessIndex {
    fn best_match(&self, r: ResourceRef, needle: &str) -> Option<(MatchQuality, MatchedField)> {
        let res = self.resource(r);
        let mut best: Option<(MatchQuality, MatchedField)> = None;
        let mut consider = |field: &str, which: MatchedField| {
            if let Some(q) = quality(field, needle) {
                best = Some(best.map_or((q, which), |b| b.min((q, which))));
            }
        };
        consider(&res.display_name, MatchedField::Name);
        if let Some(u) = &res.user {
            consider(&u.login, MatchedField::Login);
            for e in &u.emails {
                consider(e, MatchedField::Email);
            }
        }
        consider(&res.id, MatchedField::Id);
        best
    }

    /// Resources (optionally of one type) whose name, login, e-mail or id contains `query`, case-insensitively;
    /// best matches first, then by name. An empty query finds nothing.
    pub fn search(&self, query: &str, resource_type: Option<&str>, limit: usize) -> SearchResults {
        let needle = query.trim().to_lowercase();
        if needle.is_empty() {
            return SearchResults {
                hits: Vec::new(),
                total: 0,
            };
        }
        let candidates: Box<dyn Iterator<Item = ResourceRef>> = match resource_type {
            Some(t) => Box::new(self.resources_of_type(t).iter().copied()),
            None => Box::new(self.resources().map(|(r, _)| r)),
        };
        let mut hits: Vec<SearchHit> = candidates
            .filter_map(|r| {
                self.best_match(r, &needle)
                    .map(|(quality, field)| SearchHit {
                        resource: r,
                        field,
                        quality,
                    })
            })
            .collect();
        let total = hits.len();
        hits.sort_by(|a, b| {
            let ra = self.resource(a.resource);
            let rb = self.resource(b.resource);
            (a.quality, a.field, ra.name(), &ra.id).cmp(&(b.quality, b.field, rb.name(), &rb.id))
        });
        hits.truncate(limit);
        SearchResults { hits, total }
    }

    /// The one resource a person means by `needle`: the resource with that id (of `resource_type`, when given),
    /// else the only one whose login, e-mail or display name equals it (case-insensitively).
    pub fn resolve_resource(
        &self,
        resource_type: Option<&str>,
        needle: &str,
    ) -> Result<ResourceRef, C1zError> {
        let of_type =
            |r: &ResourceRef| resource_type.is_none_or(|t| self.resource(*r).resource_type == t);
        if let Some(t) = resource_type
            && let Some(r) = self.find_resource(t, needle)
        {
            return Ok(r);
        }
        let by_id: Vec<ResourceRef> = self
            .resources()
            .filter(|(_, r)| r.id == needle)
            .map(|(r, _)| r)
            .filter(of_type)
            .collect();
        let exact: Vec<ResourceRef> = if by_id.is_empty() {
            let lower = needle.trim().to_lowercase();
            self.resources()
                .map(|(r, _)| r)
                .filter(of_type)
                .filter(|r| {
                    self.best_match(*r, &lower)
                        .is_some_and(|(q, f)| q == MatchQuality::Exact && f != MatchedField::Id)
                })
                .collect()
        } else {
            by_id
        };
        match exact.as_slice() {
            [one] => Ok(*one),
            [] => Err(C1zError::NotFound {
                what: match resource_type {
                    Some(t) => {
                        format!("resource of type {t:?} with id, login, e-mail or name {needle:?}")
                    }
                    None => format!("resource with id, login, e-mail or name {needle:?}"),
                },
                sync_id: self.sync().id.clone(),
                hint: "list candidates with `inspect resources -t TYPE`, or search in `explore`"
                    .into(),
            }),
            many => Err(C1zError::Ambiguous {
                what: format!("{needle:?}"),
                candidates: many
                    .iter()
                    .take(10)
                    .map(|r| {
                        let res = self.resource(*r);
                        format!("{} {} ({})", res.resource_type, res.id, res.name())
                    })
                    .collect(),
            }),
        }
    }
}
