//! End-to-end: every query and mutation, for every role, on an allocated case and on one
//! with no team or worker, on SQLite and PostgreSQL. Each answer must be allowed or
//! `FORBIDDEN` as the access policy's table says (`permanence_auth::authorize`, itself
//! tested against the table in the crate's documentation); a refusal carries no data; every
//! allowed read of a child's record leaves an audit row naming the reader.
//!
//! "Allowed" means not refused for access: a write the domain then refuses (a step already
//! taken, a closure reason the route has not earned) still went through the guard. The
//! operations are run one at a time for all roles, reads first, and the writes are chosen so
//! that none changes who may reach the cases (same allocation, items kept open) until the
//! last two, which close the panel items.
//!
//! A test also checks that this list names every field of `Query` and `Mutation` in
//! `schema.graphql`, so an operation added to the API without a line here fails.

use anyhow::{Context, bail};
use permanence_auth::{
    Action, CaseScope, ChildScope, Principal, Role, Target, authorize, list_scope, rule,
};
use permanence_e2e::serde_json::{Value, json};
use permanence_e2e::{
    Backend, TEST_AUTHORITY, TEST_TEAMS, TestServer, child_in_care, record_steps, test_username,
};
use std::collections::BTreeSet;

/// Which fixture case an operation is aimed at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum On {
    /// Team "Team A", allocated to the social worker, on the agenda of a meeting the panel
    /// member sits on.
    Allocated,
    /// No team and no worker yet, on the agenda of a meeting nobody under test sits on.
    Unallocated,
}

/// What the policy is asked.
#[derive(Clone, Debug)]
enum Check {
    Global(Action),
    Authority(Action),
    List(Action),
    Case(Action, On),
    Child(Action, On),
    /// Every check must pass (a resolver that checks two things).
    All(Vec<Check>),
}

struct Op {
    /// The root field, as in `schema.graphql`.
    field: &'static str,
    check: Check,
    document: String,
    variables: Value,
}

/// The test's users as the policy sees them (as the harness creates them).
fn principal(role: Role) -> Principal {
    let teams = if role == Role::TeamManager {
        TEST_TEAMS
    } else {
        &["Team A"]
    };
    Principal {
        user_id: test_username(role).to_owned(),
        name: role.label().to_owned(),
        role,
        teams: teams.iter().map(|t| (*t).to_owned()).collect(),
        local_authorities: vec![TEST_AUTHORITY.to_owned()],
    }
}

fn case_scope(on: On, role: Role) -> CaseScope {
    let allocated = on == On::Allocated;
    CaseScope {
        local_authority: TEST_AUTHORITY.to_owned(),
        team: allocated.then(|| "Team A".to_owned()),
        allocated_worker: allocated.then(|| test_username(Role::SocialWorker).to_owned()),
        on_principals_panel_agenda: allocated && role == Role::PanelMember,
    }
}

fn allowed(check: &Check, role: Role) -> bool {
    let p = principal(role);
    match check {
        Check::Global(action) => rule(role, *action).is_some(),
        Check::Authority(action) => {
            authorize(&p, *action, Target::Authority(TEST_AUTHORITY)).is_ok()
        }
        Check::List(action) => list_scope(&p, *action).is_ok(),
        Check::Case(action, on) => {
            let scope = case_scope(*on, role);
            authorize(&p, *action, Target::Case(Some(&scope))).is_ok()
        }
        Check::Child(action, on) => {
            let scope = ChildScope {
                local_authority: TEST_AUTHORITY.to_owned(),
                cases: vec![case_scope(*on, role)],
            };
            authorize(&p, *action, Target::Child(Some(&scope))).is_ok()
        }
        Check::All(checks) => checks.iter().all(|c| allowed(c, role)),
    }
}

/// The cases, children, meetings and items the operations are aimed at.
struct Fixture {
    allocated_case: String,
    allocated_child: String,
    unallocated_case: String,
    unallocated_child: String,
    /// The panel member sits on it; the allocated case is on its agenda.
    member_meeting: String,
    allocated_item: String,
    unallocated_item: String,
    /// Children registered for `enterCare`, one per role.
    to_enter_care: Vec<(Role, String)>,
    /// A sibling group of each fixture case and a case of the same reach (allocated to the
    /// social worker, or to nobody).
    allocated_group: String,
    unallocated_group: String,
}

impl Fixture {
    fn case(&self, on: On) -> &str {
        match on {
            On::Allocated => &self.allocated_case,
            On::Unallocated => &self.unallocated_case,
        }
    }
    fn child(&self, on: On) -> &str {
        match on {
            On::Allocated => &self.allocated_child,
            On::Unallocated => &self.unallocated_child,
        }
    }
    fn item(&self, on: On) -> &str {
        match on {
            On::Allocated => &self.allocated_item,
            On::Unallocated => &self.unallocated_item,
        }
    }
    fn group(&self, on: On) -> &str {
        match on {
            On::Allocated => &self.allocated_group,
            On::Unallocated => &self.unallocated_group,
        }
    }
}

fn id_at(data: &Value, pointer: &str) -> anyhow::Result<String> {
    Ok(data
        .pointer(pointer)
        .and_then(Value::as_str)
        .with_context(|| format!("no {pointer} in {data}"))?
        .to_owned())
}

async fn register(server: &TestServer, reference: &str) -> anyhow::Result<String> {
    let data = server
        .ok(
            "mutation($i: RegisterChildInput!) { registerChild(input: $i) { child { id } } }",
            json!({ "i": { "localAuthority": TEST_AUTHORITY, "reference": reference,
                           "birthDate": "2019-03-14", "sex": "FEMALE", "ethnicity": "WBRI" } }),
        )
        .await?;
    id_at(&data, "/registerChild/child/id")
}

async fn meeting_with_item(
    server: &TestServer,
    chair: &str,
    members: &[&str],
    case: &str,
) -> anyhow::Result<(String, String)> {
    let meeting = server
        .ok_as(
            Role::PanelChair,
            "mutation($c: String!, $m: [String!]!) { schedulePanelMeeting(input: {localAuthority: \"E10000003\", kind: FOSTERING, sitsOn: \"2026-11-20\", chair: $c, members: $m}) { id } }",
            json!({ "c": chair, "m": members }),
        )
        .await?;
    let meeting = id_at(&meeting, "/schedulePanelMeeting/id")?;
    let item = server
        .ok_as(
            Role::PanelChair,
            "mutation($i: AddAgendaItemInput!) { addAgendaItem(input: $i) { id } }",
            json!({ "i": { "meetingId": meeting, "caseId": case, "purpose": "LONG_TERM_FOSTER_MATCH" } }),
        )
        .await?;
    Ok((meeting, id_at(&item, "/addAgendaItem/id")?))
}

async fn fixture(server: &TestServer) -> anyhow::Result<Fixture> {
    let allocated_case = child_in_care(server, "MXA", "2019-03-14", "2026-01-05").await?;
    let unallocated_child = register(server, "MXU").await?;
    let entered = server
        .ok(
            "mutation($i: EnterCareInput!) { enterCare(input: $i) { case { id child { id } } } }",
            json!({ "i": { "childId": unallocated_child, "enteredCareOn": "2026-01-06",
                           "legalStatus": "C1", "placement": "U6", "provider": "PR1" } }),
        )
        .await?;
    let unallocated_case = id_at(&entered, "/enterCare/case/id")?;
    for case in [&allocated_case, &unallocated_case] {
        server
            .ok(
                permanence_e2e::SET_ROUTE_PLAN,
                json!({ "i": { "caseId": case, "route": "LONG_TERM_FOSTERING", "occurredOn": "2026-02-02" } }),
            )
            .await?;
        record_steps(
            server,
            case,
            "LONG_TERM_FOSTERING",
            &[("carer_identified", "2026-03-02")],
        )
        .await?;
    }
    let case_child = server
        .ok(
            "query($id: UUID!) { case(id: $id) { child { id } } }",
            json!({ "id": allocated_case }),
        )
        .await?;
    let allocated_child = id_at(&case_child, "/case/child/id")?;
    let member = test_username(Role::PanelMember);
    let (member_meeting, allocated_item) =
        meeting_with_item(server, "chair.tester", &[member], &allocated_case).await?;
    let (_, unallocated_item) =
        meeting_with_item(server, "another.chair", &[], &unallocated_case).await?;
    let mut to_enter_care = Vec::new();
    for (i, role) in Role::ALL.iter().enumerate() {
        to_enter_care.push((*role, register(server, &format!("MXE{i}")).await?));
    }
    let allocated_sibling = child_in_care(server, "MXAS", "2020-03-14", "2026-01-05").await?;
    let unallocated_sibling = register(server, "MXUS").await?;
    let entered = server
        .ok(
            "mutation($i: EnterCareInput!) { enterCare(input: $i) { case { id } } }",
            json!({ "i": { "childId": unallocated_sibling, "enteredCareOn": "2026-01-06",
                           "legalStatus": "C1", "placement": "U6", "provider": "PR1" } }),
        )
        .await?;
    let unallocated_sibling = id_at(&entered, "/enterCare/case/id")?;
    let mut groups = Vec::new();
    for pair in [
        [&allocated_case, &allocated_sibling],
        [&unallocated_case, &unallocated_sibling],
    ] {
        let data = server
            .ok(
                "mutation($i: RecordSiblingGroupInput!) { recordSiblingGroup(input: $i) { siblingGroup { id } } }",
                json!({ "i": { "members": pair, "placing": "TOGETHER", "decidedOn": "2026-02-02" } }),
            )
            .await?;
        groups.push(id_at(&data, "/recordSiblingGroup/siblingGroup/id")?);
    }
    let unallocated_group = groups.pop().context("group")?;
    let allocated_group = groups.pop().context("group")?;
    Ok(Fixture {
        allocated_case,
        allocated_child,
        unallocated_case,
        unallocated_child,
        member_meeting,
        allocated_item,
        unallocated_item,
        to_enter_care,
        allocated_group,
        unallocated_group,
    })
}

fn op(field: &'static str, check: Check, document: &str, variables: Value) -> Op {
    Op {
        field,
        check,
        document: document.to_owned(),
        variables,
    }
}

/// The reads, for one role, on one case (those not about a case only on `Allocated`).
fn reads(fx: &Fixture, on: On) -> Vec<Op> {
    let case = fx.case(on);
    let child = fx.child(on);
    let mut ops = vec![
        op(
            "child",
            Check::Child(Action::ReadChild, on),
            "query($id: UUID!) { child(id: $id) { id reference } }",
            json!({ "id": child }),
        ),
        op(
            "case",
            Check::Case(Action::ReadCase, on),
            "query($id: UUID!) { case(id: $id) { id version } }",
            json!({ "id": case }),
        ),
    ];
    if on == On::Unallocated {
        return ops;
    }
    ops.extend([
        op(
            "children",
            Check::List(Action::ListChildren),
            "{ children(first: 100) { edges { node { id } } } }",
            json!({}),
        ),
        op(
            "cases",
            Check::List(Action::ListCases),
            "{ cases(first: 100) { edges { node { id } } } }",
            json!({}),
        ),
        op(
            "drift",
            Check::List(Action::ReadDrift),
            "{ drift(first: 100) { edges { node { daysStalled } } } }",
            json!({}),
        ),
        op(
            "legalAtHomeUnderWay",
            Check::List(Action::ReadDrift),
            "{ legalAtHomeUnderWay { child { id } legalAtHome { underWay } } }",
            json!({}),
        ),
        op(
            "routes",
            Check::Global(Action::ReadRoutes),
            "{ routes { route } }",
            json!({}),
        ),
        op(
            "timeliness",
            Check::Authority(Action::ReadTimeliness),
            "{ timeliness(from: \"2025-04-01\", to: \"2026-03-31\") { a1 { children } } }",
            json!({}),
        ),
        op(
            "childrenWaiting",
            Check::Authority(Action::ReadChildrenWaiting),
            "{ childrenWaiting(on: \"2026-11-01\") { withDecision { count } } }",
            json!({}),
        ),
        op(
            "panelQueue",
            Check::List(Action::ReadPanelQueue),
            "{ panelQueue(localAuthority: \"E10000003\") { waitingTotal } }",
            json!({}),
        ),
        op(
            "panelMeeting",
            Check::Authority(Action::ListPanelMeetings),
            "query($id: UUID!) { panelMeeting(id: $id) { id members } }",
            json!({ "id": fx.member_meeting }),
        ),
        op(
            "notifications",
            Check::Global(Action::ReadNotifications),
            "{ notifications { edges { node { id } } } }",
            json!({}),
        ),
        op(
            "webhookDeliveries",
            Check::Authority(Action::ReadWebhookDeliveries),
            "{ webhookDeliveries { notificationId } }",
            json!({}),
        ),
        op(
            "today",
            Check::Global(Action::ReadOwnProfile),
            "{ today }",
            json!({}),
        ),
    ]);
    ops
}

const CASE_PAYLOAD: &str = "{ case { id } }";

/// The writes that leave every role's reach as it was.
fn writes(fx: &Fixture, on: On, role: Role) -> Vec<Op> {
    let case = fx.case(on);
    let dated = |field: &'static str, action: Action, on_date: &str| {
        op(
            field,
            Check::Case(action, on),
            &format!("mutation($i: RecordDatedInput!) {{ {field}(input: $i) {CASE_PAYLOAD} }}"),
            json!({ "i": { "caseId": case, "occurredOn": on_date } }),
        )
    };
    let allocation = match on {
        On::Allocated => json!({ "caseId": case, "occurredOn": "2026-03-10", "team": "Team A",
                                 "allocatedWorker": test_username(Role::SocialWorker) }),
        On::Unallocated => json!({ "caseId": case, "occurredOn": "2026-03-10" }),
    };
    let mut ops = vec![
        op(
            "allocateCase",
            Check::Case(Action::AllocateCase, on),
            "mutation($i: AllocateCaseInput!) { allocateCase(input: $i) { case { id } } }",
            json!({ "i": allocation }),
        ),
        op(
            "recordPlacementChange",
            Check::Case(Action::RecordPlacementChange, on),
            "mutation($i: RecordPlacementChangeInput!) { recordPlacementChange(input: $i) { case { id } } }",
            json!({ "i": { "caseId": case, "occurredOn": "2026-03-11", "carer": format!("FC-{}", role.label()) } }),
        ),
        dated("recordReview", Action::RecordReview, "2026-03-12"),
        dated(
            "recordHealthAssessment",
            Action::RecordHealthAssessment,
            "2026-03-13",
        ),
        op(
            "recordVisit",
            Check::Case(Action::RecordVisit, on),
            "mutation($i: RecordVisitInput!) { recordVisit(input: $i) { case { id } } }",
            json!({ "i": { "caseId": case, "occurredOn": "2026-03-13", "seenAlone": true } }),
        ),
        // One case only: the guard is asked about it, and the domain then refuses a group of
        // one (a VALIDATION, not a refusal of access).
        op(
            "recordSiblingGroup",
            Check::Case(Action::RecordSiblingGroup, on),
            "mutation($i: RecordSiblingGroupInput!) { recordSiblingGroup(input: $i) { siblingGroup { id } } }",
            json!({ "i": { "members": [case], "placing": "TOGETHER", "decidedOn": "2026-03-13" } }),
        ),
        op(
            "setRoutePlan",
            Check::Case(Action::SetRoutePlan, on),
            "mutation($i: SetRoutePlanInput!) { setRoutePlan(input: $i) { case { id } } }",
            json!({ "i": { "caseId": case, "route": "REUNIFICATION", "role": "PARALLEL", "occurredOn": "2026-03-14" } }),
        ),
        dated("endParallelPlan", Action::EndParallelPlan, "2026-03-15"),
        op(
            "recordRouteStep",
            Check::Case(Action::RecordRouteStep, on),
            "mutation($i: RecordRouteStepInput!) { recordRouteStep(input: $i) { case { id } } }",
            json!({ "i": { "caseId": case, "route": "LONG_TERM_FOSTERING", "step": "carer_identified", "occurredOn": "2026-03-16" } }),
        ),
        // The route has no match yet: refused by the domain, not the guard.
        op(
            "recordAdopters",
            Check::Case(Action::RecordRouteStep, on),
            "mutation($i: RecordAdoptersInput!) { recordAdopters(input: $i) { case { id } } }",
            json!({ "i": { "caseId": case, "occurredOn": "2026-03-16", "sex": "MF", "legalStatus": "L11" } }),
        ),
        op(
            "reverseAdoptionDecision",
            Check::Case(Action::ReverseAdoptionDecision, on),
            "mutation($i: ReverseAdoptionDecisionInput!) { reverseAdoptionDecision(input: $i) { case { id } } }",
            json!({ "i": { "caseId": case, "occurredOn": "2026-03-17", "reason": "RD1" } }),
        ),
        // No placement on the case's plans: refused by the domain, not the guard.
        op(
            "recordPlacementBreakdown",
            Check::Case(Action::RecordRouteStep, on),
            "mutation($i: RecordPlacementBreakdownInput!) { recordPlacementBreakdown(input: $i) { case { id } } }",
            json!({ "i": { "caseId": case, "route": "ADOPTION", "occurredOn": "2026-03-17", "reason": "CREQB" } }),
        ),
        op(
            "recordLegalStep",
            Check::Case(Action::RecordLegalStep, on),
            "mutation($i: RecordLegalStepInput!) { recordLegalStep(input: $i) { case { id } } }",
            json!({ "i": { "caseId": case, "step": "PRE_PROCEEDINGS_STARTED", "occurredOn": "2026-03-18" } }),
        ),
        // Closed with an adoption that never happened: refused by the domain, not the guard.
        op(
            "closeCase",
            Check::Case(Action::CloseCase, on),
            "mutation($i: CloseCaseInput!) { closeCase(input: $i) { case { id } } }",
            json!({ "i": { "caseId": case, "occurredOn": "2026-03-19", "reason": "E11" } }),
        ),
        op(
            "addAgendaItem",
            Check::All(vec![
                Check::Authority(Action::ListPanelMeetings),
                Check::Case(Action::AddAgendaItem, on),
            ]),
            "mutation($i: AddAgendaItemInput!) { addAgendaItem(input: $i) { id } }",
            json!({ "i": { "meetingId": fx.member_meeting, "caseId": case, "purpose": "LONG_TERM_FOSTER_MATCH" } }),
        ),
        op(
            "setDocumentReadiness",
            Check::Case(Action::AddAgendaItem, on),
            "mutation($i: SetDocumentReadinessInput!) { setDocumentReadiness(input: $i) { ready } }",
            json!({ "i": { "caseId": case, "purpose": "LONG_TERM_FOSTER_MATCH", "document": "child_permanence_report", "ready": true } }),
        ),
        // The fixture's group has one member on the agenda: allowed, the chair is then told
        // to record it on the item (a refusal of the domain, not of access).
        op(
            "recordSiblingGroupPanelRecommendation",
            Check::Case(Action::RecordPanelRecommendation, on),
            "mutation($i: RecordSiblingGroupPanelRecommendationInput!) { recordSiblingGroupPanelRecommendation(input: $i) { duplicate } }",
            json!({ "i": { "meetingId": fx.member_meeting, "siblingGroupId": fx.group(on),
                           "purpose": "LONG_TERM_FOSTER_MATCH", "recommendation": "RECOMMENDED" } }),
        ),
        // Recommended: the item stays open, so the panel member keeps their reach.
        op(
            "recordPanelRecommendation",
            Check::Case(Action::RecordPanelRecommendation, on),
            "mutation($i: RecordPanelRecommendationInput!) { recordPanelRecommendation(input: $i) { item { status } } }",
            json!({ "i": { "itemId": fx.item(on), "recommendation": "RECOMMENDED" } }),
        ),
    ];
    if on == On::Allocated {
        let child = fx
            .to_enter_care
            .iter()
            .find(|(r, _)| *r == role)
            .map(|(_, c)| c.clone())
            .unwrap_or_default();
        ops.extend([
            op(
                "registerChild",
                Check::Authority(Action::RegisterChild),
                "mutation($i: RegisterChildInput!) { registerChild(input: $i) { child { id } } }",
                json!({ "i": { "localAuthority": TEST_AUTHORITY, "reference": format!("MXR{}", role_index(role)),
                               "birthDate": "2018-01-01", "sex": "MALE", "ethnicity": "WBRI" } }),
            ),
            // Before the child enters care: a round begun at home goes on on the new case.
            op(
                "recordLegalStepAtHome",
                Check::Authority(Action::RecordLegalStepAtHome),
                "mutation($i: RecordLegalStepAtHomeInput!) { recordLegalStepAtHome(input: $i) { duplicate } }",
                json!({ "i": { "childId": child, "step": "PRE_PROCEEDINGS_STARTED", "occurredOn": "2026-03-02",
                               "team": "Team A" } }),
            ),
            op(
                "enterCare",
                Check::Authority(Action::EnterCare),
                "mutation($i: EnterCareInput!) { enterCare(input: $i) { case { id } } }",
                json!({ "i": { "childId": child, "enteredCareOn": "2026-04-01", "legalStatus": "C1",
                               "placement": "U6", "provider": "PR1" } }),
            ),
            op(
                "schedulePanelMeeting",
                Check::Authority(Action::SchedulePanelMeeting),
                "mutation($i: SchedulePanelMeetingInput!) { schedulePanelMeeting(input: $i) { id } }",
                json!({ "i": { "localAuthority": TEST_AUTHORITY, "kind": "FOSTERING", "sitsOn": "2026-12-03", "chair": "chair.tester" } }),
            ),
            op(
                "setPanelMembers",
                Check::Authority(Action::SchedulePanelMeeting),
                "mutation($i: SetPanelMembersInput!) { setPanelMembers(input: $i) { members } }",
                json!({ "i": { "meetingId": fx.member_meeting, "members": [test_username(Role::PanelMember)] } }),
            ),
            op(
                "acknowledgeNotification",
                Check::Global(Action::AcknowledgeNotification),
                "mutation($id: UUID!) { acknowledgeNotification(id: $id) { id } }",
                json!({ "id": "00000000-0000-7000-8000-000000000000" }),
            ),
        ]);
    }
    ops
}

/// The writes that end the panel items (and with them the panel member's reach), and the
/// meeting's own status: run last.
fn closing_writes(fx: &Fixture, on: On) -> Vec<Op> {
    let mut ops = vec![
        op(
            "recordAgencyDecision",
            Check::Case(Action::RecordAgencyDecision, on),
            "mutation($i: RecordAgencyDecisionInput!) { recordAgencyDecision(input: $i) { item { status } } }",
            json!({ "i": { "itemId": fx.item(on), "agrees": true, "occurredOn": "2026-11-25" } }),
        ),
        op(
            "withdrawAgendaItem",
            Check::Case(Action::AddAgendaItem, on),
            "mutation($i: PanelItemCommandInput!) { withdrawAgendaItem(input: $i) { status } }",
            json!({ "i": { "itemId": fx.item(on) } }),
        ),
    ];
    if on == On::Allocated {
        ops.extend([
            op(
                "holdPanelMeeting",
                Check::Authority(Action::SchedulePanelMeeting),
                "mutation($i: PanelMeetingCommandInput!) { holdPanelMeeting(input: $i) { status } }",
                json!({ "i": { "meetingId": fx.member_meeting } }),
            ),
            op(
                "cancelPanelMeeting",
                Check::Authority(Action::SchedulePanelMeeting),
                "mutation($i: PanelMeetingCommandInput!) { cancelPanelMeeting(input: $i) { status } }",
                json!({ "i": { "meetingId": fx.member_meeting } }),
            ),
        ]);
    }
    ops
}

fn role_index(role: Role) -> usize {
    Role::ALL.iter().position(|r| *r == role).unwrap_or(0)
}

/// Whether the answer was a refusal for access, after checking that a refusal carries no
/// data and that no answer is a server error.
fn refused(op: &Op, role: Role, body: &Value) -> anyhow::Result<bool> {
    let codes: Vec<&str> = body
        .get("errors")
        .and_then(Value::as_array)
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e.pointer("/extensions/code").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    if codes.contains(&"INTERNAL") || codes.contains(&"BAD_REQUEST") {
        bail!("{} as {role:?}: {body}", op.field);
    }
    let forbidden = codes.contains(&"FORBIDDEN");
    if forbidden {
        let data = body.pointer(&format!("/data/{}", op.field));
        if data.is_some_and(|d| !d.is_null()) {
            bail!(
                "{} as {role:?} refused but answered with data: {body}",
                op.field
            );
        }
    }
    Ok(forbidden)
}

async fn run_matrix(server: &TestServer) -> anyhow::Result<()> {
    let fx = fixture(server).await?;
    let store = server.engine().store().clone();
    let mut covered = BTreeSet::new();
    let mut mismatches = Vec::new();
    let mut answers = 0;
    let mut refusals = 0;
    let rounds: [&dyn Fn(On, Role) -> Vec<Op>; 3] = [
        &|on, _| reads(&fx, on),
        &|on, role| writes(&fx, on, role),
        &|on, _| closing_writes(&fx, on),
    ];
    for round in rounds {
        for on in [On::Allocated, On::Unallocated] {
            let count = round(on, Role::SocialWorker).len();
            for index in 0..count {
                for role in Role::ALL {
                    let ops = round(on, *role);
                    let op = &ops[index];
                    covered.insert(op.field);
                    let audited_before = if op.field == "child" {
                        store
                            .audit_of_record("CHILD", fx.child(on), 1_000)
                            .await?
                            .len()
                    } else {
                        0
                    };
                    let body = server
                        .graphql_as(*role, &op.document, op.variables.clone())
                        .await?;
                    answers += 1;
                    let expected = allowed(&op.check, *role);
                    let got = !refused(op, *role, &body)?;
                    refusals += usize::from(!got);
                    if expected != got {
                        mismatches.push(format!(
                            "{} on {on:?} as {role:?}: expected {}, got {}: {body}",
                            op.field,
                            if expected { "allowed" } else { "FORBIDDEN" },
                            if got { "allowed" } else { "FORBIDDEN" },
                        ));
                    }
                    if op.field == "child" && got {
                        let rows = store.audit_of_record("CHILD", fx.child(on), 1_000).await?;
                        let mine = rows
                            .iter()
                            .filter(|r| r.actor == test_username(*role) && r.query == "child")
                            .count();
                        if rows.len() <= audited_before || mine == 0 {
                            mismatches.push(format!(
                                "child on {on:?} as {role:?}: read without an audit row"
                            ));
                        }
                    }
                }
            }
        }
    }
    if !mismatches.is_empty() {
        bail!(
            "{} of {answers} answers differ from the policy:\n{}",
            mismatches.len(),
            mismatches.join("\n")
        );
    }
    eprintln!("{answers} answers as the policy says, {refusals} of them FORBIDDEN");
    let api = api_fields()?;
    let missing: Vec<&String> = api
        .iter()
        .filter(|f| !covered.contains(f.as_str()))
        .collect();
    if !missing.is_empty() {
        bail!("operations of the API not in the matrix: {missing:?}");
    }
    Ok(())
}

/// The fields of `Query` and `Mutation` in the committed schema.
fn api_fields() -> anyhow::Result<Vec<String>> {
    let sdl = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql"))?;
    let mut fields = Vec::new();
    for root in ["type Query {", "type Mutation {"] {
        let start = sdl
            .find(root)
            .with_context(|| format!("{root} in schema.graphql"))?;
        let body = &sdl[start + root.len()..];
        let end = body.find("\n}").context("end of type")?;
        let mut in_description = false;
        for line in body[..end].lines() {
            let line = line.trim();
            if line.starts_with("\"\"\"") {
                // A one-line description opens and closes on the same line.
                if !(line.len() > 3 && line.ends_with("\"\"\"")) {
                    in_description = !in_description;
                }
                continue;
            }
            if in_description || line.is_empty() {
                continue;
            }
            let name: String = line
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && line[name.len()..].starts_with(['(', ':']) {
                fields.push(name);
            }
        }
    }
    Ok(fields)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_for_every_role_on_sqlite() -> anyhow::Result<()> {
    let server = TestServer::start(Backend::Sqlite).await?;
    run_matrix(&server).await?;
    server.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_for_every_role_on_postgres() -> anyhow::Result<()> {
    let server = TestServer::start(Backend::Postgres).await?;
    run_matrix(&server).await?;
    server.stop().await
}

#[test]
fn the_schema_lists_the_api_fields() -> anyhow::Result<()> {
    let fields = api_fields()?;
    for expected in [
        "child",
        "cases",
        "today",
        "registerChild",
        "acknowledgeNotification",
    ] {
        anyhow::ensure!(
            fields.iter().any(|f| f == expected),
            "{expected} not found in {fields:?}"
        );
    }
    anyhow::ensure!(
        !fields.iter().any(|f| f == "first" || f == "decided"),
        "description text taken for a field: {fields:?}"
    );
    Ok(())
}

/// The `String` fields (and lists of strings) of an input type in the committed schema.
fn string_fields(input_type: &str) -> anyhow::Result<Vec<(String, bool)>> {
    let sdl = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql"))?;
    let head = format!("input {input_type} {{");
    let start = sdl
        .find(&head)
        .with_context(|| format!("{head} in schema.graphql"))?;
    let body = &sdl[start + head.len()..];
    let end = body.find("\n}").context("end of input")?;
    let mut out = Vec::new();
    for line in body[..end].lines() {
        let line = line.trim();
        let Some((name, ty)) = line.split_once(": ") else {
            continue;
        };
        if name.chars().all(|c| c.is_ascii_alphanumeric()) {
            let ty = ty.split_whitespace().next().unwrap_or_default();
            match ty.trim_end_matches('!') {
                "String" => out.push((name.to_owned(), false)),
                "[String!]" => out.push((name.to_owned(), true)),
                _ => {}
            }
        }
    }
    Ok(out)
}

/// Every text field of every mutation, far too long: refused with `VALIDATION`, naming the
/// field, before anything is recorded.
async fn long_text_everywhere(server: &TestServer) -> anyhow::Result<()> {
    let fx = fixture(server).await?;
    let long = "x".repeat(5_000);
    let mut problems = Vec::new();
    let mut tried = 0;
    for op in writes(&fx, On::Allocated, Role::TeamManager) {
        let Some(input_type) = op
            .document
            .split_once("$i: ")
            .and_then(|(_, rest)| rest.split('!').next())
        else {
            continue;
        };
        let Some(role) = Role::ALL.iter().copied().find(|r| allowed(&op.check, *r)) else {
            continue;
        };
        for (field, is_list) in string_fields(input_type)? {
            let mut variables = op.variables.clone();
            let value = if is_list { json!([long]) } else { json!(long) };
            if let Some(input) = variables.get_mut("i").and_then(Value::as_object_mut) {
                input.insert(field.clone(), value);
            }
            let body = server.graphql_as(role, &op.document, variables).await?;
            tried += 1;
            let code = body
                .pointer("/errors/0/extensions/code")
                .and_then(Value::as_str);
            let named = body
                .pointer("/errors/0/extensions/field")
                .and_then(Value::as_str);
            if code != Some("VALIDATION") || named != Some(field.as_str()) {
                problems.push(format!("{}.{field}: {body}", op.field));
            }
        }
    }
    anyhow::ensure!(tried > 40, "only {tried} fields tried");
    if !problems.is_empty() {
        bail!(
            "{} of {tried} over-long fields not refused by name:\n{}",
            problems.len(),
            problems.join("\n")
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_long_text_is_refused_field_by_field() -> anyhow::Result<()> {
    let server = TestServer::start(Backend::Sqlite).await?;
    long_text_everywhere(&server).await?;
    server.stop().await
}
