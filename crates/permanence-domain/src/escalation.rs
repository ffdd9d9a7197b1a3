//! Escalation: who is told about a deadline, and when.
//!
//! A deadline that nears its due date is the allocated worker's to act on; once it has passed,
//! their team manager is told; once it has been overdue for long, the head of service. Each
//! tier is told once per deadline (the store guarantees that). The thresholds are an
//! authority's settings, read with the timescales. A deadline not known from the return (see
//! `crate::deadlines`) has no due date, so it reaches no level and no one is told.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

/// How far a deadline has gone, in the order it gets there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EscalationLevel {
    /// Due within the worker's notice period, and not yet past.
    DueSoon,
    /// Past its due date by the team manager's threshold.
    Overdue,
    /// Past its due date by the head of service's threshold.
    LongOverdue,
}

/// Whom a level is addressed to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EscalationTier {
    AllocatedWorker,
    TeamManager,
    HeadOfService,
}

impl EscalationLevel {
    pub const ALL: [EscalationLevel; 3] = [
        EscalationLevel::DueSoon,
        EscalationLevel::Overdue,
        EscalationLevel::LongOverdue,
    ];

    pub fn tier(self) -> EscalationTier {
        match self {
            EscalationLevel::DueSoon => EscalationTier::AllocatedWorker,
            EscalationLevel::Overdue => EscalationTier::TeamManager,
            EscalationLevel::LongOverdue => EscalationTier::HeadOfService,
        }
    }

    /// The stored form.
    pub fn key(self) -> &'static str {
        match self {
            EscalationLevel::DueSoon => "due_soon",
            EscalationLevel::Overdue => "overdue",
            EscalationLevel::LongOverdue => "long_overdue",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|level| level.key() == key)
    }
}

/// When each tier is told. Read from the `[escalation]` table of the timescales file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EscalationSettings {
    /// The allocated worker is told this many days before the due date; 0 turns the tier off.
    pub worker_days_before_due: u32,
    /// The team manager is told once a deadline is this many days overdue (1: the day after
    /// it was due).
    pub team_manager_days_overdue: u32,
    /// The head of service is told once a deadline is this many days overdue; 0 turns the
    /// tier off.
    pub head_of_service_days_overdue: u32,
}

impl Default for EscalationSettings {
    fn default() -> Self {
        Self {
            worker_days_before_due: 7,
            team_manager_days_overdue: 1,
            head_of_service_days_overdue: 15,
        }
    }
}

/// Longest threshold accepted: a year.
const MAX_THRESHOLD_DAYS: u32 = 366;

impl EscalationSettings {
    /// Names the first setting no authority could mean.
    pub fn validate(&self) -> Result<(), String> {
        if self.worker_days_before_due > MAX_THRESHOLD_DAYS {
            return Err(format!(
                "escalation.worker_days_before_due must be at most {MAX_THRESHOLD_DAYS}"
            ));
        }
        if !(1..=MAX_THRESHOLD_DAYS).contains(&self.team_manager_days_overdue) {
            return Err(format!(
                "escalation.team_manager_days_overdue must be between 1 and {MAX_THRESHOLD_DAYS}"
            ));
        }
        let head = self.head_of_service_days_overdue;
        if head != 0 && (head <= self.team_manager_days_overdue || head > MAX_THRESHOLD_DAYS) {
            return Err(format!(
                "escalation.head_of_service_days_overdue must be 0 (off) or more than \
                 team_manager_days_overdue and at most {MAX_THRESHOLD_DAYS}"
            ));
        }
        Ok(())
    }

    /// The due dates at which `level` is reached on `today`, as an inclusive range
    /// (`None` at the start: no lower bound); `None` when the tier is off. The store selects
    /// deadlines with this, so it must agree with [`EscalationSettings::levels_reached`].
    pub fn due_dates_reaching(
        &self,
        level: EscalationLevel,
        today: NaiveDate,
    ) -> Option<(Option<NaiveDate>, NaiveDate)> {
        match level {
            EscalationLevel::DueSoon => (self.worker_days_before_due > 0).then(|| {
                let last = today
                    .checked_add_days(Days::new(self.worker_days_before_due.into()))
                    .unwrap_or(NaiveDate::MAX);
                (Some(today), last)
            }),
            EscalationLevel::Overdue => days_before(today, self.team_manager_days_overdue),
            EscalationLevel::LongOverdue => (self.head_of_service_days_overdue > 0)
                .then(|| days_before(today, self.head_of_service_days_overdue))
                .flatten(),
        }
    }

    /// The levels `deadline` has reached on `today`: none for a deadline not known from the
    /// return, which has no due date to reach them by (the store's selection leaves those
    /// out too).
    pub fn levels_reached_by(
        &self,
        deadline: &crate::Deadline,
        today: NaiveDate,
    ) -> Vec<EscalationLevel> {
        deadline
            .known_due_on()
            .map_or_else(Vec::new, |due_on| self.levels_reached(due_on, today))
    }

    /// The levels a deadline due on `due_on` has reached on `today`. A deadline first seen
    /// already overdue is not announced as due soon: the worker's notice would be out of date.
    pub fn levels_reached(&self, due_on: NaiveDate, today: NaiveDate) -> Vec<EscalationLevel> {
        EscalationLevel::ALL
            .into_iter()
            .filter(|level| {
                self.due_dates_reaching(*level, today)
                    .is_some_and(|(from, to)| from.is_none_or(|f| f <= due_on) && due_on <= to)
            })
            .collect()
    }
}

/// Due dates at least `days` before today.
fn days_before(today: NaiveDate, days: u32) -> Option<(Option<NaiveDate>, NaiveDate)> {
    today
        .checked_sub_days(Days::new(days.into()))
        .map(|last| (None, last))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or(NaiveDate::MIN)
    }

    #[test]
    fn each_tier_in_turn() {
        let s = EscalationSettings::default();
        let due = d(2026, 3, 20);
        assert!(s.levels_reached(due, d(2026, 3, 12)).is_empty());
        assert_eq!(
            s.levels_reached(due, d(2026, 3, 13)),
            [EscalationLevel::DueSoon]
        );
        assert_eq!(s.levels_reached(due, due), [EscalationLevel::DueSoon]);
        assert_eq!(
            s.levels_reached(due, d(2026, 3, 21)),
            [EscalationLevel::Overdue]
        );
        assert_eq!(
            s.levels_reached(due, d(2026, 4, 3)),
            [EscalationLevel::Overdue]
        );
        assert_eq!(
            s.levels_reached(due, d(2026, 4, 4)),
            [EscalationLevel::Overdue, EscalationLevel::LongOverdue]
        );
    }

    #[test]
    fn tiers_turned_off() {
        let s = EscalationSettings {
            worker_days_before_due: 0,
            team_manager_days_overdue: 3,
            head_of_service_days_overdue: 0,
        };
        let due = d(2026, 3, 20);
        assert!(s.levels_reached(due, due).is_empty());
        assert!(s.levels_reached(due, d(2026, 3, 22)).is_empty());
        assert_eq!(
            s.levels_reached(due, d(2026, 9, 1)),
            [EscalationLevel::Overdue]
        );
    }

    #[test]
    fn settings_no_one_could_mean_are_refused() {
        let ok = EscalationSettings::default();
        assert!(ok.validate().is_ok());
        let zero_manager = EscalationSettings {
            team_manager_days_overdue: 0,
            ..ok
        };
        assert!(
            zero_manager
                .validate()
                .is_err_and(|e| e.contains("team_manager_days_overdue"))
        );
        let head_before_manager = EscalationSettings {
            team_manager_days_overdue: 10,
            head_of_service_days_overdue: 5,
            ..ok
        };
        assert!(
            head_before_manager
                .validate()
                .is_err_and(|e| e.contains("head_of_service_days_overdue"))
        );
    }

    proptest::proptest! {
        /// The ranges the store selects with agree with the tiers as the issue states them.
        #[test]
        fn levels_follow_the_stated_rules(
            due_offset in -400i64..400,
            worker in 0u32..30,
            manager in 1u32..30,
            head_extra in 0u32..60,
        ) {
            let head = if head_extra == 0 { 0 } else { manager + head_extra };
            let s = EscalationSettings {
                worker_days_before_due: worker,
                team_manager_days_overdue: manager,
                head_of_service_days_overdue: head,
            };
            let today = d(2026, 6, 1);
            let due = today + chrono::Duration::days(due_offset);
            let overdue_by = -due_offset;
            let mut stated = Vec::new();
            if worker > 0 && (0..=i64::from(worker)).contains(&due_offset) {
                stated.push(EscalationLevel::DueSoon);
            }
            if overdue_by >= i64::from(manager) {
                stated.push(EscalationLevel::Overdue);
            }
            if head > 0 && overdue_by >= i64::from(head) {
                stated.push(EscalationLevel::LongOverdue);
            }
            proptest::prop_assert_eq!(s.levels_reached(due, today), stated);
        }
    }

    #[test]
    fn level_keys_round_trip() {
        for level in EscalationLevel::ALL {
            assert_eq!(EscalationLevel::from_key(level.key()), Some(level));
        }
        assert_eq!(EscalationLevel::from_key("urgent"), None);
    }
}
