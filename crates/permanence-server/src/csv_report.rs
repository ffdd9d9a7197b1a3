//! The timeliness report as CSV, because leaders live in spreadsheets. The figures are the
//! ones the GraphQL `timeliness` query gives, one row per group and figure.
//!
//! It holds no field of `permanence_auth::view`'s personal kinds (only counts, days and the
//! groups' labels: an authority, team, route, sex, age band or ethnicity code), so every
//! reader allowed the export gets the same document; `tests/tests/e2e/leader_privacy.rs` reads it
//! in every breakdown as a leader and fails on any sensitive value.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use permanence_domain::measures::{GroupBy, GroupReport, Measure, Share, TimelinessReport};
use permanence_engine::EngineError;
use permanence_engine::reports::check_window;
use serde::Deserialize;

use crate::AppState;

/// Query parameters of `GET /reports/timeliness.csv`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TimelinessParams {
    from: Option<String>,
    to: Option<String>,
    group_by: Option<String>,
    local_authority: Option<String>,
}

pub(crate) const HEADER: [&str; 11] = [
    "group",
    "figure",
    "children",
    "mean_days",
    "median_days",
    "p90_days",
    "min_days",
    "max_days",
    "met",
    "of",
    "percent",
];

/// A query parameter that cannot be used: the field and the reason, answered with 400.
pub(crate) struct BadParam(String);

impl IntoResponse for BadParam {
    fn into_response(self) -> Response {
        (StatusCode::BAD_REQUEST, self.0).into_response()
    }
}

fn bad_request(message: String) -> BadParam {
    BadParam(message)
}

fn parse_date(field: &str, value: Option<&str>) -> Result<NaiveDate, BadParam> {
    let value = value.ok_or_else(|| bad_request(format!("{field}: is required (YYYY-MM-DD)")))?;
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| bad_request(format!("{field}: a date is written YYYY-MM-DD")))
}

fn parse_group_by(value: Option<&str>) -> Result<Option<GroupBy>, BadParam> {
    let Some(value) = value else { return Ok(None) };
    let by = match value {
        "LOCAL_AUTHORITY" => GroupBy::LocalAuthority,
        "TEAM" => GroupBy::Team,
        "ROUTE" => GroupBy::Route,
        "SEX" => GroupBy::Sex,
        "AGE_BAND_AT_ENTRY" => GroupBy::AgeBandAtEntry,
        "ETHNICITY" => GroupBy::Ethnicity,
        _ => {
            return Err(bad_request(
                "groupBy: one of LOCAL_AUTHORITY, TEAM, ROUTE, SEX, AGE_BAND_AT_ENTRY, ETHNICITY"
                    .into(),
            ));
        }
    };
    Ok(Some(by))
}

pub(crate) async fn timeliness_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<TimelinessParams>,
) -> Response {
    let principal = match crate::authenticate(&state, crate::authorization(&headers)).await {
        Ok(principal) => principal,
        Err(failure) => return failure.into_response(),
    };
    let from = match parse_date("from", params.from.as_deref()) {
        Ok(d) => d,
        Err(bad) => return bad.into_response(),
    };
    let to = match parse_date("to", params.to.as_deref()) {
        Ok(d) => d,
        Err(bad) => return bad.into_response(),
    };
    let group_by = match parse_group_by(params.group_by.as_deref()) {
        Ok(g) => g,
        Err(bad) => return bad.into_response(),
    };
    if let Err(EngineError::Domain(err)) = check_window(from, to) {
        return bad_request(err.to_string()).into_response();
    }
    if let Some(la) = &params.local_authority
        && !permanence_domain::case::is_local_authority_code(la)
    {
        return bad_request("localAuthority: must be E followed by 8 digits".into())
            .into_response();
    }
    let authorities = match &params.local_authority {
        Some(la) => vec![la.clone()],
        None => principal.local_authorities.clone(),
    };
    for la in &authorities {
        if let Err(denied) = permanence_auth::authorize(
            &principal,
            permanence_auth::Action::ExportReport,
            permanence_auth::Target::Authority(la),
        ) {
            return (StatusCode::FORBIDDEN, denied.to_string()).into_response();
        }
    }
    let data = match state.engine.report_data_in(&authorities).await {
        Ok(data) => data,
        Err(err) => {
            tracing::error!(error = %err, "timeliness report failed");
            return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
        }
    };
    let body = match data
        .compute(move |data| render(&data.report(from, to, group_by)))
        .await
    {
        Ok(body) => body,
        Err(err) => {
            tracing::error!(error = %err, "timeliness report failed");
            return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
        }
    };
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"timeliness.csv\"",
            ),
        ],
        body,
    )
        .into_response()
}

/// The document's rows as they are made: `csv` quotes a value only when it needs it (a
/// group's label may hold a comma) and ends each line in `\n`.
type Out = csv::Writer<Vec<u8>>;

/// Writing into memory cannot fail.
fn row<const N: usize>(out: &mut Out, fields: [&str; N]) {
    out.write_record(fields).expect("writing to memory");
}

fn opt<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

fn measure_row(out: &mut Out, group: &str, figure: &str, m: &Measure) {
    let s = &m.summary;
    row(
        out,
        [
            group,
            figure,
            &s.children.to_string(),
            &opt(s.mean_days),
            &opt(s.median_days),
            &opt(s.p90_days),
            &opt(s.min_days),
            &opt(s.max_days),
            "",
            "",
            "",
        ],
    );
}

fn share_row(out: &mut Out, group: &str, figure: &str, s: &Share) {
    let denominator = s.denominator.to_string();
    row(
        out,
        [
            group,
            figure,
            &denominator,
            "",
            "",
            "",
            "",
            "",
            &s.numerator.to_string(),
            &denominator,
            &opt(s.percent),
        ],
    );
}

fn count_row(out: &mut Out, group: &str, figure: &str, count: usize) {
    let count = count.to_string();
    row(out, [group, figure, &count, "", "", "", "", "", "", "", ""]);
}

fn report_rows(out: &mut Out, group: &str, r: &TimelinessReport) {
    measure_row(out, group, "adoptions", &r.adoptions);
    measure_row(out, group, "a1", &r.a1);
    measure_row(out, group, "a2", &r.a2);
    measure_row(out, group, "a10", &r.a10);
    share_row(out, group, "a3", &r.a3);
    count_row(out, group, "a5_reversals", r.a5_reversals);
    // Placement breakdowns: their days from the placement's start, and as a rate: met is
    // the breakdowns, of the placements begun in the window.
    for x in &r.disruptions {
        let figure = match &x.stage {
            Some(stage) => format!("disruption:{}:{stage}", x.route.key()),
            None => format!("disruption:{}", x.route.key()),
        };
        let s = &x.breakdowns.summary;
        let children = s.children.to_string();
        row(
            out,
            [
                group,
                &figure,
                &children,
                &opt(s.mean_days),
                &opt(s.median_days),
                &opt(s.p90_days),
                &opt(s.min_days),
                &opt(s.max_days),
                &children,
                &x.placements.to_string(),
                &opt(x.percent),
            ],
        );
    }
    let routes = &r.route_timeliness;
    measure_row(
        out,
        group,
        "to_special_guardianship_order",
        &routes.special_guardianship_order,
    );
    measure_row(out, group, "to_return_home", &routes.return_home);
    measure_row(
        out,
        group,
        "to_child_arrangements_order",
        &routes.child_arrangements_order,
    );
    measure_row(
        out,
        group,
        "to_long_term_foster_match",
        &routes.long_term_foster_match,
    );
    for step in &r.step_durations {
        let figure = format!(
            "step:{}:{}:{}",
            step.route.key(),
            step.from_step,
            step.to_step
        );
        measure_row(out, group, &figure, &step.measure);
    }
    for follow in &r.panel_follow_through {
        let figure = format!(
            "after_panel:{}:{}:{}",
            follow.route.key(),
            follow.from_step,
            follow.to_step
        );
        measure_row(out, group, &figure, &follow.measure);
    }
    share_row(out, group, "reviews_on_time", &r.reviews_on_time);
    share_row(
        out,
        group,
        "health_assessments_on_time",
        &r.health_assessments_on_time,
    );
    share_row(out, group, "visits_on_time", &r.visits_on_time);
    share_row(
        out,
        group,
        "permanence_plan_by_second_review",
        &r.permanence_plan_by_second_review,
    );
    share_row(
        out,
        group,
        "proceedings_within_26_weeks",
        &r.proceedings_within_26_weeks,
    );
    row(
        out,
        [
            group,
            "proceedings_mean_weeks",
            &r.proceedings_within_26_weeks.denominator.to_string(),
            &opt(r.proceedings_mean_weeks),
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
    );
    let w = &r.waiting_at_end;
    count_row(out, group, "waiting_with_decision", w.with_decision.count);
    count_row(
        out,
        group,
        "waiting_with_placement_order",
        w.with_placement_order.count,
    );
    count_row(
        out,
        group,
        "waiting_placement_order_over_12_months",
        w.placement_order_over_12_months.count,
    );
    count_row(
        out,
        group,
        "waiting_placement_order_over_18_months",
        w.placement_order_over_18_months.count,
    );
    count_row(
        out,
        group,
        "waiting_in_care_over_18_months",
        w.in_care_over_18_months.count,
    );
}

/// The CSV document for a report's groups.
pub(crate) fn render(groups: &[GroupReport]) -> String {
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    row(&mut out, HEADER);
    for g in groups {
        report_rows(&mut out, &g.group, &g.report);
    }
    let bytes = out.into_inner().expect("writing to memory");
    String::from_utf8(bytes).expect("CSV written from strings is UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty_report(group: &str) -> GroupReport {
        GroupReport {
            group: group.into(),
            report: permanence_domain::measures::timeliness_report(
                &[],
                NaiveDate::from_ymd_opt(2024, 4, 1).expect("date"),
                NaiveDate::from_ymd_opt(2025, 3, 31).expect("date"),
            ),
        }
    }

    #[test]
    fn groups_are_quoted_only_when_needed() {
        let csv = render(&[
            empty_report("North"),
            empty_report("North, East"),
            empty_report("say \"hi\""),
        ]);
        assert!(csv.contains("\nNorth,a1,0,,,,,,,,\n"), "{csv}");
        assert!(csv.contains("\n\"North, East\",a1,0,,,,,,,,\n"), "{csv}");
        assert!(csv.contains("\n\"say \"\"hi\"\"\",a1,0,,,,,,,,\n"), "{csv}");
    }

    #[test]
    fn every_row_has_the_header_s_columns_and_lines_end_in_lf() {
        let csv = render(&[empty_report("all")]);
        assert!(csv.starts_with(
            "group,figure,children,mean_days,median_days,p90_days,min_days,max_days,met,of,percent\n"
        ));
        assert!(!csv.contains('\r'));
        for line in csv.lines() {
            assert_eq!(line.split(',').count(), HEADER.len(), "{line}");
        }
        assert!(csv.contains("all,a1,0,,,,,,,,\n"));
        assert!(csv.contains("all,a3,0,,,,,,0,0,\n"));
        assert!(csv.contains("all,proceedings_mean_weeks,0,,,,,,,,\n"));
    }
}
