//! The `permanence` binary: parses the configuration once and runs a subcommand.

use anyhow::Context;
use clap::Parser;
use permanence_domain::Timescales;
use permanence_engine::SystemClock;
use permanence_server::config::{Cli, CommandKind};
use permanence_server::{HttpOptions, open_engine, router, serve, shutdown_signal};
use std::sync::Arc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        CommandKind::Serve(args) => {
            init_logging(args.log_json);
            let timescales = match &args.timescales {
                Some(path) => {
                    let text = std::fs::read_to_string(path)
                        .with_context(|| format!("reading timescales file {}", path.display()))?;
                    Timescales::from_toml(&text)?
                }
                None => Timescales::default(),
            };
            let engine = open_engine(
                &args.database.database_url,
                timescales,
                Arc::new(SystemClock),
            )
            .await
            .context("opening the database")?;
            let options = HttpOptions {
                graphiql: args.graphiql,
                body_limit_bytes: args.body_limit,
                ..HttpOptions::default()
            };
            let listener = tokio::net::TcpListener::bind(&args.listen)
                .await
                .with_context(|| format!("listening on {}", args.listen))?;
            tracing::info!(address = %listener.local_addr()?, "serving GraphQL at /graphql");
            serve(listener, router(engine, &options), shutdown_signal()).await?;
            tracing::info!("stopped");
        }
        CommandKind::Migrate(args) => {
            init_logging(false);
            open_engine(
                &args.database_url,
                Timescales::default(),
                Arc::new(SystemClock),
            )
            .await
            .context("migrating the database")?;
            tracing::info!("migrations applied");
        }
        CommandKind::ExportSchema { path } => {
            let sdl = permanence_graphql::sdl();
            if path.as_os_str() == "-" {
                print!("{sdl}");
            } else {
                std::fs::write(&path, sdl)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
        }
    }
    Ok(())
}

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PERMANENCE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}
