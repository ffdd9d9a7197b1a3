//! Escalation sweeps and the relay of notifications to this process's subscribers.
//!
//! Every server process sweeps: it records, for each deadline that has reached a level on
//! the engine's today, the notification of that level, in batches, until nothing is left.
//! The store makes each notification unique, so processes may sweep at the same time.
//! A notification may be recorded by any process, so each process relays to its own
//! subscribers what it reads back from the database, not what it recorded itself.

use crate::{Engine, EngineError};
use chrono::{DateTime, Utc};
use permanence_store::{EscalationCounts, NotificationRecord, SweepBatch};
use std::collections::BTreeSet;
use tokio::sync::broadcast;

/// Deadlines claimed per level in one transaction: short transactions keep case commands
/// (which rewrite a case's deadlines) from waiting on a sweep.
const SWEEP_BATCH: u64 = 200;
/// A bound on batches per sweep, so that a fault cannot spin a process for ever.
const MAX_BATCHES: usize = 100_000;
/// Notifications read per relay poll.
const RELAY_PAGE: u64 = 500;
/// How far behind its high-water mark the relay looks again. On PostgreSQL a sequence number
/// is taken when a row is inserted but seen only when its transaction commits, so a lower
/// number can appear after a higher one: this much overlap catches those late rows.
const RELAY_OVERLAP: i64 = 500;

impl Engine {
    /// Records every notification due on the engine's today. With `webhook_from`, each new
    /// notification is queued for the webhook from that (wall-clock) time.
    pub async fn escalate(
        &self,
        webhook_from: Option<DateTime<Utc>>,
    ) -> Result<EscalationCounts, EngineError> {
        let settings = self.timescales().escalation;
        let mut total = EscalationCounts::default();
        for _ in 0..MAX_BATCHES {
            let batch = SweepBatch {
                today: self.today(),
                raised_at: self.now(),
                webhook_from,
                limit: SWEEP_BATCH,
            };
            let (counts, claimed) = self
                .store()
                .record_escalations(&settings, batch)
                .await
                .map_err(EngineError::from_store)?;
            total.due_soon += counts.due_soon;
            total.overdue += counts.overdue;
            total.long_overdue += counts.long_overdue;
            if claimed == 0 {
                break;
            }
        }
        Ok(total)
    }

    /// Notifications as they are recorded, by any process (see [`NotificationRelay`]).
    pub fn subscribe_notifications(&self) -> broadcast::Receiver<NotificationRecord> {
        self.notifications.subscribe()
    }

    /// Starts relaying notifications recorded from now on.
    pub async fn notification_relay(&self) -> Result<NotificationRelay, EngineError> {
        let from = self
            .store()
            .last_notification_sequence()
            .await
            .map_err(EngineError::from_store)?;
        Ok(NotificationRelay {
            engine: self.clone(),
            high_water: from,
            floor: from,
            sent: BTreeSet::new(),
        })
    }
}

/// Reads notifications recorded since it last looked and passes each on once to this
/// process's subscribers.
pub struct NotificationRelay {
    engine: Engine,
    /// The highest sequence passed on (or seen at start).
    high_water: i64,
    /// Nothing at or below this is passed on: it was seen at start, or fell out of the window.
    floor: i64,
    /// Sequences passed on within the overlap window.
    sent: BTreeSet<i64>,
}

impl std::fmt::Debug for NotificationRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotificationRelay")
            .field("high_water", &self.high_water)
            .finish()
    }
}

impl NotificationRelay {
    /// Passes on what is new; returns how many were passed on.
    pub async fn poll(&mut self) -> Result<usize, EngineError> {
        let mut passed_on = 0;
        let mut from = self.floor.max(self.high_water - RELAY_OVERLAP);
        loop {
            let page = self
                .engine
                .store()
                .notifications_after(from, RELAY_PAGE)
                .await
                .map_err(EngineError::from_store)?;
            let full = page.len() as u64 == RELAY_PAGE;
            for note in page {
                from = note.sequence;
                if note.sequence <= self.floor || !self.sent.insert(note.sequence) {
                    continue;
                }
                self.high_water = self.high_water.max(note.sequence);
                passed_on += 1;
                // No subscriber is not an error: the notification is stored either way.
                let _ = self.engine.notifications.send(note);
            }
            if !full {
                break;
            }
        }
        self.floor = self.floor.max(self.high_water - RELAY_OVERLAP);
        self.sent = self.sent.split_off(&(self.floor + 1));
        Ok(passed_on)
    }
}
