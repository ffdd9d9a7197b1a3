//! The command line: every clap struct of the `permanence` binary, with environment
//! fallbacks, parsed once at start-up. Plain values only; the modules that run a command
//! take these and do the work.

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
    /// Manage the users of the API (an administrator's task, on the server's machine).
    #[command(subcommand)]
    User(UserCommand),
    /// Issue, list and revoke users' bearer tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Check the audit log of who read or wrote which record, or show a record's.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The national return of children looked after (SSDA903): export a year's return from
    /// the engine's records, or import an authority's existing return.
    #[command(subcommand)]
    Ssda903(Ssda903Command),
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
    /// Serve GraphiQL at GET /graphql, and answer introspection queries (which GraphiQL needs).
    /// Off unless enabled: for development and trials, not for a live service.
    #[arg(long, env = "PERMANENCE_GRAPHIQL", default_value_t = false, action = clap::ArgAction::Set)]
    pub graphiql: bool,
    /// Requests each user may make per minute, per server process; past it the answer is 429.
    #[arg(long, env = "PERMANENCE_REQUESTS_PER_MINUTE", default_value_t = 600)]
    pub requests_per_minute: u32,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "PERMANENCE_BODY_LIMIT", default_value_t = 64 * 1024)]
    pub body_limit: usize,
    /// Log as JSON lines (for log collectors) instead of text.
    #[arg(long, env = "PERMANENCE_LOG_JSON", default_value_t = false)]
    pub log_json: bool,
    /// A TOML file setting up single sign-on: tokens signed by the authority's identity
    /// provider are accepted beside the tokens this server issues (see the README).
    #[arg(long, env = "PERMANENCE_SINGLE_SIGN_ON")]
    pub single_sign_on: Option<PathBuf>,
    /// A CSV file of the published figures the dashboard compares its tiles with
    /// (`measure,what,period,value,unit,source`), instead of the England figures built in.
    #[arg(long, env = "PERMANENCE_NATIONAL_REFERENCE")]
    pub national_reference: Option<PathBuf>,
    #[command(flatten)]
    pub escalation: EscalationArgs,
}

/// Escalations: every server process sweeps for deadlines that reached a tier (the tiers'
/// thresholds are in the timescales file's `[escalation]` table) and sends notifications to
/// the webhook; several processes on one database record and send each one once.
#[derive(Debug, Args)]
pub struct EscalationArgs {
    /// Seconds between escalation rounds; 0 turns escalation off in this process.
    #[arg(long, env = "PERMANENCE_ESCALATION_SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub escalation_seconds: u64,
    /// Send each notification as a JSON POST to this URL (http or https).
    #[arg(long, env = "PERMANENCE_WEBHOOK_URL")]
    pub webhook_url: Option<reqwest::Url>,
    /// Attempts before a webhook delivery is marked failed.
    #[arg(long, env = "PERMANENCE_WEBHOOK_ATTEMPTS", default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub webhook_attempts: u32,
    /// Seconds before the first retry of a failed delivery; each later retry waits twice as long.
    #[arg(long, env = "PERMANENCE_WEBHOOK_RETRY_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub webhook_retry_seconds: u64,
    /// Seconds one webhook request may take.
    #[arg(long, env = "PERMANENCE_WEBHOOK_TIMEOUT_SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub webhook_timeout_seconds: u64,
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
    /// Children recorded at once, one command per transaction as the API records them
    /// [default: 1 on SQLite, which has one writer; 8 on PostgreSQL].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub concurrency: Option<u32>,
    /// Write this many children per transaction instead, each command still decided by the
    /// domain (the path of an SSDA903 import): for cohorts of tens of thousands.
    #[arg(long, conflicts_with = "concurrency", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub batch: Option<u32>,
    /// Seconds between progress lines on standard error.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..))]
    pub progress_seconds: u64,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user and print their first token (once: only its hash is stored).
    Add(UserAddArgs),
    /// Set a user's password for signing in to the pages (read from standard input); signs
    /// them out of every session.
    SetPassword(SetPasswordArgs),
}

#[derive(Debug, Args)]
pub struct SetPasswordArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[arg(long)]
    pub username: String,
    /// Read the password from the first line of standard input (never from an argument, which
    /// other users of the machine can see in the process list).
    #[arg(long, required = true)]
    pub password_stdin: bool,
}

#[derive(Debug, Args)]
pub struct UserAddArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The user's id in the service: unique, and what a case records as its allocated worker.
    #[arg(long)]
    pub username: String,
    /// The name shown on screen.
    #[arg(long)]
    pub name: String,
    /// SOCIAL_WORKER, TEAM_MANAGER, PANEL_MEMBER, PANEL_CHAIR, AGENCY_DECISION_MAKER, LEADER
    /// or ADMINISTRATOR (case and `-` are forgiven: `social-worker`).
    #[arg(long)]
    pub role: permanence_auth::Role,
    /// A team reference the user belongs to; repeat for several.
    #[arg(long = "team")]
    pub teams: Vec<String>,
    /// ONS code of a local authority the user works for (E10000003); repeat for a regional
    /// adoption agency.
    #[arg(long = "authority", required = true)]
    pub authorities: Vec<String>,
    #[command(flatten)]
    pub token: TokenOptions,
    /// Also give the user a password for the pages, read from the first line of standard
    /// input.
    #[arg(long)]
    pub password_stdin: bool,
}

/// How a new token is issued.
#[derive(Clone, Debug, Default, Args)]
pub struct TokenOptions {
    /// Days until the token expires [default: never].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub expires_in_days: Option<u32>,
    /// A note on what the token is for (a device, an integration).
    #[arg(long)]
    pub label: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Issue another token to an existing user and print it (once).
    Add(TokenAddArgs),
    /// List every token: id, user, label, dates and status (never the token itself).
    List(DatabaseArgs),
    /// Revoke a token by its id: requests with it are refused from now on.
    Revoke(TokenRevokeArgs),
}

#[derive(Debug, Args)]
pub struct TokenAddArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[arg(long)]
    pub username: String,
    #[command(flatten)]
    pub token: TokenOptions,
}

#[derive(Debug, Args)]
pub struct TokenRevokeArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The token's id, as `token list` shows it.
    pub id: uuid::Uuid,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the audit log's hash chain from its first row to its head; exits non-zero at a
    /// break. Keep the printed checkpoint outside the database.
    Verify(AuditVerifyArgs),
    /// Show the latest audit rows of a child or a case, newest first.
    Show(AuditShowArgs),
}

#[derive(Debug, Args)]
pub struct AuditVerifyArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// `SEQUENCE:HASH` printed by an earlier verify: that row must still have that hash.
    #[arg(long)]
    pub checkpoint: Option<Checkpoint>,
}

#[derive(Debug, Args)]
pub struct AuditShowArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The child's or the case's id.
    #[arg(long)]
    pub child_or_case_id: String,
    /// How many rows to show at most.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub limit: u64,
}

#[derive(Debug, Subcommand)]
pub enum Ssda903Command {
    /// Write the return for the collection year ending 31 March YEAR from the engine's
    /// records: header.csv, episodes.csv, reviews.csv, ad1.csv, placed_for_adoption.csv.
    Export(ExportArgs),
    /// Read an authority's return (the CSV files in DIR, recognised by their columns) into
    /// the engine. All or nothing; importing the same files again records nothing new.
    Import(ImportArgs),
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The directory to write the tables to (created when missing).
    pub dir: PathBuf,
    /// The collection year, by the year it ends in (2026: 1 April 2025 to 31 March 2026).
    #[arg(long, value_parser = clap::value_parser!(i32).range(1992..=9999))]
    pub year: i32,
    /// The authority (ONS code) whose return it is [default: the only one in the database].
    #[arg(long)]
    pub local_authority: Option<String>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The directory holding the return's CSV files (any names: tables are recognised by
    /// their columns).
    pub dir: PathBuf,
    /// The authority (ONS code) whose return it is.
    #[arg(long)]
    pub local_authority: String,
    /// Import every child whose rows are all acceptable, leave out the others entirely, and
    /// write their refused rows with the reasons to `--refused-report`. Without it, one
    /// problem anywhere imports nothing.
    #[arg(long)]
    pub skip_refused_children: bool,
    /// Where `--skip-refused-children` writes the refused rows (CSV).
    #[arg(long, default_value = "ssda903-refused-rows.csv")]
    pub refused_report: PathBuf,
}

/// A row and hash kept outside the database from an earlier `audit verify`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub sequence: i64,
    pub hash: String,
}

impl std::str::FromStr for Checkpoint {
    type Err = String;

    /// `SEQUENCE:HASH`.
    fn from_str(s: &str) -> Result<Self, String> {
        let (sequence, hash) = s
            .split_once(':')
            .ok_or("a checkpoint is SEQUENCE:HASH, as `audit verify` printed it")?;
        let sequence = sequence
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|s| *s >= 1)
            .ok_or("a checkpoint's sequence is a row number from 1")?;
        let hash = hash.trim().to_ascii_lowercase();
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err("a checkpoint's hash is 64 hexadecimal digits".into());
        }
        Ok(Checkpoint { sequence, hash })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_is_well_formed_and_parses_demo_data() {
        Cli::command().debug_assert();
        let cli = Cli::try_parse_from([
            "permanence",
            "demo-data",
            "--children",
            "50",
            "--seed",
            "7",
            "--local-authority",
            "E10000003,E09000001",
        ])
        .expect("parses");
        let CommandKind::DemoData(args) = cli.command else {
            panic!("expected demo-data");
        };
        assert_eq!((args.children, args.seed, args.years), (50, 7, 10));
        assert_eq!(args.local_authorities, ["E10000003", "E09000001"]);
        assert_eq!(args.concurrency, None);
        assert_eq!(args.batch, None);
        assert!(Cli::try_parse_from(["permanence", "demo-data", "--children", "0"]).is_err());
        let serve = Cli::try_parse_from([
            "permanence",
            "serve",
            "--national-reference",
            "/etc/permanence/reference.csv",
        ])
        .expect("parses serve");
        let CommandKind::Serve(serve) = serve.command else {
            panic!("expected serve");
        };
        assert_eq!(
            serve.national_reference.as_deref(),
            Some(std::path::Path::new("/etc/permanence/reference.csv"))
        );
        let batched = Cli::try_parse_from(["permanence", "demo-data", "--batch", "500"])
            .expect("parses --batch");
        let CommandKind::DemoData(args) = batched.command else {
            panic!("expected demo-data");
        };
        assert_eq!(args.batch, Some(500));
        // One way of recording at a time.
        assert!(
            Cli::try_parse_from([
                "permanence",
                "demo-data",
                "--batch",
                "500",
                "--concurrency",
                "2"
            ])
            .is_err()
        );
    }
}
