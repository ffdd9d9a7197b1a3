//! The `permanence` binary: parses the command line once and runs a subcommand
//! (`permanence_server::commands`).

use clap::Parser;
use permanence_server::cli::{Cli, CommandKind};
use permanence_server::commands;
use std::process::ExitCode;

/// mimalloc in place of the C library's allocator: a GraphQL answer is built of many small
/// values, allocated and freed across the runtime's threads, where glibc's malloc spent a
/// quarter of the server's time (merging and unlinking free chunks) on a page of 50 items.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        CommandKind::Serve(args) => commands::serve(args).await?,
        CommandKind::Migrate(args) => commands::migrate(args).await?,
        CommandKind::DemoData(args) => commands::demo_data(args).await?,
        CommandKind::ExportSchema { path } => commands::export_schema(&path)?,
        CommandKind::User(command) => commands::user(command).await?,
        CommandKind::Token(command) => commands::token(command).await?,
        CommandKind::Ssda903(command) => commands::ssda903(command).await?,
        CommandKind::Audit(command) => {
            if !commands::audit(command).await? {
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
