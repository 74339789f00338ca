//! `inspect`: the Baton CLI's views of a .c1z file.

use crate::cli::{InspectArgs, InspectWhat, OutputFormat};
use crate::render::inspect::{
    InspectCommand, InspectFilter, OutputFormat as RenderFormat, inspect,
};

/// Renders the requested view of `file`.
pub fn run(file: &std::path::Path, args: &InspectArgs) -> anyhow::Result<String> {
    let command = match args.what {
        // Effective access is a query of its own, with names beside ids.
        InspectWhat::Access | InspectWhat::Holders => return super::access::run(file, args),
        InspectWhat::ResourceTypes => InspectCommand::ResourceTypes,
        InspectWhat::Resources => InspectCommand::Resources,
        InspectWhat::Entitlements => InspectCommand::Entitlements,
        InspectWhat::Grants => InspectCommand::Grants,
        InspectWhat::Principals => InspectCommand::Principals,
        InspectWhat::Stats => InspectCommand::Stats,
        InspectWhat::Syncs => InspectCommand::Syncs,
        InspectWhat::Diff => InspectCommand::Diff,
    };
    let filter = InspectFilter {
        resource_type: args.resource_type.clone(),
        resource: args.resource.clone(),
        entitlement: args.entitlement.clone(),
        sync_id: args.sync_id.clone(),
    };
    let format = match args.output.format {
        OutputFormat::Table => RenderFormat::Table,
        OutputFormat::Json => RenderFormat::Json,
    };
    Ok(inspect(file, command, &filter, format)?)
}
