//! What the database holds after a fault, against what the writers were told: every
//! acknowledged write is there, once; each case's versions and event sequences run without
//! a gap; the audit chain verifies.

use crate::writers::WriterLog;
use anyhow::{Context, ensure};
use permanence_domain::CaseId;
use permanence_engine::store::Store;
use std::collections::HashMap;
use uuid::Uuid;

/// The figures of one run's check.
#[derive(Debug, Default)]
pub struct Tally {
    pub acknowledged: usize,
    /// Acknowledged writes whose event is not in the database.
    pub lost: usize,
    /// Command ids recorded more than once.
    pub doubled: usize,
    /// Reviews in the database that no writer was told about.
    pub unacknowledged: usize,
    /// Cases whose version is not their last event's sequence, or whose sequences skip.
    pub gapped_cases: usize,
    /// Commands sent more than once.
    pub resent: u64,
    /// Re-sent commands the server had already recorded (their first answer was lost).
    pub answered_as_duplicate: usize,
    pub failed_attempts: u64,
    pub refusals: std::collections::BTreeMap<String, u64>,
}

impl Tally {
    /// Nothing lost, doubled, gapped or unaccounted for, and no writer gave up.
    pub fn ensure_clean(&self, logs: &[WriterLog]) -> anyhow::Result<()> {
        for log in logs {
            if let Some(why) = &log.gave_up {
                anyhow::bail!("a writer gave up: {why}");
            }
        }
        ensure!(self.acknowledged > 0, "no write was acknowledged");
        ensure!(self.lost == 0, "acknowledged writes lost: {self:?}");
        ensure!(self.doubled == 0, "command ids recorded twice: {self:?}");
        ensure!(
            self.unacknowledged == 0,
            "writes nobody was told of: {self:?}"
        );
        ensure!(self.gapped_cases == 0, "cases with gaps: {self:?}");
        Ok(())
    }

    /// The figures as one line's words.
    pub fn words(&self) -> String {
        let refusals: Vec<String> = self
            .refusals
            .iter()
            .map(|(code, n)| format!("{code}={n}"))
            .collect();
        format!(
            "acknowledged {}, lost {}, doubled {}, unacknowledged {}, gapped cases {}, resent {}, answered as duplicate {}, failed attempts {} [{}]",
            self.acknowledged,
            self.lost,
            self.doubled,
            self.unacknowledged,
            self.gapped_cases,
            self.resent,
            self.answered_as_duplicate,
            self.failed_attempts,
            refusals.join(" ")
        )
    }
}

/// Reads every writer's case back from the database (a fresh pool: only what is committed).
pub async fn tally(database_url: &str, logs: &[WriterLog]) -> anyhow::Result<Tally> {
    let store = Store::connect(database_url).await?;
    let mut tally = Tally::default();
    for log in logs {
        tally.acknowledged += log.acknowledged.len();
        tally.resent += log.resent;
        tally.failed_attempts += log.failed_attempts;
        tally.answered_as_duplicate += log.acknowledged.iter().filter(|a| a.duplicate).count();
        for (code, n) in &log.refusals {
            *tally.refusals.entry(code.clone()).or_default() += n;
        }
        let case_id = CaseId(Uuid::parse_str(&log.case_id)?);
        let events = store.case_events(case_id).await?;
        let case = store.case(case_id).await?.context("the writer's case")?;
        let sequences: Vec<i64> = events.iter().map(|e| e.sequence).collect();
        let expected: Vec<i64> = (1..=case.version).collect();
        if sequences != expected {
            tally.gapped_cases += 1;
        }
        let mut reviews_by_command: HashMap<Uuid, usize> = HashMap::new();
        for event in events.iter().filter(|e| e.event.kind() == "ReviewHeld") {
            *reviews_by_command.entry(event.command_id).or_default() += 1;
        }
        tally.doubled += reviews_by_command.values().filter(|n| **n > 1).count();
        let mut told = std::collections::HashSet::new();
        for ack in &log.acknowledged {
            told.insert(ack.command_id);
            if !reviews_by_command.contains_key(&ack.command_id) {
                tally.lost += 1;
            }
        }
        tally.unacknowledged += reviews_by_command
            .keys()
            .filter(|id| !told.contains(*id))
            .count();
    }
    Ok(tally)
}
