//! Provisioning as a library function: `grant` and `revoke` of access named by a `.c1z` file.
//!
//! The entitlement, principal and grant are looked up in the latest finished full sync of `-f`,
//! handed to the plugin's idempotent `grant`/`revoke` exports, and the outcome is written back into
//! that sync (see docs/provisioning.md): a grant upserts the grants the plugin returned and drops
//! the principal's other direct `permission` grants on the same resource (one explicit level per
//! principal); a revoke deletes the grant. A revoke of a grant the file no longer holds (revoked
//! earlier) resolves its entitlement and principal from the id and asks the plugin again, so a
//! repeated revoke succeeds as a repeated grant does. Expanded grants are not recomputed; the
//! output says so.

use std::path::PathBuf;

use c1z::pb;
use c1z::{C1zEditor, C1zError, Removal};

use super::grant_id::{self, Resolution};
use super::settings::{RunSettings, SettingsError};
use crate::config::credential;
use crate::runtime::{CallError, ErrorKind, types as wit};
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

/// Why a provisioning request was not carried out. Nothing was changed unless the message says so.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    /// Provisioning is not allowed (`-p` not given).
    #[error(
        "provisioning is disabled: grant and revoke change access in {component}, so they need \
         -p/--provisioning (BATON_PROVISIONING=true); nothing was changed"
    )]
    Disabled {
        /// The component's display name.
        component: String,
    },
    /// The file could not be read.
    #[error(
        "cannot read {file}: provisioning looks the entitlement, principal and grant up in the -f file; \
         run a sync into it first ({cause})"
    )]
    Unreadable {
        /// The file.
        file: String,
        /// Why.
        cause: C1zError,
    },
    /// What the request names is not in the file, or cannot be done; the message says which.
    #[error("{0}")]
    Refused(String),
    /// The plugin's call failed.
    #[error("{verb} failed: {message}{hint}")]
    Call {
        /// `grant` or `revoke`.
        verb: &'static str,
        /// What went wrong.
        message: String,
        /// What to do about it.
        hint: String,
        /// Whether trying again later may succeed (rate limits, an unavailable service, a
        /// failed call that changed nothing known).
        retryable: bool,
    },
    /// The run could not be set up.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The file could not be updated.
    #[error(transparent)]
    File(#[from] C1zError),
}

/// What to provision, where.
#[derive(Clone, Debug)]
pub struct ProvisionRequest {
    /// The `.c1z` file whose latest sync names the access, and is updated.
    pub file: PathBuf,
    /// Whether provisioning is allowed (`-p`).
    pub allowed: bool,
    /// What to do.
    pub request: Request,
}

/// Carries out `request` with the component of `settings` and updates the file.
pub async fn provision(
    settings: &RunSettings,
    request: ProvisionRequest,
) -> Result<Report, ProvisionError> {
    let component = &settings.component.metadata.display_name;
    if !request.allowed {
        return Err(ProvisionError::Disabled {
            component: component.clone(),
        });
    }
    let ProvisionRequest { file, request, .. } = request;
    let mut editor = C1zEditor::open(&file).map_err(|cause| ProvisionError::Unreadable {
        file: file.display().to_string(),
        cause,
    })?;
    let sync = editor.latest_full_sync()?;
    let missing = |what: &str, id: &str, list: &str| {
        ProvisionError::Refused(format!(
            "the {what} {id:?} is not in the latest sync ({sync}) of {}; list them with \
             `connector-host inspect {list} -f {}`, or re-sync if it is new",
            file.display(),
            file.display()
        ))
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
            let outcome = grant_entitlement(settings, &principal, &ent).await?;
            let grants: Vec<pb::Grant> = outcome
                .grants
                .into_iter()
                .map(|g| with_stored_resource(&editor, &sync, g, &ent))
                .collect();
            let mut report = Report {
                request: request.clone(),
                applied: outcome.applied,
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
            Some(held) => revoke_held(settings, editor, &sync, &request, held).await,
            None => {
                // Revoked earlier (or never synced): the id still names its entitlement and
                // principal, so ask the service whether the grant is held, as a repeated grant does.
                let (entitlement, principal) = match grant_id::resolve(&editor, &sync, grant)? {
                    Resolution::Found {
                        entitlement,
                        principal,
                    } => (*entitlement, *principal),
                    Resolution::NoEntitlement => {
                        return Err(ProvisionError::Refused(format!(
                            "the grant {grant:?} is not in the latest sync ({sync}) of {file}, nor is any \
                         entitlement its id starts with (a grant id is <entitlement id>:<principal type>:\
                         <principal id>); list them with `connector-host inspect grants -f {file}`, or \
                         re-sync if it is new; nothing was changed",
                            file = file.display(),
                        )));
                    }
                    Resolution::NoPrincipal { entitlements } => {
                        return Err(ProvisionError::Refused(format!(
                            "the grant {grant:?} is not in the latest sync ({sync}) of {file}, nor is its \
                         principal (the rest of the id after the entitlement {}); list principals with \
                         `connector-host inspect resources -f {file}`, or re-sync if it is new; nothing was changed",
                            entitlements.join(" or "),
                            file = file.display(),
                        )));
                    }
                    Resolution::Ambiguous(splits) => {
                        return Err(ProvisionError::Refused(format!(
                            "the grant {grant:?} is not in the latest sync ({sync}) of {}, and its id splits \
                         into more than one entitlement and principal of that sync ({}); nothing was \
                         changed. If the grant is still held, re-sync and revoke it as the new sync lists it",
                            file.display(),
                            splits.join(", ")
                        )));
                    }
                };
                revoke_absent(settings, &editor, &sync, &request, entitlement, principal).await
            }
        },
    }
}

/// Revokes a grant the file holds, then removes it from the file.
async fn revoke_held(
    settings: &RunSettings,
    mut editor: C1zEditor,
    sync: &str,
    request: &Request,
    g: pb::Grant,
) -> Result<Report, ProvisionError> {
    let own = g
        .entitlement
        .as_ref()
        .map(|e| e.id.clone())
        .unwrap_or_default();
    if let Some(s) = g.sources.as_ref().filter(|s| !s.sources.is_empty())
        && !s.sources.contains_key(&own)
    {
        let via: Vec<&str> = s.sources.keys().map(String::as_str).collect();
        return Err(ProvisionError::Refused(format!(
            "{} is not held directly: it is inherited through {} (grant expansion). \
             Revoke that grant or membership instead; nothing was changed",
            g.id,
            via.join(", ")
        )));
    }
    let outcome = revoke_grant(settings, &g).await?;
    let notes = stale_expansion_notes(&editor, sync, std::slice::from_ref(&g), &own)?;
    let removed = match editor.remove_grant(sync, &g.id)? {
        Removal::Absent => Vec::new(),
        _ => vec![g.id.clone()],
    };
    let file = editor.save()?;
    Ok(Report {
        request: request.clone(),
        applied: outcome.applied,
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
    settings: &RunSettings,
    editor: &C1zEditor,
    sync: &str,
    request: &Request,
    entitlement: pb::Entitlement,
    principal: pb::Resource,
) -> Result<Report, ProvisionError> {
    let who = principal.id.clone().unwrap_or_default();
    let g = pb::Grant {
        id: pb::grant_id(&entitlement.id, &who.resource_type, &who.resource),
        entitlement: Some(entitlement.clone()),
        principal: Some(principal),
        ..Default::default()
    };
    let outcome = revoke_grant(settings, &g).await?;
    let applied = outcome.applied;
    let component = &settings.component.metadata.display_name;
    let mut notes = Vec::new();
    let message = if applied {
        notes.push(format!(
            "the grant was not in the file, but {component} still held it (granted again since the \
             sync?); re-sync to see the current state"
        ));
        notes.extend(stale_expansion_notes(
            editor,
            sync,
            std::slice::from_ref(&g),
            &entitlement.id,
        )?);
        outcome.message
    } else {
        format!(
            "the grant is not in the file (revoked earlier, or never held) and {component} confirms it is not held: {}",
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

/// `g` with the resource its entitlement is on as the file stores it, when that is not the
/// granted entitlement's resource (which the grant already embeds).
fn with_stored_resource(
    editor: &C1zEditor,
    sync: &str,
    mut g: pb::Grant,
    granted: &pb::Entitlement,
) -> pb::Grant {
    let granted_on = granted.resource.as_ref().and_then(|r| r.id.as_ref());
    if let Some(e) = g.entitlement.as_mut()
        && let Some(id) = e.resource.as_ref().and_then(|r| r.id.clone())
        && Some(&id) != granted_on
        && let Ok(Some(stored)) = editor.resource(sync, &id.resource_type, &id.resource)
    {
        e.resource = Some(stored);
    }
    g
}

/// Says when grants derived by expansion from the changed grants are now stale in the file.
fn stale_expansion_notes(
    editor: &C1zEditor,
    sync: &str,
    grants: &[pb::Grant],
    entitlement: &str,
) -> Result<Vec<String>, ProvisionError> {
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

/// What a grant did in the service.
#[derive(Clone, Debug)]
pub struct GrantOutcome {
    /// Whether the component changed anything (false: the principal already held it).
    pub applied: bool,
    /// The component's sentence for the operator.
    pub message: String,
    /// The grants the principal now holds because of the call, as a sync would store them.
    pub grants: Vec<pb::Grant>,
}

/// What a revoke did in the service.
#[derive(Clone, Debug)]
pub struct RevokeOutcome {
    /// Whether the component changed anything (false: the grant was not held).
    pub applied: bool,
    /// The component's sentence for the operator.
    pub message: String,
}

/// Grants `entitlement` to `principal` with the component of `settings`, idempotently (a held
/// grant is left as it is and reported as not applied), without any file: the objects are as a
/// sync stored them, for example as a ConductorOne grant task carries them.
///
/// Each returned grant embeds the resource its entitlement is on: the granted entitlement's when
/// it is the same, else a stub with the resource's id.
pub async fn grant_entitlement(
    settings: &RunSettings,
    principal: &pb::Resource,
    entitlement: &pb::Entitlement,
) -> Result<GrantOutcome, ProvisionError> {
    let who = principal.id.clone().unwrap_or_default();
    if who.resource_type.is_empty() || who.resource.is_empty() {
        return Err(ProvisionError::Refused(format!(
            "the principal to grant {} to has no resource id; nothing was changed",
            entitlement.id
        )));
    }
    let Some(on) = entitlement.resource.as_ref().filter(|r| r.id.is_some()) else {
        return Err(ProvisionError::Refused(format!(
            "the entitlement {:?} names no resource it is on; nothing was changed",
            entitlement.id
        )));
    };
    if !entitlement.grantable_to.is_empty()
        && !entitlement
            .grantable_to
            .iter()
            .any(|t| t.id == who.resource_type)
    {
        let to: Vec<&str> = entitlement
            .grantable_to
            .iter()
            .map(|t| t.id.as_str())
            .collect();
        return Err(ProvisionError::Refused(format!(
            "{} cannot be granted to a {}: it is grantable to {}; nothing was changed",
            entitlement.id,
            who.resource_type,
            to.join(", ")
        )));
    }
    let mut wanted = convert::entitlement_back(entitlement);
    if wanted.slug.is_empty() {
        // An entitlement id ends in its slug (`<type>:<resource>:<slug>`).
        if let Some(parsed) = convert::parse_entitlement_id(&entitlement.id) {
            wanted.slug = parsed.slug;
        }
    }
    let (mut instance, _) = settings.instantiate().await?;
    let outcome = instance
        .grant(&convert::resource_back(principal), &wanted)
        .await
        .map_err(|e| call_failed(settings, "grant", e))?;
    let grants = outcome
        .grants
        .iter()
        .map(|g| {
            let r = &g.entitlement.resource_ref;
            let same_resource = on
                .id
                .as_ref()
                .is_some_and(|id| id.resource_type == r.resource_type && id.resource == r.id);
            let resource = if same_resource {
                on.clone()
            } else {
                pb::Resource {
                    id: Some(convert::resource_id(r)),
                    ..Default::default()
                }
            };
            // Embed the principal as given, as a sync does.
            let same_principal = who.resource_type == g.principal.id.resource_type
                && who.resource == g.principal.id.id;
            let holder = if same_principal {
                principal.clone()
            } else {
                convert::resource(&g.principal)
            };
            convert::grant(g, &resource, holder)
        })
        .collect();
    Ok(GrantOutcome {
        applied: outcome.change == wit::ProvisionChange::Applied,
        message: outcome.message,
        grants,
    })
}

/// Revokes `grant` with the component of `settings`, idempotently (a grant not held is reported
/// as not applied), without any file.
pub async fn revoke_grant(
    settings: &RunSettings,
    grant: &pb::Grant,
) -> Result<RevokeOutcome, ProvisionError> {
    let has_ids =
        grant.entitlement.as_ref().is_some_and(|e| {
            e.resource.as_ref().is_some_and(|r| r.id.is_some()) || !e.id.is_empty()
        }) && grant.principal.as_ref().is_some_and(|p| p.id.is_some());
    if !has_ids {
        return Err(ProvisionError::Refused(format!(
            "the grant {:?} names no entitlement or no principal; nothing was changed",
            grant.id
        )));
    }
    let mut g = grant.clone();
    // A grant may carry a stub entitlement with only its id: the id names the resource too.
    if let Some(e) = g.entitlement.as_mut()
        && e.resource.as_ref().is_none_or(|r| r.id.is_none())
        && let Some(parsed) = convert::parse_entitlement_id(&e.id)
    {
        e.resource = Some(pb::Resource {
            id: Some(convert::resource_id(&parsed.resource_ref)),
            ..Default::default()
        });
        if e.slug.is_empty() {
            e.slug = parsed.slug;
        }
    }
    let (mut instance, _) = settings.instantiate().await?;
    let outcome = instance
        .revoke(&convert::grant_back(&g))
        .await
        .map_err(|e| call_failed(settings, "revoke", e))?;
    Ok(RevokeOutcome {
        applied: outcome.change == wit::ProvisionChange::Applied,
        message: outcome.message,
    })
}

/// A failed plugin call as an error that says what to do.
fn call_failed(settings: &RunSettings, verb: &'static str, e: CallError) -> ProvisionError {
    let CallError::Connector(err) = e else {
        return ProvisionError::Call {
            verb,
            message: e.to_string(),
            hint: "; nothing is known to have changed, retry".into(),
            retryable: true,
        };
    };
    let hint = match err.kind {
        ErrorKind::Unauthenticated => format!(
            " Check the credential flags ({}).",
            credential::credential_flags(&settings.config)
        ),
        ErrorKind::NotFound => format!(
            " The object may have been deleted or renamed in {} since the sync: re-sync and retry.",
            settings.component.metadata.display_name
        ),
        ErrorKind::RateLimited | ErrorKind::Unavailable => " Retry later.".to_string(),
        _ => String::new(),
    };
    ProvisionError::Call {
        verb,
        message: err.message,
        hint,
        retryable: matches!(
            err.kind,
            ErrorKind::RateLimited | ErrorKind::Unavailable | ErrorKind::Internal
        ),
    }
}
