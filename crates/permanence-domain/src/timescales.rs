//! Timescales: the law's fixed ones and the settings an authority may change.
//!
//! DOMAIN.md separates what is law from what is guidance or local practice. Settings carry
//! the national defaults and can be overridden from a TOML file (`--timescales FILE`); the
//! law's timescales are constants, because no authority may lengthen them.

use crate::calendar;
use chrono::{Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// A length of time, in the unit the rule is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Period {
    WorkingDays(u32),
    Days(u32),
    Weeks(u32),
    Months(u32),
    /// Weeks counted from and including the start: the law's "a period of 26 weeks
    /// beginning with the day on which the application was issued" ends on the day before
    /// the same weekday 26 weeks on (issue + 181 days).
    WeeksBeginningWith(u32),
}

impl Period {
    /// The date this period after `start`. A month-end start is clamped to the shorter
    /// month's last day (31 Jan + 1 month is 28 or 29 Feb), as a due date must not overshoot.
    pub fn after(self, start: NaiveDate) -> NaiveDate {
        let far_future = NaiveDate::MAX;
        match self {
            Period::WorkingDays(n) => calendar::add_working_days(start, n),
            Period::Days(n) => start
                .checked_add_days(Days::new(n.into()))
                .unwrap_or(far_future),
            Period::Weeks(n) => start
                .checked_add_days(Days::new(u64::from(n) * 7))
                .unwrap_or(far_future),
            Period::WeeksBeginningWith(n) => start
                .checked_add_days(Days::new((u64::from(n) * 7).saturating_sub(1)))
                .unwrap_or(far_future),
            Period::Months(n) => start
                .checked_add_months(Months::new(n))
                .unwrap_or(far_future),
        }
    }

    /// How the period reads in a sentence ("7 working days").
    pub fn describe(self) -> String {
        let (n, unit) = match self {
            Period::WorkingDays(n) => (n, "working day"),
            Period::Days(n) => (n, "day"),
            Period::Weeks(n) => (n, "week"),
            Period::Months(n) => (n, "month"),
            Period::WeeksBeginningWith(n) => {
                return format!("{} beginning with that day", Period::Weeks(n).describe());
            }
        };
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    }
}

/// Where a timescale comes from: it decides whether an authority may change it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Basis {
    Law,
    Guidance,
    LocalSetting,
}

/// The first statutory review: within 20 working days of entering care (CPPCR reg 33).
pub const FIRST_REVIEW: Period = Period::WorkingDays(20);
/// The second review: within 3 months of the first (CPPCR reg 33).
pub const SECOND_REVIEW: Period = Period::Months(3);
/// Later reviews: within 6 months of the previous one (CPPCR reg 33).
pub const LATER_REVIEW: Period = Period::Months(6);
/// Care proceedings must finish within 26 weeks beginning with the day of issue (CA 1989
/// s32(1)(a)(ii)).
pub const PROCEEDINGS: Period = Period::WeeksBeginningWith(26);
/// No extension of care proceedings may exceed 8 weeks (CA 1989 s32(8)).
pub const MAX_EXTENSION_WEEKS: u32 = 8;
/// The social worker visits the child within a week of any placement starting (CPPCR 2010
/// reg 28).
pub const FIRST_VISIT: Period = Period::Weeks(1);
/// In a placement's first year, visits at intervals of not more than six weeks; after it,
/// six weeks too unless the placement is long-term (CPPCR 2010 reg 28).
pub const VISIT_INTERVAL: Period = Period::Weeks(6);
/// After a long-term placement's first year (one meant to last until the child is 18),
/// visits at intervals of not more than three months (CPPCR 2010 reg 28).
pub const LONG_TERM_VISIT_INTERVAL: Period = Period::Months(3);
/// The first year of a placement, over which visits are six-weekly whatever the placement.
pub const VISIT_FIRST_YEAR: Period = Period::Months(12);
/// Adopters may not apply before the child has lived with them for 10 weeks (ACA 2002 s42).
pub const ADOPTION_APPLICATION_RESIDENCE: Period = Period::Weeks(10);

/// The timescales an authority may set. Every field has the default DOMAIN.md gives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Timescales {
    /// Days before a due date at which a deadline is shown as due soon.
    pub due_soon_days: u32,
    /// Agency decision maker's decision after a panel recommendation.
    pub adm_decision_working_days: u32,
    /// An adoption plan reaches the agency decision maker within this many months.
    pub case_to_adm_months: u32,
    /// Match within this many days of the placement order (the A2 threshold).
    pub match_after_placement_order_days: u32,
    /// The child moves in within this many days of the match decision.
    pub placement_after_match_days: u32,
    /// A long-term foster match is confirmed within this many days of the panel recommendation.
    pub long_term_match_confirmed_days: u32,
    /// A special guardianship order is made within this many days of the plan being endorsed.
    pub special_guardianship_order_days: u32,
    /// A return home happens within this many days of its approval.
    pub return_home_after_approval_days: u32,
    /// A long-term foster match is approved within this many months of the plan for
    /// long-term fostering: the drift before panel that the panel's own deadlines miss.
    pub long_term_match_after_plan_months: u32,
    /// The assessment of the parent (CPPCR reg 17) is done within this many weeks of the
    /// reunification plan.
    pub parent_assessment_after_plan_weeks: u32,
    /// The child is placed back with the parent within this many months of the
    /// reunification plan.
    pub return_home_after_plan_months: u32,
    /// Pre-proceedings end (step down or issue) within this many weeks.
    pub pre_proceedings_weeks: u32,
    /// The case management hearing is held within this many days of issue.
    pub case_management_hearing_days: u32,
    /// Review health assessments for a child under five: every this many months.
    pub health_review_months_under_five: u32,
    /// Review health assessments from age five: every this many months.
    pub health_review_months_from_five: u32,
    /// When the allocated worker, the team manager and the head of service are told about a
    /// deadline (the `[escalation]` table).
    pub escalation: crate::escalation::EscalationSettings,
}

impl Default for Timescales {
    fn default() -> Self {
        Self {
            due_soon_days: 7,
            adm_decision_working_days: 7,
            case_to_adm_months: 2,
            match_after_placement_order_days: 121,
            placement_after_match_days: 28,
            long_term_match_confirmed_days: 56,
            special_guardianship_order_days: 182,
            return_home_after_approval_days: 28,
            // No law or national guidance sets the time from a plan to the match or the
            // return home (DOMAIN.md §3.3, §3.4), so these three are local practice. Six
            // months is the interval between later statutory reviews (CPPCR reg 33): a plan
            // endorsed at one review has its match approved, or the child back home, by the
            // next. Twelve weeks for the assessment of the parent is the length courts
            // commonly direct for a parenting assessment within the 26-week proceedings,
            // leaving time for approval and the move home before the next review.
            long_term_match_after_plan_months: 6,
            parent_assessment_after_plan_weeks: 12,
            return_home_after_plan_months: 6,
            pre_proceedings_weeks: 16,
            case_management_hearing_days: 18,
            health_review_months_under_five: 6,
            health_review_months_from_five: 12,
            escalation: crate::escalation::EscalationSettings::default(),
        }
    }
}

/// The named settings a route's deadline rule can refer to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Setting {
    AdmDecision,
    CaseToAdm,
    MatchAfterPlacementOrder,
    PlacementAfterMatch,
    LongTermMatchConfirmed,
    SpecialGuardianshipOrder,
    ReturnHomeAfterApproval,
    LongTermMatchAfterPlan,
    ParentAssessmentAfterPlan,
    ReturnHomeAfterPlan,
}

impl Timescales {
    /// Parses a TOML settings file; unknown keys are refused so that a typo is not silently ignored.
    pub fn from_toml(text: &str) -> Result<Self, crate::DomainError> {
        let parsed: Self = toml::from_str(text).map_err(|e| {
            crate::DomainError::InvalidDefinition(format!("timescales file: {}", e.message()))
        })?;
        parsed.validate()?;
        Ok(parsed)
    }

    /// Refuses settings no authority could mean: a zero-length timescale makes every case overdue.
    pub fn validate(&self) -> Result<(), crate::DomainError> {
        let fields = [
            ("adm_decision_working_days", self.adm_decision_working_days),
            ("case_to_adm_months", self.case_to_adm_months),
            (
                "match_after_placement_order_days",
                self.match_after_placement_order_days,
            ),
            (
                "placement_after_match_days",
                self.placement_after_match_days,
            ),
            (
                "long_term_match_confirmed_days",
                self.long_term_match_confirmed_days,
            ),
            (
                "special_guardianship_order_days",
                self.special_guardianship_order_days,
            ),
            (
                "return_home_after_approval_days",
                self.return_home_after_approval_days,
            ),
            (
                "long_term_match_after_plan_months",
                self.long_term_match_after_plan_months,
            ),
            (
                "parent_assessment_after_plan_weeks",
                self.parent_assessment_after_plan_weeks,
            ),
            (
                "return_home_after_plan_months",
                self.return_home_after_plan_months,
            ),
            ("pre_proceedings_weeks", self.pre_proceedings_weeks),
            (
                "case_management_hearing_days",
                self.case_management_hearing_days,
            ),
            (
                "health_review_months_under_five",
                self.health_review_months_under_five,
            ),
            (
                "health_review_months_from_five",
                self.health_review_months_from_five,
            ),
        ];
        for (name, value) in fields {
            if value == 0 || value > 3650 {
                return Err(crate::DomainError::InvalidDefinition(format!(
                    "timescales file: {name} must be between 1 and 3650"
                )));
            }
        }
        self.escalation
            .validate()
            .map_err(|e| crate::DomainError::InvalidDefinition(format!("timescales file: {e}")))
    }

    /// The period a named setting stands for.
    pub fn period(&self, setting: Setting) -> Period {
        match setting {
            Setting::AdmDecision => Period::WorkingDays(self.adm_decision_working_days),
            Setting::CaseToAdm => Period::Months(self.case_to_adm_months),
            Setting::MatchAfterPlacementOrder => {
                Period::Days(self.match_after_placement_order_days)
            }
            Setting::PlacementAfterMatch => Period::Days(self.placement_after_match_days),
            Setting::LongTermMatchConfirmed => Period::Days(self.long_term_match_confirmed_days),
            Setting::SpecialGuardianshipOrder => Period::Days(self.special_guardianship_order_days),
            Setting::ReturnHomeAfterApproval => Period::Days(self.return_home_after_approval_days),
            Setting::LongTermMatchAfterPlan => {
                Period::Months(self.long_term_match_after_plan_months)
            }
            Setting::ParentAssessmentAfterPlan => {
                Period::Weeks(self.parent_assessment_after_plan_weeks)
            }
            Setting::ReturnHomeAfterPlan => Period::Months(self.return_home_after_plan_months),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    #[test]
    fn toml_overrides_only_what_it_names() {
        let t = Timescales::from_toml("placement_after_match_days = 42\n").expect("parses");
        assert_eq!(t.placement_after_match_days, 42);
        assert_eq!(t.adm_decision_working_days, 7);
    }

    #[test]
    fn escalation_thresholds_are_a_table_of_their_own() {
        let t = Timescales::from_toml("[escalation]\nhead_of_service_days_overdue = 30\n")
            .expect("parses");
        assert_eq!(t.escalation.head_of_service_days_overdue, 30);
        assert_eq!(t.escalation.team_manager_days_overdue, 1);
        assert!(Timescales::from_toml("[escalation]\nteam_manager_days_overdue = 0\n").is_err());
        assert!(Timescales::from_toml("[escalation]\nmanager_days = 3\n").is_err());
    }

    #[test]
    fn toml_refuses_unknown_keys_and_zero() {
        assert!(Timescales::from_toml("placement_after_match = 42\n").is_err());
        assert!(Timescales::from_toml("adm_decision_working_days = 0\n").is_err());
    }

    #[test]
    fn the_timescales_before_panel_load_and_name_the_field_they_refuse() {
        let t = Timescales::from_toml(
            "long_term_match_after_plan_months = 4\nparent_assessment_after_plan_weeks = 10\nreturn_home_after_plan_months = 9\n",
        )
        .expect("parses");
        assert_eq!(t.period(Setting::LongTermMatchAfterPlan), Period::Months(4));
        assert_eq!(
            t.period(Setting::ParentAssessmentAfterPlan),
            Period::Weeks(10)
        );
        assert_eq!(t.period(Setting::ReturnHomeAfterPlan), Period::Months(9));
        for field in [
            "long_term_match_after_plan_months",
            "parent_assessment_after_plan_weeks",
            "return_home_after_plan_months",
        ] {
            let err = Timescales::from_toml(&format!("{field} = 0\n")).expect_err("zero refused");
            assert!(err.to_string().contains(field), "{err}");
        }
    }

    #[test]
    fn months_clamp_to_month_end() {
        assert_eq!(
            Period::Months(1).after(date(2024, 1, 31)),
            date(2024, 2, 29)
        );
        assert_eq!(Period::Weeks(26).after(date(2024, 1, 1)), date(2024, 7, 1));
        // 26 weeks beginning with 1 January end on 30 June: 182 days counting the first.
        assert_eq!(
            Period::WeeksBeginningWith(26).after(date(2024, 1, 1)),
            date(2024, 6, 30)
        );
        assert_eq!(
            Period::WeeksBeginningWith(26).describe(),
            "26 weeks beginning with that day"
        );
        assert_eq!(Period::WorkingDays(7).describe(), "7 working days");
    }
}
