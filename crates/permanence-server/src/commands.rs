//! What each subcommand of the `permanence` binary does, once the command line is parsed
//! (`main` parses it with [`crate::cli::Cli`] and calls one of these).

use crate::admin;
use crate::cli::{
    AuditCommand, DatabaseArgs, DemoArgs, ServeArgs, Ssda903Command, TokenCommand, UserCommand,
};
use crate::demo::{DemoOptions, Recording, record_cohort};
use crate::escalation::EscalationWorker;
use crate::{HttpOptions, open_engine, router, serve as serve_http, shutdown_signal};
use anyhow::Context;
use chrono::Utc;
use permanence_cohort::{CohortConfig, years_before};
use permanence_domain::Timescales;
use permanence_domain::case::is_local_authority_code;
use permanence_engine::SystemClock;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// `permanence serve`: serves the API and the pages until a shutdown signal.
pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
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
    let (jwt, web_single_sign_on) = match &args.single_sign_on {
        Some(path) => {
            let loaded = crate::load_single_sign_on_settings(path)?;
            if let Some(web) = &loaded.web {
                tracing::info!(
                    authorization_endpoint = web.authorization_endpoint(),
                    "the pages sign people in through the identity provider"
                );
            }
            (Some(Arc::new(loaded.verifier)), loaded.web.map(Arc::new))
        }
        None => (None, None),
    };
    let national_reference = match &args.national_reference {
        Some(path) => Arc::new(crate::load_national_reference(path)?),
        None => Arc::default(),
    };
    let options = HttpOptions {
        requests_per_minute: args.requests_per_minute,
        jwt,
        graphiql: args.graphiql,
        body_limit_bytes: args.body_limit,
        web: permanence_web::WebOptions {
            single_sign_on: web_single_sign_on,
            national_reference,
            ..permanence_web::WebOptions::default()
        },
        ..HttpOptions::default()
    };
    let escalation = match args.escalation.options()? {
        Some(escalation) => Some(EscalationWorker::spawn(engine.clone(), escalation)?),
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    tracing::info!(address = %listener.local_addr()?, "serving GraphQL at /graphql");
    serve_http(listener, router(engine, &options), shutdown_signal()).await?;
    if let Some(worker) = escalation {
        worker.stop().await;
    }
    tracing::info!("stopped");
    Ok(())
}

/// `permanence migrate`: applies the database migrations.
pub async fn migrate(args: DatabaseArgs) -> anyhow::Result<()> {
    init_logging(false);
    open_engine(
        &args.database_url,
        Timescales::default(),
        Arc::new(SystemClock),
    )
    .await
    .context("migrating the database")?;
    tracing::info!("migrations applied");
    Ok(())
}

/// `permanence export-schema`: writes the GraphQL schema to `path`, or to standard output
/// for `-`.
pub fn export_schema(path: &Path) -> anyhow::Result<()> {
    let sdl = permanence_graphql::sdl();
    if path.as_os_str() == "-" {
        print!("{sdl}");
    } else {
        std::fs::write(path, sdl).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// `permanence user …`, reading from standard input and writing to standard output.
pub async fn user(command: UserCommand) -> anyhow::Result<()> {
    init_logging_at(false, "warn");
    admin::run_user(
        &command,
        Utc::now(),
        &mut std::io::stdin().lock(),
        &mut std::io::stdout(),
    )
    .await
}

/// `permanence token …`, writing to standard output.
pub async fn token(command: TokenCommand) -> anyhow::Result<()> {
    init_logging_at(false, "warn");
    admin::run_token(&command, Utc::now(), &mut std::io::stdout()).await
}

/// `permanence audit …`, writing to standard output; `false` when the check found a break.
pub async fn audit(command: AuditCommand) -> anyhow::Result<bool> {
    init_logging_at(false, "warn");
    admin::run_audit(&command, &mut std::io::stdout()).await
}

/// Generates a cohort for today and records it through the engine, with progress on stderr.
pub async fn demo_data(args: DemoArgs) -> anyhow::Result<()> {
    init_logging_at(false, "warn");
    if let Some(bad) = args
        .local_authorities
        .iter()
        .find(|la| !is_local_authority_code(la))
    {
        anyhow::bail!("--local-authority {bad}: an ONS code is E followed by 8 digits");
    }
    let engine = open_engine(
        &args.database.database_url,
        Timescales::default(),
        Arc::new(SystemClock),
    )
    .await
    .context("opening the database")?;
    // The engine refuses dates after its today: the cohort is generated for the same day.
    let today = engine.today();
    let mut config = CohortConfig::new(args.children as usize, args.seed, today);
    config.start = years_before(today, args.years);
    config.local_authorities = args.local_authorities;
    let mut options = match args.batch {
        Some(batch) => DemoOptions::in_batches(batch as usize),
        None => DemoOptions::for_engine(&engine),
    };
    if let Some(concurrency) = args.concurrency {
        options.recording = Recording::Commands {
            children_at_once: concurrency as usize,
        };
    }
    options.progress_every = Duration::from_secs(args.progress_seconds);
    eprintln!(
        "demo-data: {} children, seed {}, entering care {} to {}, {}",
        config.children, config.seed, config.start, today, options.recording
    );
    let report = record_cohort(&engine, &config, &options, |progress| {
        eprintln!("demo-data: {progress}");
    })
    .await;
    eprintln!("{report}");
    if !report.is_clean() {
        anyhow::bail!(
            "demo-data: {} commands refused, {} failed, {} skipped",
            report.refused,
            report.errors,
            report.skipped
        );
    }
    Ok(())
}

/// `permanence ssda903 export|import`, with the summary on standard error.
pub async fn ssda903(command: Ssda903Command) -> anyhow::Result<()> {
    use crate::ssda903 as return_903;
    init_logging_at(false, "warn");
    let database_url = match &command {
        Ssda903Command::Export(args) => &args.database.database_url,
        Ssda903Command::Import(args) => &args.database.database_url,
    };
    let engine = open_engine(database_url, Timescales::default(), Arc::new(SystemClock))
        .await
        .context("opening the database")?;
    match command {
        Ssda903Command::Export(args) => {
            let summary = return_903::export(&engine, &args).await?;
            eprintln!("{summary}");
        }
        Ssda903Command::Import(args) => {
            return_903::import::run(&engine, &args).await?;
        }
    }
    Ok(())
}

pub fn init_logging(json: bool) {
    init_logging_at(json, "info");
}

pub fn init_logging_at(json: bool, default_level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PERMANENCE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}
