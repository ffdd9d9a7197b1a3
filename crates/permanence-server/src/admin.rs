//! The administrator's subcommands: users and their bearer tokens, and checking the audit log.
//!
//! A token's secret is made here (`permanence_auth::new_token`), printed once to the person
//! who asked for it, and stored only as its hash. Each function takes `now` and a writer, so
//! that tests run the commands exactly as the binary does.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::{BufRead, Write};

use anyhow::{Context, bail};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use permanence_auth::{
    AuditRead, ChainAnchor, ChainBreak, ChainSummary, Principal, TokenSecret, TokenStatus,
    new_token, record_kind, verify_chain_from,
};
use permanence_engine::store::{AuditRow, NewUser, Store, StoreError, TokenRecord, UserRecord};
use uuid::Uuid;

pub use crate::cli::Checkpoint;
use crate::cli::{
    AuditCommand, AuditShowArgs, AuditVerifyArgs, TokenAddArgs, TokenCommand, TokenOptions,
    UserAddArgs, UserCommand,
};

/// Audit rows read per query while verifying.
const AUDIT_PAGE: u64 = 1_000;
/// Longest username (the column's size, and a case's allocated worker's).
const MAX_USERNAME_LEN: usize = 100;
const MAX_DISPLAY_NAME_LEN: usize = 200;
const MAX_LABEL_LEN: usize = 100;

/// Connects to the database and applies migrations.
pub async fn open_store(database_url: &str) -> anyhow::Result<Store> {
    let store = Store::connect(database_url)
        .await
        .context("connecting to the database")?;
    store.migrate().await.context("migrating the database")?;
    Ok(store)
}

// ----- users and tokens -----------------------------------------------------------------------

/// A token just issued: its secret is in no other place.
#[derive(Debug)]
pub struct IssuedToken {
    pub user: UserRecord,
    pub token: TokenRecord,
    pub secret: TokenSecret,
}

impl IssuedToken {
    /// What the administrator reads: the secret once, and how to use it.
    pub fn write_to(&self, out: &mut impl Write) -> std::io::Result<()> {
        writeln!(out, "user:     {} ({})", self.user.username, self.user.id)?;
        writeln!(out, "token id: {}", self.token.id)?;
        writeln!(
            out,
            "expires:  {}",
            self.token
                .expires_at
                .map_or_else(|| "never".to_owned(), instant)
        )?;
        writeln!(
            out,
            "token (shown once; give it to the user, it cannot be shown again):"
        )?;
        writeln!(out, "{}", self.secret.expose())?;
        Ok(())
    }
}

/// Checks and creates a user, then issues their first token.
pub async fn add_user(
    store: &Store,
    user: &NewUser,
    token: &TokenOptions,
    now: DateTime<Utc>,
) -> anyhow::Result<IssuedToken> {
    check_user(user)?;
    check_token_options(token)?;
    let record = store.create_user(user, now).await.map_err(|e| match e {
        StoreError::Conflict(message) => anyhow::anyhow!("{message}: {}", user.username),
        other => anyhow::Error::new(other).context("creating the user"),
    })?;
    issue(store, record, token, now).await.with_context(|| {
        format!(
            "the user {} was created, but no token was issued: run `permanence token add`",
            user.username
        )
    })
}

/// Reads a password from the first line of `input`, without its line ending, and checks that
/// it may be used (its length; never echoed back).
pub fn read_password(input: &mut impl BufRead) -> anyhow::Result<String> {
    let mut line = String::new();
    input
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let password = line
        .strip_suffix('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .unwrap_or(&line)
        .to_owned();
    permanence_auth::check_new_password(&password)?;
    Ok(password)
}

/// Sets a user's password (hashed with Argon2id) and ends their sessions.
pub async fn set_password(
    store: &Store,
    username: &str,
    password: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<UserRecord> {
    let Some(user) = store.user_by_username(username).await? else {
        bail!("no user is called {username}");
    };
    let hash = permanence_auth::hash_password(password)?;
    store
        .set_password(user.id, &hash, now)
        .await
        .context("storing the password")?;
    Ok(user)
}

/// Issues another token to an existing user.
pub async fn add_token(
    store: &Store,
    username: &str,
    token: &TokenOptions,
    now: DateTime<Utc>,
) -> anyhow::Result<IssuedToken> {
    check_token_options(token)?;
    let Some(user) = store.user_by_username(username).await? else {
        bail!("no user is called {username}");
    };
    if user.is_disabled_at(now) {
        bail!("the user {username} is disabled");
    }
    issue(store, user, token, now).await
}

async fn issue(
    store: &Store,
    user: UserRecord,
    options: &TokenOptions,
    now: DateTime<Utc>,
) -> anyhow::Result<IssuedToken> {
    let new = new_token().context("making a token")?;
    let expires_at = options
        .expires_in_days
        .map(|days| now + Duration::days(i64::from(days)));
    let token = store
        .issue_token(
            user.id,
            &new.hash,
            options.label.as_deref(),
            expires_at,
            now,
        )
        .await
        .context("storing the token")?;
    Ok(IssuedToken {
        user,
        token,
        secret: new.secret,
    })
}

fn check_user(user: &NewUser) -> anyhow::Result<()> {
    let name = &user.username;
    if name.is_empty()
        || name.chars().count() > MAX_USERNAME_LEN
        || name.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        bail!("--username must be 1 to {MAX_USERNAME_LEN} characters without spaces");
    }
    let display = user.display_name.trim();
    if display.is_empty() || display.chars().count() > MAX_DISPLAY_NAME_LEN {
        bail!("--name must be 1 to {MAX_DISPLAY_NAME_LEN} characters");
    }
    if let Some(team) = user
        .teams
        .iter()
        .find(|t| t.trim().is_empty() || t.chars().count() > 100)
    {
        bail!("--team {team:?}: a team reference is 1 to 100 characters");
    }
    let principal = Principal {
        user_id: user.username.clone(),
        name: user.display_name.clone(),
        role: user.role,
        teams: user.teams.clone(),
        local_authorities: user.local_authorities.clone(),
    };
    principal
        .validate()
        .map_err(|e| anyhow::anyhow!("{e} (--authority takes an ONS code such as E10000003)"))
}

fn check_token_options(options: &TokenOptions) -> anyhow::Result<()> {
    if let Some(label) = &options.label
        && (label.trim().is_empty() || label.chars().count() > MAX_LABEL_LEN)
    {
        bail!("--label must be 1 to {MAX_LABEL_LEN} characters");
    }
    Ok(())
}

/// One line of `token list`: never the secret, never the hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenListing {
    pub token: TokenRecord,
    pub username: String,
    pub status: TokenStatus,
}

pub async fn list_tokens(store: &Store, now: DateTime<Utc>) -> anyhow::Result<Vec<TokenListing>> {
    Ok(store
        .list_tokens()
        .await?
        .into_iter()
        .map(|(token, username)| TokenListing {
            status: token.status(now),
            token,
            username,
        })
        .collect())
}

pub fn write_token_table(listings: &[TokenListing], out: &mut impl Write) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<36}  {:<20}  {:<20}  {:<20}  {:<20}  {:<20}  STATUS",
        "ID", "USERNAME", "LABEL", "CREATED", "EXPIRES", "REVOKED"
    )?;
    for listing in listings {
        let token = &listing.token;
        writeln!(
            out,
            "{:<36}  {:<20}  {:<20}  {:<20}  {:<20}  {:<20}  {}",
            token.id,
            listing.username,
            token.label.as_deref().unwrap_or("-"),
            instant(token.created_at),
            token.expires_at.map_or_else(|| "never".to_owned(), instant),
            token.revoked_at.map_or_else(|| "-".to_owned(), instant),
            listing.status.key(),
        )?;
    }
    Ok(())
}

/// Revokes a token; false when it is unknown or already revoked.
pub async fn revoke_token(store: &Store, id: Uuid, now: DateTime<Utc>) -> anyhow::Result<bool> {
    Ok(store.revoke_token(id, now).await?)
}

fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

// ----- audit ----------------------------------------------------------------------------------

/// What `audit verify` found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditVerification {
    /// Every row verified and the last one is the head.
    Intact(ChainSummary),
    /// A row does not follow from the one before it.
    Broken(ChainBreak),
    /// The rows verify, but the log does not end where the head says: rows were cut off the
    /// end (`head_sequence` beyond `last_sequence`) or added or rewritten behind the store.
    HeadMismatch {
        last_sequence: i64,
        last_hash: String,
        head_sequence: i64,
        head_hash: String,
    },
    /// The row at a checkpoint kept outside the database has another hash (or is gone): the
    /// chain was rewritten from some row on.
    CheckpointMismatch {
        sequence: i64,
        expected_hash: String,
    },
    /// The rows verify, but the index `audit show` reads (records to request rows) does not
    /// list exactly the records of this row: a read could be hidden from, or invented for,
    /// the question "who has looked at this record".
    IndexMismatch { sequence: i64 },
}

impl AuditVerification {
    pub fn is_intact(&self) -> bool {
        matches!(self, AuditVerification::Intact(_))
    }

    /// The first sequence at which the chain does not hold.
    pub fn broken_at(&self) -> Option<i64> {
        match self {
            AuditVerification::Intact(_) => None,
            AuditVerification::Broken(ChainBreak { sequence, reason }) => Some(match reason {
                permanence_auth::BreakReason::Missing { expected } => *expected,
                _ => *sequence,
            }),
            AuditVerification::HeadMismatch {
                last_sequence,
                head_sequence,
                ..
            } => Some(if head_sequence == last_sequence {
                *last_sequence
            } else {
                (*last_sequence).min(*head_sequence) + 1
            }),
            AuditVerification::CheckpointMismatch { sequence, .. }
            | AuditVerification::IndexMismatch { sequence } => Some(*sequence),
        }
    }
}

impl fmt::Display for AuditVerification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuditVerification::Intact(summary) => write!(
                f,
                "audit chain intact: {} rows, head {}",
                summary.rows, summary.head_hash
            ),
            AuditVerification::Broken(chain_break) => write!(f, "{chain_break}"),
            AuditVerification::HeadMismatch {
                last_sequence,
                last_hash,
                head_sequence,
                head_hash,
            } => {
                let what = if head_sequence > last_sequence {
                    "rows were deleted from the end of the log"
                } else if head_sequence < last_sequence {
                    "rows were added to the log behind the application"
                } else {
                    "the last row was rewritten"
                };
                write!(
                    f,
                    "the audit chain is broken at row {}: the log ends at row {last_sequence} \
                     ({last_hash}) but its head records row {head_sequence} ({head_hash}): {what}",
                    self.broken_at().unwrap_or(*last_sequence),
                )
            }
            AuditVerification::CheckpointMismatch {
                sequence,
                expected_hash,
            } => write!(
                f,
                "the audit chain is broken at row {sequence}: it no longer has the hash \
                 {expected_hash} of the checkpoint (the log was rewritten from there on)"
            ),
            AuditVerification::IndexMismatch { sequence } => write!(
                f,
                "the audit index is broken at row {sequence}: the records it lists for the row \
                 are not the row's own (index entries were added or removed behind the \
                 application)"
            ),
        }
    }
}

/// Reads the whole audit log in pages, verifies the chain, and compares its end with the head
/// (and a row with a checkpoint, if given).
pub async fn verify_audit(
    store: &Store,
    checkpoint: Option<&Checkpoint>,
) -> anyhow::Result<AuditVerification> {
    let mut anchor = ChainAnchor::genesis();
    let mut rows = 0u64;
    let mut checkpoint_seen = false;
    // Appends go on while we read: a head read after the rows may be ahead of them, so read
    // on until the rows reach it. Rows and head move in one transaction, so a head behind the
    // rows is never a race.
    let mut rounds = 0;
    loop {
        loop {
            let page = store.audit_page(anchor.sequence, AUDIT_PAGE).await?;
            let full = page.len() as u64 == AUDIT_PAGE;
            if page.is_empty() {
                break;
            }
            if let Some(checkpoint) = checkpoint
                && let Some(row) = page
                    .iter()
                    .find(|r| r.entry.sequence == checkpoint.sequence)
            {
                checkpoint_seen = true;
                if row.hash != checkpoint.hash {
                    return Ok(AuditVerification::CheckpointMismatch {
                        sequence: checkpoint.sequence,
                        expected_hash: checkpoint.hash.clone(),
                    });
                }
            }
            // The chain first: a row altered is reported as such, not as its index's mismatch.
            let pairs = page
                .iter()
                .map(|AuditRow { entry, hash }| (entry.clone(), hash.clone()));
            let verified = verify_chain_from(anchor.clone(), pairs);
            if verified.is_ok()
                && let Some(sequence) = index_mismatch(store, &page).await?
            {
                return Ok(AuditVerification::IndexMismatch { sequence });
            }
            match verified {
                Ok(summary) => {
                    rows += summary.rows;
                    anchor = ChainAnchor {
                        sequence: summary.last_sequence,
                        hash: summary.head_hash,
                    };
                }
                Err(chain_break) => return Ok(AuditVerification::Broken(chain_break)),
            }
            if !full {
                break;
            }
        }
        let (head_sequence, head_hash) = store.audit_head().await?;
        rounds += 1;
        if head_sequence > anchor.sequence && rounds < 3 {
            let more = store.audit_page(anchor.sequence, 1).await?;
            if !more.is_empty() {
                continue;
            }
        }
        if head_sequence != anchor.sequence || head_hash != anchor.hash {
            return Ok(AuditVerification::HeadMismatch {
                last_sequence: anchor.sequence,
                last_hash: anchor.hash,
                head_sequence,
                head_hash,
            });
        }
        break;
    }
    if let Some(checkpoint) = checkpoint
        && !checkpoint_seen
    {
        return Ok(AuditVerification::CheckpointMismatch {
            sequence: checkpoint.sequence,
            expected_hash: checkpoint.hash.clone(),
        });
    }
    Ok(AuditVerification::Intact(ChainSummary {
        rows,
        last_sequence: anchor.sequence,
        head_hash: anchor.hash,
    }))
}

/// The first row of a page whose index entries are not its records (each once), if any.
/// Rows of one record have no index entries: they are found by their own columns.
async fn index_mismatch(store: &Store, page: &[AuditRow]) -> anyhow::Result<Option<i64>> {
    let (Some(first), Some(last)) = (page.first(), page.last()) else {
        return Ok(None);
    };
    let mut indexed: BTreeMap<i64, BTreeSet<(String, String)>> = BTreeMap::new();
    for (sequence, kind, id) in store
        .audit_index_between(first.entry.sequence, last.entry.sequence)
        .await?
    {
        indexed.entry(sequence).or_default().insert((kind, id));
    }
    let mut listed: BTreeMap<i64, BTreeSet<(String, String)>> = BTreeMap::new();
    for row in page {
        if let Some(records) = &row.entry.records {
            listed.insert(
                row.entry.sequence,
                records
                    .iter()
                    .map(|r| (r.record_kind.clone(), r.record_id.clone()))
                    .collect(),
            );
        }
    }
    let sequences: BTreeSet<i64> = indexed.keys().chain(listed.keys()).copied().collect();
    Ok(sequences
        .into_iter()
        .find(|sequence| indexed.get(sequence) != listed.get(sequence)))
}

/// The latest reads of a child or a case (the id is looked up as both), newest first: one
/// line per record read, whether its row named one record or a request's many.
pub async fn audit_of_record(
    store: &Store,
    id: &str,
    limit: u64,
) -> anyhow::Result<Vec<AuditRead>> {
    let mut reads = Vec::new();
    for kind in [record_kind::CHILD, record_kind::CASE] {
        reads.extend(store.audit_of_record(kind, id, limit).await?);
    }
    reads.sort_by_key(|read| std::cmp::Reverse(read.sequence));
    reads.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(reads)
}

pub fn write_audit_rows(entries: &[AuditRead], out: &mut impl Write) -> std::io::Result<()> {
    writeln!(
        out,
        "{:>8}  {:<27}  {:<20}  {:<24}  {:<5}  {:<36}  QUERY",
        "SEQUENCE", "AT", "ACTOR", "ACTION", "KIND", "RECORD"
    )?;
    for entry in entries {
        writeln!(
            out,
            "{:>8}  {:<27}  {:<20}  {:<24}  {:<5}  {:<36}  {}",
            entry.sequence,
            entry.at.to_rfc3339_opts(SecondsFormat::Micros, true),
            entry.actor,
            entry.action,
            entry.record_kind,
            entry.record_id,
            entry.query,
        )?;
    }
    Ok(())
}

// ----- the subcommands ------------------------------------------------------------------------

fn new_user(args: &UserAddArgs) -> NewUser {
    NewUser {
        username: args.username.trim().to_owned(),
        display_name: args.name.trim().to_owned(),
        role: args.role,
        teams: args.teams.iter().map(|t| t.trim().to_owned()).collect(),
        local_authorities: args
            .authorities
            .iter()
            .map(|a| a.trim().to_owned())
            .collect(),
    }
}

/// `permanence user …`.
pub async fn run_user(
    command: &UserCommand,
    now: DateTime<Utc>,
    input: &mut impl BufRead,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    match command {
        UserCommand::Add(args) => {
            // Read and check the password before anything is created.
            let password = if args.password_stdin {
                Some(read_password(input)?)
            } else {
                None
            };
            let store = open_store(&args.database.database_url).await?;
            let issued = add_user(&store, &new_user(args), &args.token, now).await?;
            if let Some(password) = password {
                set_password(&store, &issued.user.username, &password, now)
                    .await
                    .with_context(|| {
                        format!(
                            "the user {} was created with a token, but no password: run `permanence user set-password`",
                            issued.user.username
                        )
                    })?;
                writeln!(out, "password set for signing in to the pages")?;
            }
            writeln!(
                out,
                "created {} {} ({}) in {}",
                issued.user.role.label(),
                issued.user.username,
                issued.user.display_name,
                issued.user.local_authorities.join(", ")
            )?;
            issued.write_to(out)?;
        }
        UserCommand::SetPassword(args) => {
            let password = read_password(input)?;
            let store = open_store(&args.database.database_url).await?;
            let user = set_password(&store, args.username.trim(), &password, now).await?;
            writeln!(
                out,
                "password set for {}; their sessions have ended",
                user.username
            )?;
        }
    }
    Ok(())
}

/// `permanence token …`.
pub async fn run_token(
    command: &TokenCommand,
    now: DateTime<Utc>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    match command {
        TokenCommand::Add(TokenAddArgs {
            database,
            username,
            token,
        }) => {
            let store = open_store(&database.database_url).await?;
            let issued = add_token(&store, username.trim(), token, now).await?;
            issued.write_to(out)?;
        }
        TokenCommand::List(args) => {
            let store = open_store(&args.database_url).await?;
            write_token_table(&list_tokens(&store, now).await?, out)?;
        }
        TokenCommand::Revoke(args) => {
            let store = open_store(&args.database.database_url).await?;
            if !revoke_token(&store, args.id, now).await? {
                bail!(
                    "no token {} is active: unknown, or already revoked",
                    args.id
                );
            }
            writeln!(out, "revoked token {}", args.id)?;
        }
    }
    Ok(())
}

/// `permanence audit …`. Ok(false) when `verify` found the chain broken.
pub async fn run_audit(command: &AuditCommand, out: &mut impl Write) -> anyhow::Result<bool> {
    match command {
        AuditCommand::Verify(AuditVerifyArgs {
            database,
            checkpoint,
        }) => {
            let store = open_store(&database.database_url).await?;
            let verification = verify_audit(&store, checkpoint.as_ref()).await?;
            writeln!(out, "{verification}")?;
            if let AuditVerification::Intact(summary) = &verification {
                writeln!(
                    out,
                    "checkpoint: {}:{} (keep it outside the database; pass it as \
                     --checkpoint to a later verify)",
                    summary.last_sequence, summary.head_hash
                )?;
            }
            Ok(verification.is_intact())
        }
        AuditCommand::Show(AuditShowArgs {
            database,
            child_or_case_id,
            limit,
        }) => {
            let store = open_store(&database.database_url).await?;
            // Ids are recorded in their canonical form; accept any form of a UUID.
            let id = child_or_case_id.trim();
            let id = Uuid::parse_str(id).map_or_else(|_| id.to_owned(), |uuid| uuid.to_string());
            let entries = audit_of_record(&store, &id, *limit).await?;
            write_audit_rows(&entries, out)?;
            Ok(true)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, CommandKind};
    use clap::Parser;
    use permanence_auth::Role;

    #[test]
    fn the_admin_subcommands_parse() {
        let cli = Cli::try_parse_from([
            "permanence",
            "user",
            "add",
            "--username",
            "sam",
            "--name",
            "Sam Smith",
            "--role",
            "team-manager",
            "--team",
            "north",
            "--team",
            "south",
            "--authority",
            "E10000003",
            "--authority",
            "E06000001",
            "--expires-in-days",
            "90",
            "--label",
            "laptop",
            "--database-url",
            "sqlite://x.sqlite",
        ])
        .expect("parses");
        let CommandKind::User(UserCommand::Add(args)) = cli.command else {
            panic!("expected user add");
        };
        let user = new_user(&args);
        assert_eq!(user.role, Role::TeamManager);
        assert_eq!(user.teams, ["north", "south"]);
        assert_eq!(user.local_authorities, ["E10000003", "E06000001"]);
        assert_eq!(args.token.expires_in_days, Some(90));
        assert_eq!(args.database.database_url, "sqlite://x.sqlite");

        // An authority is required; a role must be one of ours.
        for missing in [
            &[
                "permanence",
                "user",
                "add",
                "--username",
                "a",
                "--name",
                "A",
                "--role",
                "leader",
            ][..],
            &[
                "permanence",
                "user",
                "add",
                "--username",
                "a",
                "--name",
                "A",
                "--role",
                "boss",
                "--authority",
                "E10000003",
            ],
        ] {
            assert!(Cli::try_parse_from(missing).is_err());
        }
        let id = Uuid::now_v7();
        let cli = Cli::try_parse_from(["permanence", "token", "revoke", &id.to_string()])
            .expect("parses");
        assert!(
            matches!(cli.command, CommandKind::Token(TokenCommand::Revoke(ref a)) if a.id == id)
        );
        assert!(Cli::try_parse_from(["permanence", "token", "revoke", "not-an-id"]).is_err());
        let hash = "ab".repeat(32);
        let cli = Cli::try_parse_from([
            "permanence",
            "audit",
            "verify",
            "--checkpoint",
            &format!("12:{hash}"),
        ])
        .expect("parses");
        let CommandKind::Audit(AuditCommand::Verify(args)) = cli.command else {
            panic!("expected audit verify");
        };
        assert_eq!(
            args.checkpoint,
            Some(Checkpoint {
                sequence: 12,
                hash: hash.clone()
            })
        );
        for bad in ["12", "0:{hash}", "x:{hash}", "12:abc"] {
            assert!(
                bad.replace("{hash}", &hash).parse::<Checkpoint>().is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn users_are_checked_before_they_are_stored() {
        let good = NewUser {
            username: "sam".into(),
            display_name: "Sam".into(),
            role: Role::SocialWorker,
            teams: vec![],
            local_authorities: vec!["E10000003".into()],
        };
        assert!(check_user(&good).is_ok());
        for bad in [
            NewUser {
                username: "sam smith".into(),
                ..good.clone()
            },
            NewUser {
                username: String::new(),
                ..good.clone()
            },
            NewUser {
                username: "s".repeat(101),
                ..good.clone()
            },
            NewUser {
                display_name: " ".into(),
                ..good.clone()
            },
            NewUser {
                local_authorities: vec![],
                ..good.clone()
            },
            NewUser {
                local_authorities: vec!["Cambridgeshire".into()],
                ..good.clone()
            },
        ] {
            assert!(check_user(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_verification_says_where_the_chain_breaks() {
        let intact = AuditVerification::Intact(ChainSummary {
            rows: 2,
            last_sequence: 2,
            head_hash: "h".into(),
        });
        assert_eq!(intact.to_string(), "audit chain intact: 2 rows, head h");
        assert_eq!(intact.broken_at(), None);
        let rewritten = AuditVerification::HeadMismatch {
            last_sequence: 5,
            last_hash: "a".into(),
            head_sequence: 5,
            head_hash: "b".into(),
        };
        assert_eq!(rewritten.broken_at(), Some(5));
        assert!(rewritten.to_string().contains("the last row was rewritten"));
        let added = AuditVerification::HeadMismatch {
            last_sequence: 7,
            last_hash: "a".into(),
            head_sequence: 5,
            head_hash: "b".into(),
        };
        assert_eq!(added.broken_at(), Some(6));
        assert!(added.to_string().contains("added to the log"));
    }
}
