//! `demo`: start the bundled Bitbucket simulator on loopback, sync it, and show what came out.

use bitbucket_simulator::{Scale, Simulator, SimulatorConfig};

use super::interrupt::Interrupted;
use crate::cli::{DemoArgs, DemoScale, GlobalArgs};
use crate::progress::Progress;
use crate::sync::Resume;

/// Runs the demo and returns the text to print.
pub async fn run(global: &GlobalArgs, demo: &DemoArgs) -> anyhow::Result<String> {
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

    // The demo's own credentials and target replace whatever the environment holds.
    let mut args = global.clone();
    args.base_url = simulator.base_url();
    args.username = Some(creds.admin_email.clone());
    args.app_password = Some(creds.api_token.clone());
    args.app_password_file = None;
    args.token = None;
    args.token_file = None;
    args.consumer_key = None;
    args.consumer_secret = None;
    args.consumer_secret_file = None;

    let progress = Progress::new(true);
    // Each demo run starts a new simulator (another port, maybe another scale): an interrupted
    // demo sync is never continued, so a rerun after Ctrl-C always works.
    let never = Resume::Never("a demo run syncs its own new simulator".to_string());
    let outcome = super::sync::sync_until_ctrl_c(&args, &demo.output, &progress, never)
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
