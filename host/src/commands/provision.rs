//! Provisioning: `grant` and `revoke` (and Baton's one-shot `--grant-*`/`--revoke-grant` flags).
//!
//! The entitlement, principal and grant are looked up in the latest finished full sync of `-f`,
//! handed to the plugin's idempotent `grant`/`revoke` exports, and the outcome is written back into
//! that sync (see docs/provisioning.md): a grant upserts the grants the plugin returned and drops
//! the principal's other direct `permission` grants on the same resource (one explicit level per
//! principal); a revoke deletes the grant. A revoke of a grant the file no longer holds (revoked
//! earlier) resolves its entitlement and principal from the id and asks the plugin again, so a
//! repeated revoke succeeds as a repeated grant does. Expanded grants are not recomputed; the
//! output says so.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, anyhow, bail};
use c1z::pb;
use c1z::{C1zEditor, Removal};
use serde_json::{Value, json};

use super::grant_id::{self, Resolution};
use crate::cli::GlobalArgs;
use crate::runtime::{CallError, ErrorKind, Instance, types as wit};
use crate::sync::convert;

/// What to provision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// Grant `entitlement` to the principal `(principal_type, principal_id)`.
    Grant {
        /// The entitlement id.
        entitlement: String,
        /// The principal's resource type.
        principal_type: String,
        /// The principal's resource id.
        principal_id: String,
    },
    /// Revoke the grant with this id.
    Revoke {
        /// The grant id.
        grant: String,
    },
}

/// What a provisioning run did.
#[derive(Clone, Debug)]
pub struct Report {
    /// The request carried out.
    pub request: Request,
    /// Whether the plugin changed anything in the service.
    pub applied: bool,
    /// The plugin's sentence for the operator.
    pub message: String,
    /// For a grant: the grants the principal now holds because of the call.
    pub grants: Vec<pb::Grant>,
    /// The file updated.
    pub file: PathBuf,
    /// The sync updated.
    pub sync_id: String,
    /// For a revoke: whether the file held the grant (else it was resolved from its id).
    pub grant_in_file: bool,
    /// Grant ids written into the sync.
    pub added: Vec<String>,
    /// Grant ids removed from the sync (revoked, or replaced by another level).
    pub removed: Vec<String>,
    /// Caveats for the operator (stale expansion).
    pub notes: Vec<String>,
}

/// The request named by Baton's one-shot flags, if any.
pub fn from_baton_flags(args: &GlobalArgs) -> Option<anyhow::Result<Request>> {
    if let Some(grant) = &args.revoke_grant {
        return Some(Ok(Request::Revoke {
            grant: grant.clone(),
        }));
    }
    let entitlement = args.grant_entitlement.clone()?;
    Some(match (&args.grant_principal, &args.grant_principal_type) {
        (Some(id), Some(t)) => Ok(Request::Grant {
            entitlement,
            principal_type: t.clone(),
            principal_id: id.clone(),
        }),
        _ => Err(anyhow!(
            "--grant-entitlement needs --grant-principal ID and --grant-principal-type TYPE \
                 (BATON_GRANT_PRINCIPAL, BATON_GRANT_PRINCIPAL_TYPE)"
        )),
    })
}

/// Parses `TYPE:ID` (the type has no colon; the id may have several).
pub fn parse_principal(s: &str) -> anyhow::Result<(String, String)> {
    match s.split_once(':') {
        Some((t, id)) if !t.is_empty() && !id.is_empty() => Ok((t.to_string(), id.to_string())),
        _ => bail!(
            "--principal must be TYPE:ID, for example user:{{uuid}} or user_group:{{workspace uuid}}:developers; got {s:?}"
        ),
    }
}

/// Carries out `request` against the plugin and updates the `-f` file.
pub async fn run(args: &GlobalArgs, request: Request) -> anyhow::Result<Report> {
    if !args.provisioning {
        bail!(
            "provisioning is disabled: grant and revoke change access in Bitbucket, so they need \
             -p/--provisioning (BATON_PROVISIONING=true); nothing was changed"
        );
    }
    let file = args.file.clone();
    let mut editor = C1zEditor::open(&file).with_context(|| {
        format!(
            "cannot read {}: provisioning looks the entitlement, principal and grant up in the -f file; \
             run a sync into it first",
            file.display()
        )
    })?;
    let sync = editor.latest_full_sync()?;
    let missing = |what: &str, id: &str, list: &str| {
        anyhow!(
            "the {what} {id:?} is not in the latest sync ({sync}) of {}; list them with \
             `connector-host inspect {list} -f {}`, or re-sync if it is new",
            file.display(),
            file.display()
        )
    };

    match &request {
        Request::Grant {
            entitlement,
            principal_type,
            principal_id,
        } => {
            let ent = editor
                .entitlement(&sync, entitlement)?
                .ok_or_else(|| missing("entitlement", entitlement, "entitlements"))?;
            let principal = editor
                .resource(&sync, principal_type, principal_id)?
                .ok_or_else(|| {
                    missing(
                        "principal",
                        &format!("{principal_type}:{principal_id}"),
                        "resources",
                    )
                })?;
            if !ent.grantable_to.is_empty()
                && !ent.grantable_to.iter().any(|t| &t.id == principal_type)
            {
                let to: Vec<&str> = ent.grantable_to.iter().map(|t| t.id.as_str()).collect();
                bail!(
                    "{entitlement} cannot be granted to a {principal_type}: it is grantable to {}",
                    to.join(", ")
                );
            }
            let mut instance = instantiate(args).await?;
            let outcome = instance
                .grant(
                    &convert::resource_back(&principal),
                    &convert::entitlement_back(&ent),
                )
                .await
                .map_err(|e| call_failed("grant", e))?;
            let grants: Vec<pb::Grant> = outcome
                .grants
                .iter()
                .map(|g| {
                    let on = entitlement_resource(&editor, &sync, g, &ent);
                    // Embed the principal as the file lists it, as a sync does.
                    let same = principal.id.as_ref().is_some_and(|id| {
                        id.resource_type == g.principal.id.resource_type
                            && id.resource == g.principal.id.id
                    });
                    let who = if same {
                        principal.clone()
                    } else {
                        convert::resource(&g.principal)
                    };
                    convert::grant(g, &on, who)
                })
                .collect();
            let mut report = Report {
                request: request.clone(),
                applied: outcome.change == wit::ProvisionChange::Applied,
                message: outcome.message,
                grants: grants.clone(),
                file: file.clone(),
                sync_id: sync.clone(),
                grant_in_file: true,
                added: grants.iter().map(|g| g.id.clone()).collect(),
                removed: Vec::new(),
                notes: Vec::new(),
            };
            // One explicit level per principal: the principal's other direct permission grants on the
            // resources of the returned grants are replaced by them.
            let returned: Vec<&str> = grants.iter().map(|g| g.id.as_str()).collect();
            let mut seen = Vec::new();
            for g in &grants {
                let (Some(res), Some(who)) = (
                    g.entitlement
                        .as_ref()
                        .and_then(|e| e.resource.as_ref())
                        .and_then(|r| r.id.clone()),
                    g.principal.as_ref().and_then(|p| p.id.clone()),
                ) else {
                    continue;
                };
                if ent.purpose != pb::Purpose::Permission as i32 || seen.contains(&res) {
                    continue;
                }
                seen.push(res.clone());
                for old in editor.grants_on_resource_for(&sync, &res, &who)? {
                    if returned.contains(&old.id.as_str()) {
                        continue;
                    }
                    let old_ent = old
                        .entitlement
                        .as_ref()
                        .map(|e| e.id.as_str())
                        .unwrap_or("");
                    let purpose = editor
                        .entitlement(&sync, old_ent)?
                        .map(|e| e.purpose)
                        .unwrap_or_default();
                    if purpose == pb::Purpose::Permission as i32
                        && editor.remove_grant(&sync, &old.id)? != Removal::Absent
                    {
                        report.removed.push(old.id.clone());
                    }
                }
            }
            editor.upsert_grants(&sync, &grants)?;
            report.notes = stale_expansion_notes(&editor, &sync, &grants, entitlement)?;
            editor.save()?;
            Ok(report)
        }
        Request::Revoke { grant } => match editor.grant(&sync, grant)? {
            Some(held) => revoke_held(args, editor, &sync, &request, held).await,
            None => {
                // Revoked earlier (or never synced): the id still names its entitlement and
                // principal, so ask Bitbucket whether the grant is held, as a repeated grant does.
                let (entitlement, principal) = match grant_id::resolve(&editor, &sync, grant)? {
                    Resolution::Found {
                        entitlement,
                        principal,
                    } => (*entitlement, *principal),
                    Resolution::NoEntitlement => bail!(
                        "the grant {grant:?} is not in the latest sync ({sync}) of {file}, nor is any \
                         entitlement its id starts with (a grant id is <entitlement id>:<principal type>:\
                         <principal id>); list them with `connector-host inspect grants -f {file}`, or \
                         re-sync if it is new; nothing was changed",
                        file = file.display(),
                    ),
                    Resolution::NoPrincipal { entitlements } => bail!(
                        "the grant {grant:?} is not in the latest sync ({sync}) of {file}, nor is its \
                         principal (the rest of the id after the entitlement {}); list principals with \
                         `connector-host inspect resources -f {file}`, or re-sync if it is new; nothing was changed",
                        entitlements.join(" or "),
                        file = file.display(),
                    ),
                    Resolution::Ambiguous(splits) => bail!(
                        "the grant {grant:?} is not in the latest sync ({sync}) of {}, and its id splits \
                         into more than one entitlement and principal of that sync ({}); nothing was \
                         changed. If the grant is still held, re-sync and revoke it as the new sync lists it",
                        file.display(),
                        splits.join(", ")
                    ),
                };
                revoke_absent(args, &editor, &sync, &request, entitlement, principal).await
            }
        },
    }
}

/// Revokes a grant the file holds, then removes it from the file.
async fn revoke_held(
    args: &GlobalArgs,
    mut editor: C1zEditor,
    sync: &str,
    request: &Request,
    g: pb::Grant,
) -> anyhow::Result<Report> {
    let own = g
        .entitlement
        .as_ref()
        .map(|e| e.id.clone())
        .unwrap_or_default();
    if let Some(s) = g.sources.as_ref().filter(|s| !s.sources.is_empty())
        && !s.sources.contains_key(&own)
    {
        let via: Vec<&str> = s.sources.keys().map(String::as_str).collect();
        bail!(
            "{} is not held directly: it is inherited through {} (grant expansion). \
             Revoke that grant or membership instead; nothing was changed",
            g.id,
            via.join(", ")
        );
    }
    let outcome = plugin_revoke(args, &g).await?;
    let notes = stale_expansion_notes(&editor, sync, std::slice::from_ref(&g), &own)?;
    let removed = match editor.remove_grant(sync, &g.id)? {
        Removal::Absent => Vec::new(),
        _ => vec![g.id.clone()],
    };
    let file = editor.save()?;
    Ok(Report {
        request: request.clone(),
        applied: outcome.change == wit::ProvisionChange::Applied,
        message: outcome.message,
        grants: Vec::new(),
        file,
        sync_id: sync.to_string(),
        grant_in_file: true,
        added: Vec::new(),
        removed,
        notes,
    })
}

/// Revokes a grant the file no longer holds, named by the entitlement and principal its id
/// resolved to: the plugin's revoke reads the current state and changes nothing unless the grant
/// is held again (granted outside since the sync). The file is left as it is.
async fn revoke_absent(
    args: &GlobalArgs,
    editor: &C1zEditor,
    sync: &str,
    request: &Request,
    entitlement: pb::Entitlement,
    principal: pb::Resource,
) -> anyhow::Result<Report> {
    let who = principal.id.clone().unwrap_or_default();
    let g = pb::Grant {
        id: pb::grant_id(&entitlement.id, &who.resource_type, &who.resource),
        entitlement: Some(entitlement.clone()),
        principal: Some(principal),
        ..Default::default()
    };
    let outcome = plugin_revoke(args, &g).await?;
    let applied = outcome.change == wit::ProvisionChange::Applied;
    let mut notes = Vec::new();
    let message = if applied {
        notes.push(
            "the grant was not in the file, but Bitbucket still held it (granted again since the \
             sync?); re-sync to see the current state"
                .to_string(),
        );
        notes.extend(stale_expansion_notes(
            editor,
            sync,
            std::slice::from_ref(&g),
            &entitlement.id,
        )?);
        outcome.message
    } else {
        format!(
            "the grant is not in the file (revoked earlier, or never held) and Bitbucket confirms it is not held: {}",
            outcome.message
        )
    };
    Ok(Report {
        request: request.clone(),
        applied,
        message,
        grants: Vec::new(),
        file: editor.path().to_path_buf(),
        sync_id: sync.to_string(),
        grant_in_file: false,
        added: Vec::new(),
        removed: Vec::new(),
        notes,
    })
}

/// The stored resource a returned grant's entitlement is on (the granted entitlement's when it matches).
fn entitlement_resource(
    editor: &C1zEditor,
    sync: &str,
    g: &wit::Grant,
    granted: &pb::Entitlement,
) -> pb::Resource {
    let r = &g.entitlement.resource_ref;
    if let Some(on) = granted.resource.as_ref().filter(|on| {
        on.id
            .as_ref()
            .is_some_and(|id| id.resource_type == r.resource_type && id.resource == r.id)
    }) {
        return on.clone();
    }
    editor
        .resource(sync, &r.resource_type, &r.id)
        .ok()
        .flatten()
        .unwrap_or_else(|| pb::Resource {
            id: Some(convert::resource_id(r)),
            ..Default::default()
        })
}

/// Says when grants derived by expansion from the changed grants are now stale in the file.
fn stale_expansion_notes(
    editor: &C1zEditor,
    sync: &str,
    grants: &[pb::Grant],
    entitlement: &str,
) -> anyhow::Result<Vec<String>> {
    let mut notes = Vec::new();
    let expandable = grants.iter().any(|g| {
        pb::contains::<pb::GrantExpandable>(&g.annotations)
            || g.principal
                .as_ref()
                .and_then(|p| p.id.as_ref())
                .is_some_and(|p| {
                    let member = pb::entitlement_id(&p.resource_type, &p.resource, "member");
                    editor.is_expansion_source(sync, &member).unwrap_or(false)
                })
    });
    if expandable {
        notes.push(
            "the principal is a group: the grants its members inherit (grant expansion) were not \
             recomputed in the file; re-sync to refresh them"
                .to_string(),
        );
    }
    if editor.is_expansion_source(sync, entitlement)? {
        notes.push(format!(
            "{entitlement} passes other grants on to its holders (grant expansion): what the principal \
             inherits through it was not recomputed in the file; re-sync to refresh it"
        ));
    }
    Ok(notes)
}

/// Calls the plugin's idempotent `revoke` export with `g`.
async fn plugin_revoke(args: &GlobalArgs, g: &pb::Grant) -> anyhow::Result<wit::RevokeOutcome> {
    let mut instance = instantiate(args).await?;
    instance
        .revoke(&convert::grant_back(g))
        .await
        .map_err(|e| call_failed("revoke", e))
}

/// Loads and instantiates the plugin with the flags' credential.
async fn instantiate(args: &GlobalArgs) -> anyhow::Result<Instance> {
    Ok(super::sync::prepare(args, true).await?.instance)
}

/// A failed plugin call as an error that says what to do.
fn call_failed(verb: &str, e: CallError) -> anyhow::Error {
    let CallError::Connector(err) = e else {
        return anyhow!("{verb} failed: {e}; nothing is known to have changed, retry");
    };
    let hint = match err.kind {
        ErrorKind::Unauthenticated => {
            " Check the credential flags (--username/--app-password, --token, --consumer-key/--consumer-secret)."
        }
        ErrorKind::NotFound => {
            " The object may have been deleted or renamed in Bitbucket since the sync: re-sync and retry."
        }
        ErrorKind::RateLimited | ErrorKind::Unavailable => " Retry later.",
        _ => "",
    };
    anyhow!("{verb} failed: {}{hint}", err.message)
}

fn outcome_word(r: &Report) -> &'static str {
    match (&r.request, r.applied) {
        (Request::Grant { .. }, true) => "granted",
        (Request::Grant { .. }, false) => "already granted",
        (Request::Revoke { .. }, true) => "revoked",
        (Request::Revoke { .. }, false) => "already revoked",
    }
}

/// The report as text.
pub fn render_text(r: &Report) -> String {
    let mut out = format!("{}: {}\n", outcome_word(r), r.message);
    if !r.grants.is_empty() {
        out.push_str("grants held:\n");
        for g in &r.grants {
            out.push_str(&format!("  {}\n", g.id));
        }
    }
    if !r.grant_in_file {
        out.push_str(&format!(
            "file: {} (sync {}) does not hold the grant; unchanged\n",
            r.file.display(),
            r.sync_id
        ));
    } else if r.added.is_empty() && r.removed.is_empty() {
        out.push_str(&format!(
            "file: {} (sync {}) already matched; unchanged\n",
            r.file.display(),
            r.sync_id
        ));
    } else {
        out.push_str(&format!(
            "file: updated sync {} in {}\n",
            r.sync_id,
            r.file.display()
        ));
        for id in &r.added {
            out.push_str(&format!("  + {id}\n"));
        }
        for id in &r.removed {
            out.push_str(&format!("  - {id}\n"));
        }
    }
    for n in &r.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out
}

/// The report as JSON.
pub fn render_json(r: &Report) -> String {
    let request = match &r.request {
        Request::Grant {
            entitlement,
            principal_type,
            principal_id,
        } => {
            json!({"action": "grant", "entitlement": entitlement, "principal": {"resourceType": principal_type, "resource": principal_id}})
        }
        Request::Revoke { grant } => {
            json!({"action": "revoke", "grant": grant, "grantInFile": r.grant_in_file})
        }
    };
    let mut file = BTreeMap::new();
    file.insert("path", Value::from(r.file.display().to_string()));
    file.insert("syncId", Value::from(r.sync_id.clone()));
    file.insert("added", Value::from(r.added.clone()));
    file.insert("removed", Value::from(r.removed.clone()));
    let v = json!({
        "request": request,
        "result": outcome_word(r),
        "change": if r.applied { "applied" } else { "already-satisfied" },
        "message": r.message,
        "grants": r.grants.iter().map(crate::render::baton_json::grant).collect::<Vec<_>>(),
        "file": file,
        "notes": r.notes,
    });
    serde_json::to_string_pretty(&v).expect("JSON values serialize") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_split_at_the_first_colon() {
        assert_eq!(
            parse_principal("user_group:{w}:devs").unwrap(),
            ("user_group".to_string(), "{w}:devs".to_string())
        );
        assert!(parse_principal("user").is_err());
        assert!(parse_principal(":x").is_err());
    }
}
