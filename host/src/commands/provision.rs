//! `grant` and `revoke` on the command line (and Baton's one-shot `--grant-*`/`--revoke-grant`
//! flags): the request from the flags, and the report as text or JSON. The work is
//! `operations::provision`.

use std::collections::BTreeMap;

use anyhow::{anyhow, bail};
use serde_json::{Value, json};

use crate::cli::OneShotArgs;
pub use crate::operations::provision::{Report, Request};

/// The request named by Baton's one-shot flags, if any.
pub fn from_baton_flags(args: &OneShotArgs) -> Option<anyhow::Result<Request>> {
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
