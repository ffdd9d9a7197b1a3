//! Queries: children, cases, drift and the route definitions.

use crate::MAX_PAGE_SIZE;
use crate::context::engine;
use crate::error::{ApiResult, validation};
use crate::guard;
use crate::read_ahead;
use crate::scalars::Date;
use crate::types::{
    CaseNode, ChildNode, DeadlineNode, DriftItemNode, DriftStatus, RouteKind, RouteNode,
};
use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, InputObject, Object, Result};
use chrono::NaiveDate;
use permanence_auth::Action;
use permanence_domain::{CaseId, ChildId};
use permanence_engine::store::{CaseFilter, DriftCursor, DriftFilter};
use std::collections::HashMap;
use uuid::Uuid;

pub struct Query;

/// Which cases to list; fields left out do not filter.
#[derive(InputObject, Default)]
pub struct CaseFilterInput {
    pub local_authority: Option<String>,
    /// The route of the primary plan.
    pub route: Option<RouteKind>,
    /// The current step of the primary plan (a step key such as `match_decision`).
    pub step: Option<String>,
    pub team: Option<String>,
    pub allocated_worker: Option<String>,
    /// Only cases with a deadline in this status (on `asOf`, default today); `ON_TRACK`: open
    /// cases with no deadline the engine knows overdue or due soon.
    pub drift_status: Option<DriftStatus>,
    pub as_of: Option<Date>,
    /// Only open (true) or closed (false) cases.
    pub open: Option<bool>,
}

fn page_size(first: Option<i32>) -> Result<u64> {
    match first {
        None => Ok(20),
        Some(n) if n < 1 => Err(validation("first", "must be at least 1")),
        Some(n) if n as usize > MAX_PAGE_SIZE => Err(validation(
            "first",
            format!("must be at most {MAX_PAGE_SIZE}"),
        )),
        Some(n) => Ok(n as u64),
    }
}

fn uuid_cursor(after: Option<String>) -> Result<Option<Uuid>> {
    after
        .map(|c| {
            Uuid::parse_str(&c).map_err(|_| validation("after", "not a cursor from this list"))
        })
        .transpose()
}

/// Builds a page from rows fetched with one extra row (which tells whether a next page exists).
fn page<R, N: async_graphql::OutputType>(
    rows: Vec<R>,
    limit: u64,
    has_previous: bool,
    mut edge: impl FnMut(R) -> (String, N),
) -> Connection<String, N, EmptyFields, EmptyFields> {
    let has_next = rows.len() as u64 > limit;
    let mut connection = Connection::new(has_previous, has_next);
    connection
        .edges
        .extend(rows.into_iter().take(limit as usize).map(|row| {
            let (cursor, node) = edge(row);
            Edge::new(cursor, node)
        }));
    connection
}

fn encode_drift_cursor(c: &DriftCursor) -> String {
    format!("{}~{}~{}", c.due_on, c.case_id, c.key)
}

fn decode_drift_cursor(text: &str) -> Result<DriftCursor> {
    let bad = || validation("after", "not a cursor from this list");
    let mut parts = text.splitn(3, '~');
    let due_on = parts
        .next()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .ok_or_else(bad)?;
    let case_id = parts
        .next()
        .and_then(|u| Uuid::parse_str(u).ok())
        .ok_or_else(bad)?;
    let key = parts.next().ok_or_else(bad)?.to_owned();
    Ok(DriftCursor {
        due_on,
        case_id: CaseId(case_id),
        key,
    })
}

#[Object]
impl Query {
    /// One child.
    async fn child(&self, ctx: &Context<'_>, id: Uuid) -> Result<Option<ChildNode>> {
        let (child, _) = guard::child_for(ctx, Action::ReadChild, ChildId(id)).await?;
        Ok(Some(ChildNode(child)))
    }

    /// Children in registration order.
    async fn children(
        &self,
        ctx: &Context<'_>,
        local_authority: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, ChildNode, EmptyFields, EmptyFields>> {
        let local_authority = guard::authority_filter(local_authority)?;
        let limit = page_size(first)?;
        let after = uuid_cursor(after)?.map(ChildId);
        let reach = guard::reach(ctx, Action::ListChildren)?;
        let rows = engine(ctx)?
            .store()
            .children_page(local_authority.as_deref(), &reach, after, limit + 1)
            .await
            .api()?;
        for child in rows.iter().take(limit as usize) {
            guard::audit(
                ctx,
                Action::ListChildren,
                guard::CHILD_RECORD,
                child.id.to_string(),
            );
        }
        Ok(page(rows, limit, after.is_some(), |c| {
            (c.id.to_string(), ChildNode(c))
        }))
    }

    /// One case (one period of care).
    async fn case(&self, ctx: &Context<'_>, id: Uuid) -> Result<Option<CaseNode>> {
        let (case, _) = guard::case_for(ctx, Action::ReadCase, CaseId(id)).await?;
        Ok(Some(CaseNode::new(case)))
    }

    /// Cases in the order they were opened, filtered.
    async fn cases(
        &self,
        ctx: &Context<'_>,
        filter: Option<CaseFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, CaseNode, EmptyFields, EmptyFields>> {
        let engine = engine(ctx)?;
        let limit = page_size(first)?;
        let after = uuid_cursor(after)?.map(CaseId);
        let f = filter.unwrap_or_default();
        let as_of = f.as_of.map_or_else(|| engine.today(), |d| d.0);
        let store_filter = CaseFilter {
            local_authority: guard::authority_filter(f.local_authority)?,
            route: f.route.map(Into::into),
            step: f.step,
            team: f.team,
            allocated_worker: f.allocated_worker,
            open: f.open,
            drift: f
                .drift_status
                .map(|s| (s.into(), as_of, engine.timescales().due_soon_days)),
            reach: guard::reach(ctx, Action::ListCases)?,
        };
        let rows = engine
            .store()
            .cases_page(&store_filter, after, limit + 1)
            .await
            .api()?;
        for case in rows.iter().take(limit as usize) {
            guard::audit(
                ctx,
                Action::ListCases,
                guard::CASE_RECORD,
                case.id.to_string(),
            );
        }
        let case = ctx.look_ahead().field("edges").field("node");
        let mut read_ahead =
            read_ahead::cases_read_ahead(ctx, case, rows.iter().take(limit as usize)).await?;
        Ok(page(rows, limit, after.is_some(), |c| {
            let read = read_ahead.remove(&c.id).unwrap_or_default();
            (c.id.to_string(), CaseNode(c, read))
        }))
    }

    /// Children who live at home with a round of the Public Law Outline under way
    /// (pre-proceedings or care proceedings), in the authorities and teams the user reaches:
    /// each with their record at home, whose `deadlines(asOf:)` show how it stands. Records
    /// at home have a team, not an allocated worker: a social worker who reaches only the
    /// cases allocated to them sees none here, and reads each child's record by the child.
    async fn legal_at_home_under_way(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<crate::legal_at_home::ChildAtHomeInProceedings>> {
        crate::legal_at_home::under_way(ctx).await
    }

    /// Open deadlines overdue or due soon on `asOf` (default today), most overdue first; with
    /// `status`, only those in that status (`NOT_KNOWN_FROM_RETURN`: the deadlines of
    /// imported periods that the engine cannot date, which are never overdue or due soon).
    /// `overdueOnly` is `status: OVERDUE`.
    ///
    /// A past `asOf` gives the deadlines as they stood on that date: each case's history is
    /// replayed up to it, by the day each event happened (`occurredOn`), not the day it was
    /// recorded. It answers "what was drifting on that date, as we now know it": a step that
    /// happened before the date but was recorded after it counts as done then. It reads every
    /// visible case's events, so it is slower than today's drift. `asOf` today or later reads
    /// the open deadlines as they stand now. Cases are those visible now, narrowed by their
    /// present authority and team.
    #[allow(clippy::too_many_arguments)]
    async fn drift(
        &self,
        ctx: &Context<'_>,
        as_of: Option<Date>,
        route: Option<RouteKind>,
        team: Option<String>,
        local_authority: Option<String>,
        #[graphql(default)] after_panel_only: bool,
        #[graphql(default)] overdue_only: bool,
        status: Option<DriftStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, DriftItemNode, EmptyFields, EmptyFields>> {
        let engine = engine(ctx)?;
        let limit = page_size(first)?;
        let status = match (overdue_only, status) {
            (false, status) => status,
            (true, None | Some(DriftStatus::Overdue)) => Some(DriftStatus::Overdue),
            (true, Some(_)) => {
                return Err(validation(
                    "status",
                    "overdueOnly asks for OVERDUE: leave one of them out",
                ));
            }
        };
        let cursor = after.as_deref().map(decode_drift_cursor).transpose()?;
        let as_of = as_of.map_or_else(|| engine.today(), |d| d.0);
        let due_soon_days = engine.timescales().due_soon_days;
        let filter = DriftFilter {
            as_of,
            due_soon_days,
            route: route.map(Into::into),
            team,
            local_authority: guard::authority_filter(local_authority)?,
            after_panel_only,
            step: None,
            status: status.map(Into::into),
            reach: guard::reach(ctx, Action::ReadDrift)?,
        };
        let rows = if as_of < engine.today() {
            engine
                .drift_page_as_of(&filter, cursor.as_ref(), limit + 1)
                .await
        } else {
            engine
                .store()
                .drift_page(&filter, cursor.as_ref(), limit + 1)
                .await
        }
        .api()?;
        for row in rows.iter().take(limit as usize) {
            guard::audit(
                ctx,
                Action::ReadDrift,
                guard::CASE_RECORD,
                row.case_id.to_string(),
            );
        }
        // The page's cases in one query, when the items ask for them: through the loader,
        // each item would wait for the batch to gather before it is read.
        let item = ctx.look_ahead().field("edges").field("node");
        let mut cases = if ["case", "panelOn", "decisionOn"]
            .iter()
            .any(|field| item.field(field).exists())
        {
            let ids: Vec<CaseId> = rows
                .iter()
                .take(limit as usize)
                .map(|row| row.case_id)
                .collect();
            engine.store().cases_by_ids(&ids).await.api()?
        } else {
            HashMap::new()
        };
        let mut read_ahead =
            read_ahead::cases_read_ahead(ctx, item.field("case"), cases.values()).await?;
        Ok(page(rows, limit, cursor.is_some(), |row| {
            let cursor = encode_drift_cursor(&DriftCursor {
                due_on: row.deadline.due_on,
                case_id: row.case_id,
                key: row.deadline.key.clone(),
            });
            let node = DriftItemNode {
                case_id: row.case_id,
                case: cases.remove(&row.case_id),
                read_ahead: read_ahead.remove(&row.case_id).unwrap_or_default(),
                deadline: DeadlineNode::new(row.deadline, as_of, due_soon_days),
            };
            (cursor, node)
        }))
    }

    /// The route definitions in force: steps, transitions and deadline rules.
    async fn routes(&self, ctx: &Context<'_>) -> Result<Vec<RouteNode>> {
        guard::principal(ctx)?;
        let engine = engine(ctx)?;
        Ok(permanence_domain::Route::ALL
            .iter()
            .map(|r| RouteNode::new(engine.catalog().current(*r), engine.timescales()))
            .collect())
    }

    /// Timeliness over a window of dates (both included): the adoption scorecard measures,
    /// every route's timeliness and care planning, with breakdowns and a quarterly trend.
    async fn timeliness(
        &self,
        ctx: &Context<'_>,
        from: Date,
        to: Date,
        group_by: Option<crate::reports::TimelinessGroupBy>,
        local_authority: Option<String>,
    ) -> Result<crate::reports::TimelinessNode> {
        crate::reports::TimelinessNode::load(ctx, from, to, group_by, local_authority).await
    }

    /// Children waiting for an adoptive placement on a date.
    async fn children_waiting(
        &self,
        ctx: &Context<'_>,
        on: Date,
        local_authority: Option<String>,
    ) -> Result<crate::reports::ChildrenWaitingNode> {
        let authorities = guard::report_authorities(
            ctx,
            Action::ReadChildrenWaiting,
            local_authority.as_deref(),
        )?;
        let data = engine(ctx)?.report_data_in(&authorities).await.api()?;
        let waiting = data
            .compute(move |data| data.children_waiting(on.0))
            .await
            .api()?;
        Ok(crate::reports::children_waiting_node(&waiting))
    }

    /// The panel's queue for an authority: cases waiting for panel (oldest first), the agendas
    /// of upcoming meetings, and recommendations waiting for the agency decision.
    async fn panel_queue(
        &self,
        ctx: &Context<'_>,
        local_authority: String,
        as_of: Option<Date>,
        first: Option<i32>,
    ) -> Result<crate::panel::PanelQueueNode> {
        crate::panel::panel_queue(ctx, local_authority, as_of, first).await
    }

    /// One panel meeting and its agenda.
    async fn panel_meeting(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> Result<Option<crate::panel::PanelMeetingNode>> {
        crate::panel::panel_meeting(ctx, id).await
    }

    /// Your notifications (escalations of deadlines addressed to you), newest first.
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] unacknowledged_only: bool,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, crate::notifications::NotificationNode, EmptyFields, EmptyFields>>
    {
        crate::notifications::notifications(ctx, unacknowledged_only, first, after).await
    }

    /// The webhook's deliveries of notifications (administrators), most recently attempted
    /// first: failures show their last error.
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        status: Option<crate::notifications::DeliveryStatus>,
        local_authority: Option<String>,
        first: Option<i32>,
    ) -> Result<Vec<crate::notifications::WebhookDeliveryNode>> {
        crate::notifications::webhook_deliveries(ctx, status, local_authority, first).await
    }

    /// Today's date as the server sees it: the default `asOf`.
    async fn today(&self, ctx: &Context<'_>) -> Result<Date> {
        guard::principal(ctx)?;
        Ok(engine(ctx)?.today().into())
    }
}
