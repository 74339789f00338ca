//! The review sheet: one row per principal and entitlement (that is, per grant), with how it is held and the
//! account status, accounts first and then groups, each by name.

use c1z::query::{AccessIndex, Holding, is_privileged};

use crate::commands::wording::{email, handle, how_kind, routes_text, status_word};

/// The review sheet's header row.
pub const REVIEW_HEADER: [&str; 15] = [
    "Principal Type",
    "Principal",
    "Login",
    "Email Address",
    "Account Status",
    "Resource Type",
    "Resource",
    "Entitlement",
    "Entitlement Slug",
    "Privileged",
    "How Held",
    "Through",
    "Principal ID",
    "Entitlement ID",
    "Grant ID",
];

/// Emits every row after the header.
pub fn each(
    index: &AccessIndex,
    emit: &mut dyn FnMut(&[String]) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut holdings: Vec<Holding> = index.grants().map(|(g, _)| index.holding(g)).collect();
    holdings.sort_by(|a, b| {
        index
            .by_principal(a, b)
            .then_with(|| index.by_entitlement(a, b))
    });
    for h in &holdings {
        let p = index.resource(h.principal);
        let e = index.entitlement(h.entitlement);
        let r = index.resource(e.resource);
        let row = [
            index.type_name(&p.resource_type).to_string(),
            p.name().to_string(),
            handle(index, h.principal).unwrap_or_default().to_string(),
            email(index, h.principal).unwrap_or_default().to_string(),
            status_word(index, h.principal)
                .unwrap_or_default()
                .to_string(),
            index.type_name(&r.resource_type).to_string(),
            r.name().to_string(),
            e.display_name.clone(),
            e.slug.clone(),
            if is_privileged(e) { "yes" } else { "no" }.to_string(),
            how_kind(h).to_string(),
            routes_text(index, h),
            p.id.clone(),
            e.id.clone(),
            index.grant(h.grant).id.clone(),
        ];
        emit(&row)?;
    }
    Ok(())
}
