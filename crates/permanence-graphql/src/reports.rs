//! Timeliness for leaders: the national adoption measures and every route's timeliness, with
//! breakdowns and trends. Case lists name the case and the child's reference, never a name.

use crate::context::engine;
use crate::error::{ApiResult, validation};
use crate::scalars::Date;
use crate::types::RouteKind;
use async_graphql::{Context, Enum, Object, Result, SimpleObject};
use permanence_domain::measures::{self, GroupBy, Measure, Share, TimelinessReport, Waiting};
use permanence_engine::reports::{ReportData, check_window};
use uuid::Uuid;

/// How to break a report down.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimelinessGroupBy {
    LocalAuthority,
    Team,
    /// The route of the case's plan for permanence at the end of the window.
    Route,
    Sex,
    /// DfE bands of age at entering care: under 1, 1 to 4, 5 to 9, 10 to 15, 16 and over.
    AgeBandAtEntry,
    Ethnicity,
}

impl From<TimelinessGroupBy> for GroupBy {
    fn from(value: TimelinessGroupBy) -> Self {
        match value {
            TimelinessGroupBy::LocalAuthority => Self::LocalAuthority,
            TimelinessGroupBy::Team => Self::Team,
            TimelinessGroupBy::Route => Self::Route,
            TimelinessGroupBy::Sex => Self::Sex,
            TimelinessGroupBy::AgeBandAtEntry => Self::AgeBandAtEntry,
            TimelinessGroupBy::Ethnicity => Self::Ethnicity,
        }
    }
}

/// A case behind a figure: its id, the child's reference and its value in days.
#[derive(SimpleObject)]
pub struct MeasureCase {
    case_id: Uuid,
    child_reference: String,
    days: i64,
}

fn case_list(cases: &[measures::CaseValue]) -> Vec<MeasureCase> {
    cases
        .iter()
        .map(|c| MeasureCase {
            case_id: c.case_id.0,
            child_reference: c.child_reference.to_string(),
            days: c.days,
        })
        .collect()
}

/// A figure in days: how many children, and the distribution of their days.
pub struct MeasureNode(Measure);

#[Object(name = "DaysMeasure")]
impl MeasureNode {
    async fn children(&self) -> usize {
        self.0.summary.children
    }
    /// Rounded to one decimal place.
    async fn mean_days(&self) -> Option<f64> {
        self.0.summary.mean_days
    }
    /// The middle value (the mean of the two middle values for an even count).
    async fn median_days(&self) -> Option<f64> {
        self.0.summary.median_days
    }
    /// The 90th percentile, by linear interpolation between closest ranks.
    async fn p90_days(&self) -> Option<f64> {
        self.0.summary.p90_days
    }
    async fn min_days(&self) -> Option<i64> {
        self.0.summary.min_days
    }
    async fn max_days(&self) -> Option<i64> {
        self.0.summary.max_days
    }
    /// The cases behind the figure.
    async fn cases(&self) -> Vec<MeasureCase> {
        case_list(&self.0.cases)
    }
}

#[derive(SimpleObject)]
pub struct ShareCaseNode {
    case_id: Uuid,
    child_reference: String,
    days: Option<i64>,
    /// Whether this case met the standard.
    met: bool,
}

/// A share of cases that met a standard.
pub struct ShareNode(Share);

#[Object(name = "ShareMeasure")]
impl ShareNode {
    async fn met(&self) -> usize {
        self.0.numerator
    }
    async fn of(&self) -> usize {
        self.0.denominator
    }
    /// Rounded to one decimal place; absent when there is nothing to count.
    async fn percent(&self) -> Option<f64> {
        self.0.percent
    }
    async fn cases(&self) -> Vec<ShareCaseNode> {
        self.0
            .cases
            .iter()
            .map(|c| ShareCaseNode {
                case_id: c.case_id.0,
                child_reference: c.child_reference.to_string(),
                days: c.days,
                met: c.met,
            })
            .collect()
    }
}

#[derive(SimpleObject)]
pub struct WaitingNode {
    count: usize,
    /// The cases, with days waited.
    cases: Vec<MeasureCase>,
}

fn waiting(w: &Waiting) -> WaitingNode {
    WaitingNode {
        count: w.count,
        cases: case_list(&w.cases),
    }
}

/// Children waiting on a date (A9 and the placement-order figures).
#[derive(SimpleObject)]
pub struct ChildrenWaitingNode {
    on: Date,
    /// With a standing decision that they should be placed for adoption, not yet placed.
    with_decision: WaitingNode,
    /// With a placement order, not yet placed.
    with_placement_order: WaitingNode,
    placement_order_over_12_months: WaitingNode,
    placement_order_over_18_months: WaitingNode,
    /// With a placement order and more than 18 months since entering care.
    in_care_over_18_months: WaitingNode,
}

pub(crate) fn children_waiting_node(w: &measures::ChildrenWaiting) -> ChildrenWaitingNode {
    ChildrenWaitingNode {
        on: w.on.into(),
        with_decision: waiting(&w.with_decision),
        with_placement_order: waiting(&w.with_placement_order),
        placement_order_over_12_months: waiting(&w.placement_order_over_12_months),
        placement_order_over_18_months: waiting(&w.placement_order_over_18_months),
        in_care_over_18_months: waiting(&w.in_care_over_18_months),
    }
}

/// Days between two steps of a route.
#[derive(SimpleObject)]
pub struct StepDurationNode {
    route: RouteKind,
    from_step: String,
    to_step: String,
    measure: MeasureNode,
}

/// Days from a panel recommendation or decision to what should follow it.
#[derive(SimpleObject)]
pub struct FollowThroughNode {
    label: String,
    route: RouteKind,
    from_step: String,
    to_step: String,
    measure: MeasureNode,
}

/// Placement breakdowns (disruptions) on a route, or at one stage of it.
#[derive(SimpleObject)]
pub struct DisruptionNode {
    route: RouteKind,
    /// The step the plan was at when its placement broke down; null for the route's total.
    stage: Option<String>,
    /// The breakdowns dated in the window: days from the start of the placement to the breakdown.
    breakdowns: MeasureNode,
    /// Placements begun on the route in the window (the rate's denominator).
    placements: usize,
    /// Breakdowns per 100 placements begun in the window.
    percent: Option<f64>,
}

/// Timeliness over a window of dates.
pub struct ReportNode(TimelinessReport);

#[Object(name = "TimelinessReport")]
impl ReportNode {
    async fn from(&self) -> Date {
        self.0.from.into()
    }
    async fn to(&self) -> Date {
        self.0.to.into()
    }
    /// Children adopted in the window (E11, E12): days from entering care to adoption.
    async fn adoptions(&self) -> MeasureNode {
        MeasureNode(self.0.adoptions.clone())
    }
    /// A1: days from entering care to moving in with the adoptive family.
    async fn a1(&self) -> MeasureNode {
        MeasureNode(self.0.a1.clone())
    }
    /// A2: days from the placement order to the match decision (a match before the order counts 0).
    async fn a2(&self) -> MeasureNode {
        MeasureNode(self.0.a2.clone())
    }
    /// A10: as A1, but for children adopted by their foster carers, to moving in with them as foster carers.
    async fn a10(&self) -> MeasureNode {
        MeasureNode(self.0.a10.clone())
    }
    /// A3: percentage of A1's children who moved in less than 14 months after entering care.
    async fn a3_percent(&self) -> Option<f64> {
        self.0.a3.percent
    }
    async fn a3(&self) -> ShareNode {
        ShareNode(self.0.a3.clone())
    }
    /// A5: decisions that the child should be placed for adoption reversed in the window.
    async fn a5_reversals(&self) -> usize {
        self.0.a5_reversals
    }
    /// The reversals behind A5: days from the decision to its reversal.
    async fn a5_cases(&self) -> Vec<MeasureCase> {
        case_list(&self.0.a5_cases)
    }
    /// Days from entering care to the special guardianship order.
    async fn to_special_guardianship_order(&self) -> MeasureNode {
        MeasureNode(self.0.route_timeliness.special_guardianship_order.clone())
    }
    /// Days from entering care to the return home.
    async fn to_return_home(&self) -> MeasureNode {
        MeasureNode(self.0.route_timeliness.return_home.clone())
    }
    /// Days from entering care to the child arrangements order.
    async fn to_child_arrangements_order(&self) -> MeasureNode {
        MeasureNode(self.0.route_timeliness.child_arrangements_order.clone())
    }
    /// Days from entering care to the confirmed long-term foster match.
    async fn to_long_term_foster_match(&self) -> MeasureNode {
        MeasureNode(self.0.route_timeliness.long_term_foster_match.clone())
    }
    /// Days in each step of each route.
    async fn step_durations(&self) -> Vec<StepDurationNode> {
        self.0
            .step_durations
            .iter()
            .map(|s| StepDurationNode {
                route: s.route.into(),
                from_step: s.from_step.clone(),
                to_step: s.to_step.clone(),
                measure: MeasureNode(s.measure.clone()),
            })
            .collect()
    }
    /// Days from each panel recommendation to the decision, match and placement that should follow.
    async fn panel_follow_through(&self) -> Vec<FollowThroughNode> {
        self.0
            .panel_follow_through
            .iter()
            .map(|f| FollowThroughNode {
                label: f.label.clone(),
                route: f.route.into(),
                from_step: f.from_step.clone(),
                to_step: f.to_step.clone(),
                measure: MeasureNode(f.measure.clone()),
            })
            .collect()
    }
    /// Reviews held in the window on or before their due date.
    async fn reviews_on_time(&self) -> ShareNode {
        ShareNode(self.0.reviews_on_time.clone())
    }
    /// Health assessments held in the window on or before their due date, by the national
    /// timescales: the initial one by the first review (20 working days after entering
    /// care), then every 6 months under five and every 12 from five. Days are held minus due.
    async fn health_assessments_on_time(&self) -> ShareNode {
        ShareNode(self.0.health_assessments_on_time.clone())
    }
    /// Statutory visits by the social worker (CPPCR 2010 reg 28) made on or before their
    /// due date: each visit held in the window against the due date the chain of visits
    /// gave it (days are held minus due), and each visit missed, counted on the day it was
    /// due (a due date passed with no visit before the placement ended or the child left
    /// care; no days). Not visits during a placement for adoption (the Adoption Agencies
    /// Regulations set those), nor the first visit recorded in a placement brought in by an
    /// import (the return holds no visits).
    async fn visits_on_time(&self) -> ShareNode {
        ShareNode(self.0.visits_on_time.clone())
    }
    /// Children whose second review was in the window with a permanence plan by then.
    async fn permanence_plan_by_second_review(&self) -> ShareNode {
        ShareNode(self.0.permanence_plan_by_second_review.clone())
    }
    /// Care proceedings concluded in the window within 26 weeks of issue.
    async fn proceedings_within_26_weeks(&self) -> ShareNode {
        ShareNode(self.0.proceedings_within_26_weeks.clone())
    }
    /// Mean length in weeks of the care proceedings concluded in the window.
    async fn proceedings_mean_weeks(&self) -> Option<f64> {
        self.0.proceedings_mean_weeks
    }
    /// Children waiting on the window's last day.
    async fn children_waiting(&self) -> ChildrenWaitingNode {
        children_waiting_node(&self.0.waiting_at_end)
    }
    /// Placement breakdowns in the window: each route's total, then each stage with one.
    async fn disruptions(&self) -> Vec<DisruptionNode> {
        self.0
            .disruptions
            .iter()
            .map(|x| DisruptionNode {
                route: x.route.into(),
                stage: x.stage.clone(),
                breakdowns: MeasureNode(x.breakdowns.clone()),
                placements: x.placements,
                percent: x.percent,
            })
            .collect()
    }
}

#[derive(SimpleObject)]
pub struct TimelinessGroupNode {
    /// The group's value ("all" for every case; "none" where there is no value).
    group: String,
    report: ReportNode,
}

#[derive(SimpleObject)]
pub struct TimelinessQuarterNode {
    from: Date,
    to: Date,
    report: ReportNode,
}

/// The answer to `timeliness`: the whole service's figures, and on demand its breakdowns and
/// quarterly trend.
pub struct TimelinessNode {
    data: ReportData,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
    group_by: Option<TimelinessGroupBy>,
    all: TimelinessReport,
}

impl TimelinessNode {
    pub(crate) async fn load(
        ctx: &Context<'_>,
        from: Date,
        to: Date,
        group_by: Option<TimelinessGroupBy>,
        local_authority: Option<String>,
    ) -> Result<Self> {
        check_window(from.0, to.0).api()?;
        if let Some(la) = &local_authority
            && !permanence_domain::case::is_local_authority_code(la)
        {
            return Err(validation(
                "localAuthority",
                "must be E followed by 8 digits",
            ));
        }
        let authorities = crate::guard::report_authorities(
            ctx,
            permanence_auth::Action::ReadTimeliness,
            local_authority.as_deref(),
        )?;
        let data = engine(ctx)?.report_data_in(&authorities).await.api()?;
        let (from_day, to_day) = (from.0, to.0);
        let all = data
            .compute(move |data| data.report(from_day, to_day, None))
            .await
            .api()?
            .into_iter()
            .next()
            .map(|g| g.report)
            .ok_or_else(|| crate::error::internal("report without the all group"))?;
        Ok(Self {
            data,
            from: from.0,
            to: to.0,
            group_by,
            all,
        })
    }
}

#[Object(name = "Timeliness")]
impl TimelinessNode {
    async fn from(&self) -> Date {
        self.from.into()
    }
    async fn to(&self) -> Date {
        self.to.into()
    }
    /// A1 over every case.
    async fn a1(&self) -> MeasureNode {
        MeasureNode(self.all.a1.clone())
    }
    /// A2 over every case.
    async fn a2(&self) -> MeasureNode {
        MeasureNode(self.all.a2.clone())
    }
    /// A10 over every case.
    async fn a10(&self) -> MeasureNode {
        MeasureNode(self.all.a10.clone())
    }
    /// A3 over every case.
    async fn a3_percent(&self) -> Option<f64> {
        self.all.a3.percent
    }
    /// Every figure, over every case.
    async fn report(&self) -> ReportNode {
        ReportNode(self.all.clone())
    }
    /// The same figures for each value of `groupBy` ("all" first); empty without `groupBy`.
    async fn groups(&self) -> Result<Vec<TimelinessGroupNode>> {
        let Some(by) = self.group_by else {
            return Ok(vec![]);
        };
        let (from, to) = (self.from, self.to);
        Ok(self
            .data
            .compute(move |data| data.report(from, to, Some(by.into())))
            .await
            .api()?
            .into_iter()
            .map(|g| TimelinessGroupNode {
                group: g.group,
                report: ReportNode(g.report),
            })
            .collect())
    }
    /// The same figures for each calendar quarter in the window (clipped to it).
    async fn quarters(&self) -> Result<Vec<TimelinessQuarterNode>> {
        let (from, to) = (self.from, self.to);
        Ok(self
            .data
            .compute(move |data| data.quarters(from, to))
            .await
            .api()?
            .into_iter()
            .map(|q| TimelinessQuarterNode {
                from: q.from.into(),
                to: q.to.into(),
                report: ReportNode(q.report),
            })
            .collect())
    }
}
