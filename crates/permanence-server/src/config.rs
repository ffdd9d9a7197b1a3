//! Configuration: one clap struct with environment fallbacks, parsed once at start-up.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// The default embedded database: a SQLite file in the working directory, created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://permanence.sqlite?mode=rwc";

#[derive(Debug, Parser)]
#[command(
    name = "permanence",
    version,
    about = "The permanence engine: each child in care's route to permanence, and its drift"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: CommandKind,
}

#[derive(Debug, Subcommand)]
pub enum CommandKind {
    /// Serve the GraphQL API (the database is created and migrated on first start).
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate(DatabaseArgs),
    /// Write the GraphQL schema (SDL) to a file, or to standard output with `-`.
    ExportSchema {
        #[arg(default_value = "schema.graphql")]
        path: PathBuf,
    },
    /// Record a realistic synthetic cohort through the engine's own commands (for demos,
    /// tests and benchmarks). The same seed on the same day gives the same cohort, and
    /// running it again on the same database records nothing twice.
    DemoData(DemoArgs),
}

#[derive(Debug, Args)]
pub struct DatabaseArgs {
    /// `sqlite://FILE?mode=rwc` (embedded, one server process per file) or `postgres://…`.
    #[arg(long, env = "PERMANENCE_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Address to listen on.
    #[arg(long, env = "PERMANENCE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// A TOML file overriding the timescales that are local settings.
    #[arg(long, env = "PERMANENCE_TIMESCALES")]
    pub timescales: Option<PathBuf>,
    /// Serve GraphiQL at GET /graphql.
    #[arg(long, env = "PERMANENCE_GRAPHIQL", default_value_t = true, action = clap::ArgAction::Set)]
    pub graphiql: bool,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "PERMANENCE_BODY_LIMIT", default_value_t = 64 * 1024)]
    pub body_limit: usize,
    /// Log as JSON lines (for log collectors) instead of text.
    #[arg(long, env = "PERMANENCE_LOG_JSON", default_value_t = false)]
    pub log_json: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// How many children to generate (a re-entry into care is a second period of the same child).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=9_999_999))]
    pub children: u32,
    /// The seed of the generator.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Years of history before today over which children enter care.
    #[arg(long, default_value_t = permanence_cohort::DEFAULT_YEARS, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub years: u32,
    /// Local authorities (ONS codes, comma-separated) the children belong to.
    #[arg(long = "local-authority", value_delimiter = ',', default_value = permanence_cohort::DEFAULT_LOCAL_AUTHORITY)]
    pub local_authorities: Vec<String>,
    /// Children recorded at once [default: 1 on SQLite, which has one writer; 8 on PostgreSQL].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub concurrency: Option<u32>,
    /// Seconds between progress lines on standard error.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..))]
    pub progress_seconds: u64,
}
