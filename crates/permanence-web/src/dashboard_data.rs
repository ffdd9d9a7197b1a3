//! What the dashboard reads from the engine for one window: the timeliness report for the
//! window and for the period before it, the report for each quarter, and the reports by
//! group for one figure's breakdowns. The engine's measures work the figures out; this
//! keeps only the numbers the page shows, so that the reports' case lists are dropped on
//! the blocking pool where they were made.

use crate::WebState;
use crate::error::PageError;
use crate::figures::{BREAKDOWNS, Figure};
use crate::report_window::Window;
use permanence_auth::{Principal, list_scope};
use permanence_domain::measures::{ALL_GROUP, GroupBy, TimelinessReport};
use permanence_engine::reports::ReportData;
use std::time::Instant;

/// One figure of one report.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Values {
    pub value: Option<f64>,
    pub median: Option<f64>,
    pub counted: usize,
    pub met: Option<usize>,
}

/// Every figure of one report.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Snapshot(Vec<(Figure, Values)>);

impl Snapshot {
    pub fn of(report: &TimelinessReport) -> Self {
        Self(
            Figure::ALL
                .into_iter()
                .map(|f| (f, values(f, report)))
                .collect(),
        )
    }

    pub fn get(&self, figure: Figure) -> Values {
        self.0
            .iter()
            .find(|(f, _)| *f == figure)
            .map_or(EMPTY, |(_, v)| *v)
    }
}

const EMPTY: Values = Values {
    value: None,
    median: None,
    counted: 0,
    met: None,
};

fn values(figure: Figure, report: &TimelinessReport) -> Values {
    Values {
        value: figure.value(report),
        median: figure.median(report),
        counted: figure.counted(report),
        met: figure.met(report),
    }
}

/// One breakdown of the chosen figure: each group (as the report names it) and its values.
pub(crate) struct Breakdown {
    pub key: &'static str,
    pub label: &'static str,
    pub by: GroupBy,
    pub groups: Vec<(String, Values)>,
}

/// Everything the dashboard shows for a window.
pub(crate) struct Figures {
    pub current: Snapshot,
    pub previous: Snapshot,
    pub quarters: Vec<(Window, Snapshot)>,
    pub breakdowns: Vec<Breakdown>,
    pub took: Took,
}

/// Milliseconds each part of the figures took to work out (for `Server-Timing`): the period
/// and the one before, the quarters, the breakdowns.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Took {
    pub periods: f64,
    pub quarters: f64,
    pub breakdowns: f64,
}

/// The authorities whose figures this person may read: those of every figure the dashboard
/// shows, as the API's `timeliness` and `childrenWaiting` decide. Anyone else gets "page not
/// found", as for any page their role does not have.
pub(crate) fn authorities(principal: &Principal) -> Result<Vec<String>, PageError> {
    for figure in Figure::ALL {
        list_scope(principal, figure.action()).map_err(|_| PageError::NotFound)?;
    }
    Ok(principal.local_authorities.clone())
}

/// Every case of those authorities, as the engine keeps them for reports.
pub(crate) async fn report_data(
    state: &WebState,
    authorities: &[String],
) -> Result<ReportData, PageError> {
    state
        .engine
        .report_data_in(authorities)
        .await
        .map_err(|e| PageError::Internal(e.to_string()))
}

/// The whole-service report for a window.
pub(crate) fn report(data: &ReportData, window: Window) -> Option<TimelinessReport> {
    data.report(window.from, window.to, None)
        .into_iter()
        .find(|g| g.group == ALL_GROUP)
        .map(|g| g.report)
}

/// The dashboard's figures for a window, breaking down `breakdown_figure`.
pub(crate) async fn figures(
    data: &ReportData,
    window: Window,
    breakdown_figure: Figure,
) -> Result<Figures, PageError> {
    data.compute(move |data| {
        let millis = |started: Instant| started.elapsed().as_secs_f64() * 1000.0;
        let snapshot = |w: Window| report(data, w).map(|r| Snapshot::of(&r));
        let empty = || Snapshot(Vec::new());
        let started = Instant::now();
        let current = snapshot(window).unwrap_or_else(empty);
        let previous = snapshot(window.previous()).unwrap_or_else(empty);
        let periods = millis(started);
        let started = Instant::now();
        let quarters = data
            .quarters(window.from, window.to)
            .into_iter()
            .map(|q| {
                (
                    Window {
                        from: q.from,
                        to: q.to,
                    },
                    Snapshot::of(&q.report),
                )
            })
            .collect();
        let quarters_took = millis(started);
        let started = Instant::now();
        let by: Vec<GroupBy> = BREAKDOWNS.iter().map(|(_, _, by)| *by).collect();
        let breakdowns = BREAKDOWNS
            .iter()
            .zip(data.breakdowns(window.from, window.to, &by))
            .map(|((key, label, by), groups)| Breakdown {
                key,
                label,
                by: *by,
                groups: groups
                    .into_iter()
                    .map(|g| {
                        let v = values(breakdown_figure, &g.report);
                        (g.group, v)
                    })
                    .collect(),
            })
            .collect();
        let took = Took {
            periods,
            quarters: quarters_took,
            breakdowns: millis(started),
        };
        Figures {
            current,
            previous,
            quarters,
            breakdowns,
            took,
        }
    })
    .await
    .map_err(|e| PageError::Internal(e.to_string()))
}
