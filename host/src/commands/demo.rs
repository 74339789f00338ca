//! `demo`: start the bundled Bitbucket simulator on loopback, sync it, and show what came out.

use bitbucket_simulator::{Scale, Simulator, SimulatorConfig};

use std::collections::BTreeMap;

use super::interrupt::Interrupted;
use crate::cli::{DemoArgs, DemoScale};
use crate::component::{ComponentSource, DeclaredComponent};
use crate::config::Given;
use crate::operations::{RequestsPerWindow, RunLimits, RunSettings, SyncRequest};
use crate::progress::Progress;
use crate::runtime::Runtime;
use crate::secrets::Secret;
use crate::sync::Resume;
use crate::transport::NetworkSettings;

/// Runs the demo with the embedded component and returns the text to print.
pub async fn run(runtime: &Runtime, demo: &DemoArgs) -> anyhow::Result<String> {
    let scale = match demo.scale {
        DemoScale::Small => Scale::Small,
        DemoScale::Medium => Scale::Medium,
        DemoScale::Large => Scale::Large,
    };
    let simulator = Simulator::start(SimulatorConfig::new(scale))?;
    let creds = simulator.credentials();
    eprintln!(
        "Started the Bitbucket simulator at {} ({:?} scale); syncing it as {}",
        simulator.base_url(),
        demo.scale,
        creds.admin_email
    );

    // The demo's own credentials and target, whatever the environment holds.
    let reserved = crate::cli::reserved_names();
    let reserved: Vec<&str> = reserved.iter().map(String::as_str).collect();
    let component = DeclaredComponent::load(runtime, &ComponentSource::Embedded, &reserved).await?;
    let given = BTreeMap::from([
        ("base-url".to_string(), Given::Text(simulator.base_url())),
        (
            "username".to_string(),
            Given::Text(creds.admin_email.clone()),
        ),
        (
            "app-password".to_string(),
            Given::Secret(Secret::new(creds.api_token.clone())),
        ),
    ]);
    // The simulator has no rate limit unless asked: a large demo would otherwise take hours.
    let limits = RunLimits {
        requests_per_window: RequestsPerWindow::Unlimited,
        ..RunLimits::default()
    };
    let settings = RunSettings::new(component, given, limits, NetworkSettings::default(), true)?;

    let progress = Progress::new(true);
    // Each demo run starts a new simulator (another port, maybe another scale): an interrupted
    // demo sync is never continued, so a rerun after Ctrl-C always works.
    let never = Resume::Never("a demo run syncs its own new simulator".to_string());
    let request = SyncRequest {
        resume: never,
        ..SyncRequest::into_file(&demo.output)
    };
    let outcome = super::sync::sync_until_ctrl_c(&settings, request, &progress)
        .await
        .map_err(|e| match e.downcast::<Interrupted>() {
            Ok(_) => Interrupted(format!(
                "interrupted: the demo stopped; run it again to start over (a demo run always \
                 starts a new sync of a new simulator into {})",
                demo.output.display()
            ))
            .into(),
            Err(e) => e,
        })?;
    let file = demo.output.display();
    Ok(format!(
        "{}\nThe simulator saw {} requests.\n\nLook inside with:\n  \
         cargo run --release -- inspect resources -f {file}\n  \
         cargo run --release -- inspect grants -f {file} -t repository\n  \
         cargo run --release -- inspect stats -f {file}\n\n\
         Review it with:\n  \
         cargo run --release -- explore -f {file} --open-browser\n  \
         cargo run --release -- export xlsx -f {file} --out review.xlsx --layout review\n",
        super::sync::summary(&outcome),
        simulator.request_log().total,
    ))
}
