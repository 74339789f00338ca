//! `bitbucket-simulator`: serve the simulated Bitbucket API, or print the ground truth.

use std::time::Duration;

use bitbucket_simulator::{
    DEFAULT_SEED, RollingLimit, Scale, Simulator, SimulatorConfig, View, seeded, truth,
};
use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(version, about = "A Bitbucket Cloud API simulator on 127.0.0.1")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum ScaleArg {
    Small,
    Medium,
    Large,
}

impl From<ScaleArg> for Scale {
    fn from(s: ScaleArg) -> Scale {
        match s {
            ScaleArg::Small => Scale::Small,
            ScaleArg::Medium => Scale::Medium,
            ScaleArg::Large => Scale::Large,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum ViewArg {
    Admin,
    AccessToken,
    Oauth,
    User,
}

#[derive(Subcommand)]
enum Command {
    /// Serve until Ctrl-C; prints the base URL and the test credentials.
    Serve {
        #[arg(long, value_enum, default_value = "small")]
        scale: ScaleArg,
        #[arg(long, default_value_t = 0)]
        port: u16,
        #[arg(long, default_value_t = DEFAULT_SEED)]
        seed: u64,
        #[arg(long, default_value_t = 0)]
        latency_ms: u64,
        #[arg(long, default_value_t = 0.0)]
        fault_rate: f64,
        /// Answer 429 (as Bitbucket does) to a credential's requests beyond this many in any
        /// rolling window; 0 for no limit.
        #[arg(long, default_value_t = 0)]
        rate_limit: u32,
        /// The rolling window of --rate-limit, in seconds.
        #[arg(long, default_value_t = 3600)]
        rate_window_seconds: u64,
        /// The workspace access token's own (scaled) limit, reported in X-RateLimit-Limit;
        /// --rate-limit when not given.
        #[arg(long)]
        access_token_rate_limit: Option<u32>,
    },
    /// Print the ground truth as JSON.
    Truth {
        #[arg(long, value_enum, default_value = "small")]
        scale: ScaleArg,
        #[arg(long, default_value_t = DEFAULT_SEED)]
        seed: u64,
        #[arg(long, value_enum, default_value = "admin")]
        view: ViewArg,
    },
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    match Cli::parse().command {
        Command::Serve {
            scale,
            port,
            seed,
            latency_ms,
            fault_rate,
            rate_limit,
            rate_window_seconds,
            access_token_rate_limit,
        } => {
            let mut config = SimulatorConfig::new(scale.into());
            config.port = port;
            config.seed = seed;
            config.latency = Duration::from_millis(latency_ms);
            config.fault_rate = fault_rate;
            config.rolling_limit = (rate_limit > 0).then(|| RollingLimit {
                access_token_requests: access_token_rate_limit,
                ..RollingLimit::new(rate_limit, Duration::from_secs(rate_window_seconds))
            });
            let sim = Simulator::start(config)?;
            println!("base_url: {}", sim.base_url());
            println!(
                "credentials: {}",
                serde_json::to_string_pretty(&sim.credentials())?
            );
            println!("serving; press Ctrl-C to stop");
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(tokio::signal::ctrl_c())?;
            drop(sim);
        }
        Command::Truth { scale, seed, view } => {
            let data = seeded(scale.into(), seed);
            let view = match view {
                ViewArg::Admin => View::Admin,
                ViewArg::AccessToken => View::AccessToken,
                ViewArg::Oauth => View::OAuth,
                ViewArg::User => View::User,
            };
            let t = truth::compute(&data, view);
            println!("{}", serde_json::to_string_pretty(&t)?);
        }
    }
    Ok(())
}
