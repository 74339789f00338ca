//! The rows of `baton export csv|xlsx`, as baton writes them:
//! - one `Identity` row per resource with a user trait, of every type with the user trait: names and user id from
//!   the trait's profile (`last_name`, `first_name`, `user_id`), the status (`Enabled` when the trait has none,
//!   `Unknown` when unspecified), the primary e-mail;
//! - one `Entitlement` row per entitlement: display name, id, resource type id, resource name, description, slug;
//! - one `Grant` row per grant to a principal with a user trait (grants to groups are left out, as baton does):
//!   the user columns without the status, then the entitlement columns.
//!
//! baton orders rows by Go map iteration (random); here they come in the file's order.

use c1z::pb;
use c1z::query::{AccessIndex, AccountStatus, EntitlementInfo, UserInfo};

/// baton's header row, exactly.
pub const BATON_HEADER: [&str; 12] = [
    "Type",
    "Last Name",
    "First Name",
    "User ID",
    "User Status",
    "Email Address",
    "Entitlement Display Name",
    "Entitlement",
    "Resource Type",
    "Resource Name",
    "Entitlement Description",
    "Entitlement Slug",
];

fn status(user: &UserInfo) -> &'static str {
    match user.status {
        None | Some(AccountStatus::Enabled) => "Enabled",
        Some(AccountStatus::Disabled) => "Disabled",
        Some(AccountStatus::Deleted) => "Deleted",
        Some(AccountStatus::Unspecified) => "Unknown",
    }
}

fn user_columns(user: &UserInfo, row: &mut [String]) {
    let profile = |k: &str| user.profile_value(k).unwrap_or_default().to_string();
    row[1] = profile("last_name");
    row[2] = profile("first_name");
    row[3] = profile("user_id");
    row[5] = user.primary_email().unwrap_or_default().to_string();
}

fn entitlement_columns(index: &AccessIndex, e: &EntitlementInfo, row: &mut [String]) {
    let r = index.resource(e.resource);
    row[6] = e.display_name.clone();
    row[7] = e.id.clone();
    row[8] = r.resource_type.clone();
    row[9] = r.display_name.clone();
    row[10] = e.description.clone();
    row[11] = e.slug.clone();
}

/// Emits every row after the header.
pub fn each(
    index: &AccessIndex,
    emit: &mut dyn FnMut(&[String]) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut row: Vec<String> = vec![String::new(); BATON_HEADER.len()];
    let clear = |row: &mut Vec<String>| row.iter_mut().for_each(String::clear);
    for t in index.resource_types() {
        if !t.traits.contains(&pb::Trait::User) {
            continue;
        }
        for r in index.resources_of_type(&t.id) {
            let Some(user) = &index.resource(*r).user else {
                continue;
            };
            clear(&mut row);
            row[0] = "Identity".into();
            user_columns(user, &mut row);
            row[4] = status(user).into();
            emit(&row)?;
        }
    }
    for (_, e) in index.entitlements() {
        clear(&mut row);
        row[0] = "Entitlement".into();
        entitlement_columns(index, e, &mut row);
        emit(&row)?;
    }
    for (_, g) in index.grants() {
        let Some(user) = &index.resource(g.principal).user else {
            continue;
        };
        clear(&mut row);
        row[0] = "Grant".into();
        user_columns(user, &mut row);
        entitlement_columns(index, index.entitlement(g.entitlement), &mut row);
        emit(&row)?;
    }
    Ok(())
}
