//! The figures the dashboard shows, each read from the engine's timeliness report (never
//! worked out again here): what it is called, its unit, its value for a report, and the
//! cases behind it.

use crate::charts::Scale;
use permanence_auth::Action;
use permanence_domain::CaseId;
use permanence_domain::measures::{CaseValue, GroupBy, ShareCase, TimelinessReport};

/// A figure of the dashboard, named in links by its key (`a2`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Figure {
    A1,
    A2,
    A10,
    A3,
    /// Children with a decision that they should be placed for adoption, not yet placed, on
    /// the window's last day (A9).
    Waiting,
    /// Reviews held on or before their due date.
    Reviews,
    /// Health assessments held on or before their due date.
    HealthAssessments,
    /// The social worker's statutory visits held on or before their due date.
    Visits,
}

/// How a figure reads: mean days, a percentage or a count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Days,
    Share,
    Count,
}

impl Figure {
    pub const ALL: [Figure; 8] = [
        Figure::A1,
        Figure::A2,
        Figure::A10,
        Figure::A3,
        Figure::Waiting,
        Figure::Reviews,
        Figure::HealthAssessments,
        Figure::Visits,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Figure::A1 => "a1",
            Figure::A2 => "a2",
            Figure::A10 => "a10",
            Figure::A3 => "a3",
            Figure::Waiting => "waiting",
            Figure::Reviews => "reviews",
            Figure::HealthAssessments => "health-assessments",
            Figure::Visits => "visits",
        }
    }

    pub fn from_key(key: &str) -> Option<Figure> {
        Self::ALL.into_iter().find(|f| f.key() == key)
    }

    /// The measure's name in the adoption scorecard, as the reference file names it.
    pub fn scorecard(self) -> Option<&'static str> {
        match self {
            Figure::A1 => Some("A1"),
            Figure::A2 => Some("A2"),
            Figure::A10 => Some("A10"),
            Figure::A3 => Some("A3"),
            Figure::Waiting => Some("A9"),
            Figure::Reviews | Figure::HealthAssessments | Figure::Visits => None,
        }
    }

    /// A short name: a tile's heading, a breakdown's link.
    pub fn name(self) -> &'static str {
        match self {
            Figure::A1 => "A1: entering care to moving in",
            Figure::A2 => "A2: placement order to match",
            Figure::A10 => "A10: entering care to moving in, foster carers' start",
            Figure::A3 => "A3: moved in less than 14 months after entering care",
            Figure::Waiting => "Children waiting for adoption",
            Figure::Reviews => "Reviews on time",
            Figure::HealthAssessments => "Health assessments on time",
            Figure::Visits => "Visits on time",
        }
    }

    /// What it counts, in a sentence.
    pub fn description(self) -> &'static str {
        match self {
            Figure::A1 => {
                "Days from entering care to moving in with the adoptive family, for children adopted in the period."
            }
            Figure::A2 => {
                "Days from the placement order to the match decision (0 when matched before the order), for children adopted in the period."
            }
            Figure::A10 => {
                "As A1, but for children adopted by their foster carers, to the day they moved in with them as foster carers."
            }
            Figure::A3 => {
                "Children adopted in the period who moved in with their adoptive family less than 14 months after entering care."
            }
            Figure::Waiting => {
                "Children with a decision that they should be placed for adoption, not yet placed, on the last day of the period."
            }
            Figure::Reviews => "Reviews held in the period on or before the day they were due.",
            Figure::HealthAssessments => {
                "Health assessments held in the period on or before the day they were due: the initial one by the first review, then every 6 months under five and every 12 months from five."
            }
            Figure::Visits => {
                "The social worker's visits due in the period, held on or before the day they were due: within a week of a placement starting, then at most every 6 weeks, every 3 months after the first year of a long-term foster placement; a visit not held before the placement ended counts as missed."
            }
        }
    }

    pub fn kind(self) -> Kind {
        match self {
            Figure::A1 | Figure::A2 | Figure::A10 => Kind::Days,
            Figure::A3 | Figure::Reviews | Figure::HealthAssessments | Figure::Visits => {
                Kind::Share
            }
            Figure::Waiting => Kind::Count,
        }
    }

    pub fn scale(self) -> Scale {
        match self.kind() {
            Kind::Days => Scale::Days,
            Kind::Share => Scale::Percent,
            Kind::Count => Scale::Children,
        }
    }

    /// The action the policy must allow for the figure (and the audit names).
    pub fn action(self) -> Action {
        match self {
            Figure::Waiting => Action::ReadChildrenWaiting,
            _ => Action::ReadTimeliness,
        }
    }

    /// What the value axis of its charts says, with the unit.
    pub fn axis(self) -> &'static str {
        match self {
            Figure::A1 | Figure::A2 | Figure::A10 => "Mean days",
            Figure::A3 => "Percent in less than 14 months",
            Figure::Waiting => "Children waiting",
            Figure::Reviews | Figure::HealthAssessments | Figure::Visits => "Percent on time",
        }
    }

    /// What the days of a case behind it are.
    pub fn days_heading(self) -> &'static str {
        match self {
            Figure::A1 | Figure::A3 => "Days from entering care to moving in",
            Figure::A2 => "Days from placement order to match",
            Figure::A10 => "Days to moving in (from foster carers' start)",
            Figure::Waiting => "Days since the decision",
            Figure::Reviews | Figure::HealthAssessments | Figure::Visits => {
                "Days late (0 or less is on time)"
            }
        }
    }

    /// The figure of a report: mean days, a percentage or a count (none when nothing was
    /// counted for a mean or a share).
    pub fn value(self, report: &TimelinessReport) -> Option<f64> {
        match self {
            Figure::A1 => report.a1.summary.mean_days,
            Figure::A2 => report.a2.summary.mean_days,
            Figure::A10 => report.a10.summary.mean_days,
            Figure::A3 => report.a3.percent,
            Figure::Waiting => Some(report.waiting_at_end.with_decision.count as f64),
            Figure::Reviews => report.reviews_on_time.percent,
            Figure::HealthAssessments => report.health_assessments_on_time.percent,
            Figure::Visits => report.visits_on_time.percent,
        }
    }

    /// The middle value of a figure in days.
    pub fn median(self, report: &TimelinessReport) -> Option<f64> {
        match self {
            Figure::A1 => report.a1.summary.median_days,
            Figure::A2 => report.a2.summary.median_days,
            Figure::A10 => report.a10.summary.median_days,
            _ => None,
        }
    }

    /// What the figure counts, one and many: "child" and "children", "review" and "reviews".
    pub fn counted_noun(self) -> (&'static str, &'static str) {
        match self {
            Figure::Reviews => ("review", "reviews"),
            Figure::HealthAssessments => ("health assessment", "health assessments"),
            Figure::Visits => ("visit", "visits"),
            _ => ("child", "children"),
        }
    }

    /// What the figure counts, as a column heads it ("Children", "Reviews").
    pub fn counted_heading(self) -> &'static str {
        match self {
            Figure::Reviews => "Reviews",
            Figure::HealthAssessments => "Health assessments",
            Figure::Visits => "Visits",
            _ => "Children",
        }
    }

    /// How many children (or reviews, or health assessments) the figure counted.
    pub fn counted(self, report: &TimelinessReport) -> usize {
        match self {
            Figure::A1 => report.a1.summary.children,
            Figure::A2 => report.a2.summary.children,
            Figure::A10 => report.a10.summary.children,
            Figure::A3 => report.a3.denominator,
            Figure::Waiting => report.waiting_at_end.with_decision.count,
            Figure::Reviews => report.reviews_on_time.denominator,
            Figure::HealthAssessments => report.health_assessments_on_time.denominator,
            Figure::Visits => report.visits_on_time.denominator,
        }
    }

    /// How many met the standard, for a share.
    pub fn met(self, report: &TimelinessReport) -> Option<usize> {
        match self {
            Figure::A3 => Some(report.a3.numerator),
            Figure::Reviews => Some(report.reviews_on_time.numerator),
            Figure::HealthAssessments => Some(report.health_assessments_on_time.numerator),
            Figure::Visits => Some(report.visits_on_time.numerator),
            _ => None,
        }
    }

    /// The cases behind the figure, as the report lists them.
    pub fn cases(self, report: &TimelinessReport) -> Vec<CaseBehind> {
        let values = |list: &[CaseValue]| list.iter().map(CaseBehind::from_value).collect();
        let shares = |list: &[ShareCase]| list.iter().map(CaseBehind::from_share).collect();
        match self {
            Figure::A1 => values(&report.a1.cases),
            Figure::A2 => values(&report.a2.cases),
            Figure::A10 => values(&report.a10.cases),
            Figure::A3 => shares(&report.a3.cases),
            Figure::Waiting => values(&report.waiting_at_end.with_decision.cases),
            Figure::Reviews => shares(&report.reviews_on_time.cases),
            Figure::HealthAssessments => shares(&report.health_assessments_on_time.cases),
            Figure::Visits => shares(&report.visits_on_time.cases),
        }
    }
}

/// One case behind a figure: the child's reference and its days (and, in a share, whether
/// it met the standard). A case can be behind a figure more than once (one review each).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CaseBehind {
    pub case_id: CaseId,
    pub reference: String,
    pub days: Option<i64>,
    pub met: Option<bool>,
}

impl CaseBehind {
    fn from_value(c: &CaseValue) -> Self {
        Self {
            case_id: c.case_id,
            reference: c.child_reference.to_string(),
            days: Some(c.days),
            met: None,
        }
    }

    fn from_share(c: &ShareCase) -> Self {
        Self {
            case_id: c.case_id,
            reference: c.child_reference.to_string(),
            days: c.days,
            met: Some(c.met),
        }
    }
}

/// The breakdowns of the dashboard, named in links by their key (`age-band`).
pub(crate) const BREAKDOWNS: [(&str, &str, GroupBy); 5] = [
    ("team", "team", GroupBy::Team),
    ("route", "route", GroupBy::Route),
    ("age-band", "age at entering care", GroupBy::AgeBandAtEntry),
    ("sex", "sex", GroupBy::Sex),
    ("ethnicity", "ethnicity", GroupBy::Ethnicity),
];

pub(crate) fn breakdown(key: &str) -> Option<(&'static str, &'static str, GroupBy)> {
    BREAKDOWNS.iter().copied().find(|(k, _, _)| *k == key)
}

/// A group's name as a page shows it: "No team", "Adoption", "WBRI: White British".
pub(crate) fn group_label(by: GroupBy, group: &str) -> String {
    use permanence_domain::measures::NO_GROUP;
    match (by, group) {
        (GroupBy::Team, NO_GROUP) => "No team".to_owned(),
        (GroupBy::Route, NO_GROUP) => "No plan for permanence".to_owned(),
        (GroupBy::Ethnicity, code) => match ethnicity_label(code) {
            Some(label) => format!("{code}: {label}"),
            None => code.to_owned(),
        },
        (GroupBy::Team | GroupBy::LocalAuthority, name) => name.to_owned(),
        (_, name) => crate::format::capitalised(name),
    }
}

/// The national return's ethnicity categories (SSDA903 ETHNIC), in words.
fn ethnicity_label(code: &str) -> Option<&'static str> {
    Some(match code {
        "WBRI" => "White British",
        "WIRI" => "White Irish",
        "WIRT" => "Traveller of Irish heritage",
        "WOTH" => "Any other White background",
        "WROM" => "Gypsy or Roma",
        "MWBC" => "White and Black Caribbean",
        "MWBA" => "White and Black African",
        "MWAS" => "White and Asian",
        "MOTH" => "Any other mixed background",
        "AIND" => "Indian",
        "APKN" => "Pakistani",
        "ABAN" => "Bangladeshi",
        "AOTH" => "Any other Asian background",
        "BCRB" => "Caribbean",
        "BAFR" => "African",
        "BOTH" => "Any other Black background",
        "CHNE" => "Chinese",
        "OOTH" => "Any other ethnic group",
        "REFU" => "Refused",
        "NOBT" => "Information not yet obtained",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_figure_and_breakdown_is_found_by_its_key() {
        for figure in Figure::ALL {
            assert_eq!(Figure::from_key(figure.key()), Some(figure));
        }
        assert_eq!(Figure::from_key("A2"), None);
        for (key, _, by) in BREAKDOWNS {
            assert_eq!(breakdown(key).map(|b| b.2), Some(by));
        }
        assert_eq!(breakdown("authority"), None);
    }

    #[test]
    fn every_ethnicity_code_has_words() {
        for code in permanence_domain::child::ETHNICITY_CODES {
            assert!(ethnicity_label(code).is_some(), "{code}");
        }
        assert_eq!(
            group_label(GroupBy::Ethnicity, "WBRI"),
            "WBRI: White British"
        );
        assert_eq!(group_label(GroupBy::Team, "none"), "No team");
        assert_eq!(group_label(GroupBy::Route, "adoption"), "Adoption");
        assert_eq!(group_label(GroupBy::AgeBandAtEntry, "under 1"), "Under 1");
    }
}
