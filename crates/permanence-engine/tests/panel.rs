//! The permanence panel through the engine, on a real SQLite file and a real PostgreSQL
//! database: meetings and agendas, documents, outcomes and decisions recorded in the same
//! transaction as the case's route, the queue, and the drift that follows a panel.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use chrono::NaiveDate;
use common::{LA, d, meta, meta_at, meta_with_id, new_child, open_case};
use permanence_domain::case::{DecisionContext, PlanRole};
use permanence_domain::deadlines::{RETURN_TO_PANEL, drift};
use permanence_domain::ids::{PanelItemId, PanelMeetingId};
use permanence_domain::panel::{
    PanelItemStatus, PanelKind, PanelMeetingStatus, PanelOutcome, PanelPurpose,
};
use permanence_domain::{
    CaseId, Command, Deadline, DomainError, DriftStatus, Event, Route, decide, derive_deadlines,
    evolve,
};
use permanence_engine::panel::{PanelItemOutcome, QueuedCase, ScheduleMeeting};
use permanence_engine::store::{
    Changes, DriftFilter, NewEvent, PanelHearing, PanelItemChange, PanelItemRecord,
    PanelMeetingRecord, RunError, StoreError,
};
use permanence_engine::{Engine, EngineError};
use uuid::Uuid;

// ----- helpers --------------------------------------------------------------------------------

async fn run(engine: &Engine, case_id: CaseId, command: Command) {
    let described = format!("{command:?}");
    engine
        .execute(&meta(), case_id, command)
        .await
        .unwrap_or_else(|e| panic!("{described} refused: {e:?}"));
}

async fn set_plan(engine: &Engine, case_id: CaseId, route: Route, on: NaiveDate) {
    run(
        engine,
        case_id,
        Command::SetRoutePlan {
            route,
            role: PlanRole::Primary,
            on,
        },
    )
    .await;
}

async fn step(engine: &Engine, case_id: CaseId, route: Route, key: &str, on: NaiveDate) {
    run(
        engine,
        case_id,
        Command::RecordRouteStep {
            route,
            step: key.to_owned(),
            on,
        },
    )
    .await;
}

/// A long-term fostering case whose carer was identified on `identified_on`: the panel is next.
async fn long_term_case(engine: &Engine, reference: &str, identified_on: NaiveDate) -> CaseId {
    let case = open_case(engine, reference, d(2025, 9, 1)).await;
    set_plan(engine, case.id, Route::LongTermFostering, d(2025, 10, 6)).await;
    step(
        engine,
        case.id,
        Route::LongTermFostering,
        "carer_identified",
        identified_on,
    )
    .await;
    case.id
}

/// An adoption case with a placement order and family finding on 2 February 2026: the
/// matching panel is next.
async fn adoption_case_ready_for_matching(engine: &Engine, reference: &str) -> CaseId {
    let case = open_case(engine, reference, d(2025, 9, 1)).await;
    set_plan(engine, case.id, Route::Adoption, d(2025, 10, 6)).await;
    step(
        engine,
        case.id,
        Route::Adoption,
        "shobpa_decision",
        d(2025, 11, 3),
    )
    .await;
    step(
        engine,
        case.id,
        Route::Adoption,
        "placement_order",
        d(2026, 1, 12),
    )
    .await;
    step(
        engine,
        case.id,
        Route::Adoption,
        "family_finding",
        d(2026, 2, 2),
    )
    .await;
    case.id
}

fn meeting_input(kind: PanelKind, sits_on: NaiveDate) -> ScheduleMeeting {
    ScheduleMeeting {
        local_authority: LA.to_owned(),
        kind,
        sits_on,
        chair: "panel chair 1".to_owned(),
        quorum_notes: Some("quorate: chair, social worker, independent member".to_owned()),
        members: vec!["member 2".to_owned(), "member 1".to_owned()],
    }
}

async fn schedule(engine: &Engine, kind: PanelKind, sits_on: NaiveDate) -> PanelMeetingRecord {
    engine
        .schedule_meeting(&meta(), meeting_input(kind, sits_on))
        .await
        .expect("meeting scheduled")
}

async fn add(
    engine: &Engine,
    meeting: PanelMeetingId,
    case_id: CaseId,
    purpose: PanelPurpose,
) -> PanelItemRecord {
    engine
        .add_agenda_item(&meta(), meeting, case_id, purpose, None)
        .await
        .unwrap_or_else(|e| panic!("item refused: {e:?}"))
}

async fn outcome(engine: &Engine, item: PanelItemId, outcome: PanelOutcome) -> PanelItemOutcome {
    engine
        .record_panel_outcome(&meta(), item, outcome)
        .await
        .unwrap_or_else(|e| panic!("outcome refused: {e:?}"))
}

async fn decide_item(
    engine: &Engine,
    item: PanelItemId,
    agrees: bool,
    on: NaiveDate,
) -> PanelItemOutcome {
    engine
        .record_agency_decision(&meta(), item, agrees, on)
        .await
        .unwrap_or_else(|e| panic!("decision refused: {e:?}"))
}

async fn queue(engine: &Engine, as_of: NaiveDate) -> Vec<QueuedCase> {
    engine
        .panel_waiting_page(LA, as_of, None, 100)
        .await
        .expect("queue")
}

async fn queued_ids(engine: &Engine, as_of: NaiveDate) -> Vec<CaseId> {
    queue(engine, as_of)
        .await
        .iter()
        .map(|q| q.case.id)
        .collect()
}

async fn deadlines(engine: &Engine, case_id: CaseId) -> Vec<Deadline> {
    engine
        .store()
        .deadlines_of_cases(&[case_id])
        .await
        .unwrap()
        .remove(&case_id)
        .unwrap_or_default()
}

async fn primary_step(engine: &Engine, case_id: CaseId) -> String {
    engine
        .store()
        .case(case_id)
        .await
        .unwrap()
        .unwrap()
        .state
        .primary_plan()
        .unwrap()
        .current_step()
        .to_owned()
}

fn after_panel_drift(as_of: NaiveDate) -> DriftFilter {
    DriftFilter {
        as_of,
        due_soon_days: 7,
        route: None,
        team: None,
        local_authority: Some(LA.to_owned()),
        after_panel_only: true,
        step: None,
        status: None,
        reach: Default::default(),
    }
}

fn not_allowed(result: Result<impl std::fmt::Debug, EngineError>) -> String {
    match result {
        Err(EngineError::Domain(DomainError::TransitionNotAllowed(message))) => message,
        other => panic!("expected TransitionNotAllowed, got {other:?}"),
    }
}

fn invalid_field(result: Result<impl std::fmt::Debug, EngineError>) -> String {
    match result {
        Err(EngineError::Domain(DomainError::Validation { field, .. })) => field,
        other => panic!("expected Validation, got {other:?}"),
    }
}

// ----- meetings, agendas, documents -------------------------------------------------------------

both_backends!(meetings_agendas_and_documents, |engine| async move {
    // A meeting needs its chair and an English authority.
    let mut blank_chair = meeting_input(PanelKind::Combined, d(2026, 7, 7));
    blank_chair.chair = "  ".to_owned();
    assert_eq!(
        invalid_field(engine.schedule_meeting(&meta(), blank_chair).await),
        "chair"
    );
    let mut wrong_la = meeting_input(PanelKind::Combined, d(2026, 7, 7));
    wrong_la.local_authority = "W06000001".to_owned();
    assert_eq!(
        invalid_field(engine.schedule_meeting(&meta(), wrong_la).await),
        "localAuthority"
    );

    // Scheduling twice with one command id schedules one meeting.
    let once = meta();
    let meeting = engine
        .schedule_meeting(&once, meeting_input(PanelKind::Combined, d(2026, 7, 7)))
        .await
        .unwrap();
    let again = engine
        .schedule_meeting(&once, meeting_input(PanelKind::Combined, d(2026, 7, 7)))
        .await
        .unwrap();
    assert_eq!(again.id, meeting.id);
    assert_eq!(meeting.status, PanelMeetingStatus::Planned);
    assert_eq!(meeting.kind, PanelKind::Combined);
    assert_eq!(meeting.sits_on, d(2026, 7, 7));

    let a = long_term_case(&engine, "C0001", d(2026, 3, 2)).await;
    let b = long_term_case(&engine, "C0002", d(2026, 3, 3)).await;
    let c = adoption_case_ready_for_matching(&engine, "C0003").await;

    let first = add(&engine, meeting.id, a, PanelPurpose::LongTermFosterMatch).await;
    let second = add(&engine, meeting.id, b, PanelPurpose::LongTermFosterMatch).await;
    assert_eq!((first.position, second.position), (1, 2));
    assert_eq!(first.status, PanelItemStatus::Scheduled);
    // At the top of the agenda: the others move down.
    let add_once = meta();
    let top = engine
        .add_agenda_item(
            &add_once,
            meeting.id,
            c,
            PanelPurpose::AdoptionMatch,
            Some(1),
        )
        .await
        .unwrap();
    let repeat = engine
        .add_agenda_item(
            &add_once,
            meeting.id,
            c,
            PanelPurpose::AdoptionMatch,
            Some(1),
        )
        .await
        .unwrap();
    assert_eq!(repeat.id, top.id, "the same command id adds one item");
    let agenda = engine.panel_agenda(meeting.id).await.unwrap();
    assert_eq!(
        agenda
            .items
            .iter()
            .map(|i| (i.item.case_id, i.item.position))
            .collect::<Vec<_>>(),
        [(c, 1), (a, 2), (b, 3)]
    );
    assert!(agenda.items.iter().all(|i| i.hearable));

    // Refusals a panel administrator can act on.
    let twice = engine
        .add_agenda_item(
            &meta(),
            meeting.id,
            a,
            PanelPurpose::LongTermFosterMatch,
            None,
        )
        .await;
    assert!(
        matches!(&twice, Err(EngineError::Conflict(m)) if m.contains("already on a panel agenda")),
        "{twice:?}"
    );
    let fostering = schedule(&engine, PanelKind::Fostering, d(2026, 7, 14)).await;
    assert_eq!(
        invalid_field(
            engine
                .add_agenda_item(&meta(), fostering.id, c, PanelPurpose::AdoptionMatch, None)
                .await
        ),
        "purpose"
    );
    assert!(
        not_allowed(
            engine
                .add_agenda_item(&meta(), meeting.id, a, PanelPurpose::AdoptionMatch, None)
                .await
        )
        .contains("no active adoption plan")
    );
    let mut elsewhere = meeting_input(PanelKind::Combined, d(2026, 7, 21));
    elsewhere.local_authority = "E09000033".to_owned();
    let other_authority = engine.schedule_meeting(&meta(), elsewhere).await.unwrap();
    assert_eq!(
        invalid_field(
            engine
                .add_agenda_item(
                    &meta(),
                    other_authority.id,
                    b,
                    PanelPurpose::LongTermFosterMatch,
                    None
                )
                .await
        ),
        "caseId"
    );
    assert!(matches!(
        engine
            .add_agenda_item(
                &meta(),
                PanelMeetingId(Uuid::now_v7()),
                b,
                PanelPurpose::LongTermFosterMatch,
                None
            )
            .await,
        Err(EngineError::NotFound("panel meeting"))
    ));

    // Withdrawing the top item moves the others up; its case goes back to the queue.
    assert!(!queued_ids(&engine, d(2026, 6, 30)).await.contains(&c));
    let withdrawn = engine.withdraw_item(&meta(), top.id).await.unwrap();
    assert_eq!(withdrawn.status, PanelItemStatus::Withdrawn);
    let agenda = engine.panel_agenda(meeting.id).await.unwrap();
    assert_eq!(
        agenda
            .items
            .iter()
            .map(|i| (i.item.case_id, i.item.position))
            .collect::<Vec<_>>(),
        [(a, 1), (b, 2)]
    );
    assert!(queued_ids(&engine, d(2026, 6, 30)).await.contains(&c));

    // Documents: readiness per case and purpose, in the purpose's order.
    let checklist = engine
        .set_document_readiness(c, PanelPurpose::AdoptionMatch, "medical_report", true)
        .await
        .unwrap();
    assert_eq!(checklist.required, 5);
    assert_eq!(checklist.ready, 1);
    engine
        .set_document_readiness(
            c,
            PanelPurpose::AdoptionMatch,
            "child_permanence_report",
            true,
        )
        .await
        .unwrap();
    let checklist = engine
        .set_document_readiness(c, PanelPurpose::AdoptionMatch, "medical_report", false)
        .await
        .unwrap();
    assert_eq!(checklist.ready, 1, "set back to not ready");
    assert_eq!(
        checklist
            .documents
            .iter()
            .map(|doc| (doc.document, doc.ready))
            .collect::<Vec<_>>(),
        [
            ("child_permanence_report", true),
            ("adoption_placement_report", false),
            ("prospective_adopter_report", false),
            ("medical_report", false),
            ("adoption_support_plan", false),
        ]
    );
    assert_eq!(
        invalid_field(
            engine
                .set_document_readiness(c, PanelPurpose::AdoptionMatch, "school_report", true)
                .await
        ),
        "document"
    );
    let queued_c = queue(&engine, d(2026, 6, 30))
        .await
        .into_iter()
        .find(|q| q.case.id == c)
        .unwrap();
    assert_eq!(queued_c.documents.ready, 1);
    assert!(!queued_c.documents.all_ready());

    // Cancelling withdraws what was not heard: both cases are back in the queue.
    let cancelled = engine.cancel_meeting(&meta(), meeting.id).await.unwrap();
    assert_eq!(cancelled.status, PanelMeetingStatus::Cancelled);
    let queued = queued_ids(&engine, d(2026, 6, 30)).await;
    assert!(queued.contains(&a) && queued.contains(&b), "{queued:?}");
    assert!(
        not_allowed(
            engine
                .add_agenda_item(
                    &meta(),
                    meeting.id,
                    a,
                    PanelPurpose::LongTermFosterMatch,
                    None
                )
                .await
        )
        .contains("cancelled")
    );
    for case_id in [a, b, c] {
        assert!(engine.verify_projection(case_id).await.unwrap());
    }
});

// ----- recording outcomes -----------------------------------------------------------------------

both_backends!(
    a_recommendation_moves_the_case_and_the_item_together,
    |engine| async move {
        let case_id = long_term_case(&engine, "C0001", d(2026, 3, 2)).await;
        let meeting = schedule(&engine, PanelKind::Permanence, d(2026, 4, 1)).await;
        let item = add(
            &engine,
            meeting.id,
            case_id,
            PanelPurpose::LongTermFosterMatch,
        )
        .await;
        let version_before = engine.store().case(case_id).await.unwrap().unwrap().version;

        // The administrator's view of the item is stale: nothing is recorded.
        let stale = engine
            .record_panel_outcome(
                &meta_at(item.version + 1),
                item.id,
                PanelOutcome::Recommended,
            )
            .await;
        assert!(
            matches!(stale, Err(EngineError::VersionConflict)),
            "{stale:?}"
        );

        let recorded = engine
            .record_panel_outcome(&meta_at(item.version), item.id, PanelOutcome::Recommended)
            .await
            .unwrap();
        assert!(!recorded.duplicate);
        assert_eq!(recorded.item.status, PanelItemStatus::Recommended);
        assert_eq!(recorded.item.recommendation_on, Some(d(2026, 4, 1)));
        assert_eq!(recorded.item.version, item.version + 1);
        assert_eq!(recorded.meeting.status, PanelMeetingStatus::Held);
        assert_eq!(recorded.case.version, version_before + 2);
        assert_eq!(
            recorded
                .recorded
                .iter()
                .map(|e| e.event.kind())
                .collect::<Vec<_>>(),
            ["PanelOutcomeRecorded", "RouteStepRecorded"]
        );
        assert!(
            recorded
                .recorded
                .iter()
                .all(|e| e.occurred_on == d(2026, 4, 1))
        );
        // The case projection and the item, read back, agree.
        assert_eq!(primary_step(&engine, case_id).await, "panel_recommendation");
        let stored_item = engine.store().panel_item(item.id).await.unwrap().unwrap();
        assert_eq!(stored_item.status, PanelItemStatus::Recommended);
        assert!(!queued_ids(&engine, d(2026, 6, 30)).await.contains(&case_id));

        // Recorded twice: refused, and nothing changes.
        let twice = engine
            .record_panel_outcome(&meta(), item.id, PanelOutcome::Recommended)
            .await;
        assert!(not_allowed(twice).contains("already recorded"));

        // Awaiting the decision: 7 working days from Wednesday 1 April 2026 is Tuesday 14 April
        // (Good Friday 3 April and Easter Monday 6 April are not working days).
        let waiting = engine
            .panel_awaiting_decision_page(LA, d(2026, 4, 9), None, 10)
            .await
            .unwrap();
        assert_eq!(waiting.len(), 1);
        assert_eq!(waiting[0].item.id, item.id);
        assert_eq!(waiting[0].decision_due_on, d(2026, 4, 14));
        assert_eq!(waiting[0].working_days_elapsed, 4);
        assert_eq!(waiting[0].working_days_allowed, 7);
        assert!(!waiting[0].overdue);
        let late = engine
            .panel_awaiting_decision_page(LA, d(2026, 4, 15), None, 10)
            .await
            .unwrap();
        assert!(late[0].overdue);
        assert_eq!(late[0].working_days_elapsed, 8);
        assert_eq!(engine.panel_awaiting_decision_count(LA).await.unwrap(), 1);
        assert!(engine.verify_projection(case_id).await.unwrap());
    }
);

both_backends!(
    an_outcome_the_route_refuses_changes_neither_case_nor_item,
    |engine| async move {
        let case = open_case(&engine, "C0001", d(2025, 9, 1)).await;
        set_plan(&engine, case.id, Route::Adoption, d(2025, 10, 6)).await;
        step(
            &engine,
            case.id,
            Route::Adoption,
            "shobpa_decision",
            d(2025, 11, 3),
        )
        .await;
        let meeting = schedule(&engine, PanelKind::Adoption, d(2026, 3, 2)).await;
        let item = add(&engine, meeting.id, case.id, PanelPurpose::AdoptionMatch).await;
        let before = engine.store().case(case.id).await.unwrap().unwrap();

        let refused = engine
            .record_panel_outcome(&meta(), item.id, PanelOutcome::Recommended)
            .await;
        let message = not_allowed(refused);
        assert!(
            message.contains("matching panel recommendation needs the family finding"),
            "{message}"
        );
        assert_eq!(engine.store().case(case.id).await.unwrap().unwrap(), before);
        let item_after = engine.store().panel_item(item.id).await.unwrap().unwrap();
        assert_eq!(item_after, item);
        let meeting_after = engine
            .store()
            .panel_meeting(meeting.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(meeting_after.status, PanelMeetingStatus::Planned);

        // A meeting that has not sat yet cannot record an outcome.
        let later = schedule(&engine, PanelKind::Adoption, d(2026, 7, 6)).await;
        let other = adoption_case_ready_for_matching(&engine, "C0002").await;
        let future_item = add(&engine, later.id, other, PanelPurpose::AdoptionMatch).await;
        assert!(
            not_allowed(
                engine
                    .record_panel_outcome(&meta(), future_item.id, PanelOutcome::Recommended)
                    .await
            )
            .contains("not sat yet")
        );
    }
);

both_backends!(
    an_item_change_that_fails_rolls_back_the_case_command,
    |engine| async move {
        // Straight at the store: the case's events and the item's change are one transaction.
        let case_id = long_term_case(&engine, "C0001", d(2026, 3, 2)).await;
        let meeting = schedule(&engine, PanelKind::Permanence, d(2026, 4, 1)).await;
        let item = add(
            &engine,
            meeting.id,
            case_id,
            PanelPurpose::LongTermFosterMatch,
        )
        .await;
        let before = engine.store().case(case_id).await.unwrap().unwrap();
        let ctx = DecisionContext {
            today: engine.today(),
            catalog: engine.catalog(),
        };
        let command = Command::RecordPanelOutcome {
            purpose: PanelPurpose::LongTermFosterMatch,
            outcome: PanelOutcome::Recommended,
            on: d(2026, 4, 1),
        };
        let result = engine
            .store()
            .run_case_command::<EngineError, _>(
                case_id,
                permanence_engine::store::CaseCommandKey {
                    id: Uuid::now_v7(),
                    kind: command.kind(),
                    opens_case_of: None,
                },
                common::now(),
                |state, _| {
                    let events = decide(state, &command, &ctx).map_err(EngineError::Domain)?;
                    let new_state = events.iter().fold(state.cloned(), evolve).unwrap();
                    Ok(Changes {
                        deadlines: derive_deadlines(&new_state, ctx.catalog, engine.timescales()),
                        events: events
                            .into_iter()
                            .map(|event| NewEvent {
                                id: Uuid::now_v7(),
                                event,
                                actor: "panel-admin".to_owned(),
                                recorded_at: common::now(),
                                note: None,
                            })
                            .collect(),
                        state: new_state,
                        panel_item: Some(PanelItemChange {
                            item_id: item.id,
                            expected_version: item.version + 5,
                            status: PanelItemStatus::Recommended,
                            hearing: Some(PanelHearing {
                                on: d(2026, 4, 1),
                                deferral: None,
                            }),
                            decision: None,
                            hold_meeting: Some(meeting.id),
                        }),
                        continues_from_home: None,
                    })
                },
            )
            .await;
        assert!(
            matches!(result, Err(RunError::Store(StoreError::VersionConflict))),
            "{result:?}"
        );
        assert_eq!(engine.store().case(case_id).await.unwrap().unwrap(), before);
        assert_eq!(
            engine.store().case_events(case_id).await.unwrap().len() as i64,
            before.version
        );
        assert_eq!(
            engine.store().panel_item(item.id).await.unwrap().unwrap(),
            item
        );
        assert_eq!(
            engine
                .store()
                .panel_meeting(meeting.id)
                .await
                .unwrap()
                .unwrap()
                .status,
            PanelMeetingStatus::Planned
        );
        assert!(engine.verify_projection(case_id).await.unwrap());
    }
);

both_backends!(
    a_repeated_command_id_records_the_outcome_once,
    |engine| async move {
        let case_id = long_term_case(&engine, "C0001", d(2026, 3, 2)).await;
        let meeting = schedule(&engine, PanelKind::Permanence, d(2026, 4, 1)).await;
        let item = add(
            &engine,
            meeting.id,
            case_id,
            PanelPurpose::LongTermFosterMatch,
        )
        .await;
        let command_id = Uuid::now_v7();
        let first = engine
            .record_panel_outcome(
                &meta_with_id(command_id),
                item.id,
                PanelOutcome::Recommended,
            )
            .await
            .unwrap();
        let second = engine
            .record_panel_outcome(
                &meta_with_id(command_id),
                item.id,
                PanelOutcome::Recommended,
            )
            .await
            .unwrap();
        assert!(!first.duplicate && second.duplicate);
        assert!(second.recorded.is_empty());
        assert_eq!(second.case.version, first.case.version);
        assert_eq!(second.item, first.item);
    }
);

// ----- deferral ---------------------------------------------------------------------------------

both_backends!(
    a_deferral_returns_the_case_to_the_queue_with_a_return_deadline,
    |engine| async move {
        let case_id = adoption_case_ready_for_matching(&engine, "C0001").await;
        let meeting = schedule(&engine, PanelKind::Adoption, d(2026, 3, 2)).await;
        let item = add(&engine, meeting.id, case_id, PanelPurpose::AdoptionMatch).await;
        assert!(!queued_ids(&engine, d(2026, 3, 2)).await.contains(&case_id));

        // A deferral needs a reason and a later date.
        let no_reason = engine
            .record_panel_outcome(
                &meta(),
                item.id,
                PanelOutcome::Deferred {
                    reason: " ".to_owned(),
                    return_by: d(2026, 4, 6),
                },
            )
            .await;
        assert_eq!(invalid_field(no_reason), "deferralReason");

        let deferred = outcome(
            &engine,
            item.id,
            PanelOutcome::Deferred {
                reason: "prospective adopter report not ready".to_owned(),
                return_by: d(2026, 4, 6),
            },
        )
        .await;
        assert_eq!(deferred.item.status, PanelItemStatus::Deferred);
        assert_eq!(deferred.item.recommendation_on, Some(d(2026, 3, 2)));
        assert_eq!(
            deferred.item.deferral_reason.as_deref(),
            Some("prospective adopter report not ready")
        );
        assert_eq!(deferred.item.return_by, Some(d(2026, 4, 6)));
        assert_eq!(deferred.meeting.status, PanelMeetingStatus::Held);
        assert_eq!(primary_step(&engine, case_id).await, "family_finding");
        assert_eq!(
            deferred
                .recorded
                .iter()
                .map(|e| e.event.kind())
                .collect::<Vec<_>>(),
            ["PanelOutcomeRecorded"]
        );

        // Back in the queue, with the date to return by.
        let queued = queue(&engine, d(2026, 3, 9)).await;
        let entry = queued
            .iter()
            .find(|q| q.case.id == case_id)
            .expect("queued");
        assert_eq!(entry.purpose, PanelPurpose::AdoptionMatch);
        assert_eq!(entry.return_by, Some(d(2026, 4, 6)));
        assert_eq!(entry.waiting_since, d(2026, 2, 2));
        assert_eq!(entry.days_waited, 35);

        // The 'return to panel by' deadline, after panel, and drifting once the date passes.
        let key = format!("plan1:{RETURN_TO_PANEL}:adoption_match");
        let back = deadlines(&engine, case_id)
            .await
            .into_iter()
            .find(|x| x.key == key)
            .expect("return deadline");
        assert_eq!(
            (back.started_on, back.due_on),
            (d(2026, 3, 2), d(2026, 4, 6))
        );
        assert!(back.after_panel);
        let rows = engine
            .store()
            .drift_page(&after_panel_drift(d(2026, 4, 10)), None, 100)
            .await
            .unwrap();
        let row = rows
            .iter()
            .find(|r| r.case_id == case_id && r.deadline.key == key)
            .expect("in drift after panel");
        let standing = drift(row.deadline.due_on, d(2026, 4, 10), 7);
        assert_eq!(standing.status, DriftStatus::Overdue);
        assert_eq!(standing.days_overdue, 4);

        // Back to a later panel: recommended, the return deadline goes and the decision's comes.
        let next = schedule(&engine, PanelKind::Adoption, d(2026, 4, 6)).await;
        let again = add(&engine, next.id, case_id, PanelPurpose::AdoptionMatch).await;
        outcome(&engine, again.id, PanelOutcome::Recommended).await;
        let now_due = deadlines(&engine, case_id).await;
        assert!(now_due.iter().all(|x| x.key != key), "{now_due:?}");
        assert!(now_due.iter().any(|x| x.rule == "adm_match_decision"));
        let history = engine
            .store()
            .panel_items_of_cases(&[case_id])
            .await
            .unwrap()
            .remove(&case_id)
            .unwrap();
        assert_eq!(
            history.iter().map(|i| i.status).collect::<Vec<_>>(),
            [PanelItemStatus::Deferred, PanelItemStatus::Recommended]
        );
        assert!(engine.verify_projection(case_id).await.unwrap());
    }
);

// ----- agency decisions -------------------------------------------------------------------------

both_backends!(
    a_decision_without_a_recommendation_is_refused,
    |engine| async move {
        let case_id = adoption_case_ready_for_matching(&engine, "C0001").await;
        let meeting = schedule(&engine, PanelKind::Adoption, d(2026, 3, 2)).await;
        let item = add(&engine, meeting.id, case_id, PanelPurpose::AdoptionMatch).await;
        let message = not_allowed(
            engine
                .record_agency_decision(&meta(), item.id, true, d(2026, 3, 4))
                .await,
        );
        assert!(
            message.contains("panel's recommendation first"),
            "{message}"
        );

        // The case command itself refuses too, naming the missing recommendation.
        let direct = engine
            .execute(
                &meta(),
                case_id,
                Command::RecordAgencyDecision {
                    purpose: PanelPurpose::AdoptionMatch,
                    agrees: true,
                    on: d(2026, 3, 4),
                },
            )
            .await;
        let message = not_allowed(direct);
        assert!(
            message.contains("match decision needs the matching panel recommendation first"),
            "{message}"
        );
        // And a panel that did not recommend leaves nothing to decide.
        outcome(&engine, item.id, PanelOutcome::NotRecommended).await;
        let message = not_allowed(
            engine
                .record_agency_decision(&meta(), item.id, true, d(2026, 3, 4))
                .await,
        );
        assert!(message.contains("did not recommend"), "{message}");
        assert_eq!(primary_step(&engine, case_id).await, "family_finding");
        assert!(engine.verify_projection(case_id).await.unwrap());
    }
);

both_backends!(
    a_match_decision_sets_the_placement_deadline_that_drifts_after_panel,
    |engine| async move {
        let case_id = adoption_case_ready_for_matching(&engine, "C0001").await;
        let meeting = schedule(&engine, PanelKind::Adoption, d(2026, 3, 2)).await;
        let item = add(&engine, meeting.id, case_id, PanelPurpose::AdoptionMatch).await;
        outcome(&engine, item.id, PanelOutcome::Recommended).await;

        // A decision before the panel sat is refused.
        assert_eq!(
            invalid_field(
                engine
                    .record_agency_decision(&meta(), item.id, true, d(2026, 2, 27))
                    .await
            ),
            "occurredOn"
        );
        let decided = decide_item(&engine, item.id, true, d(2026, 3, 5)).await;
        assert_eq!(decided.item.status, PanelItemStatus::Decided);
        assert_eq!(decided.item.decision_agrees, Some(true));
        assert_eq!(decided.item.decision_on, Some(d(2026, 3, 5)));
        assert_eq!(
            decided
                .recorded
                .iter()
                .map(|e| e.event.kind())
                .collect::<Vec<_>>(),
            ["AgencyDecisionRecorded", "RouteStepRecorded"]
        );
        assert_eq!(primary_step(&engine, case_id).await, "match_decision");
        assert!(
            engine
                .panel_awaiting_decision_page(LA, d(2026, 3, 5), None, 10)
                .await
                .unwrap()
                .is_empty()
        );

        // The placement is due 28 days after the match decision, and drifts after panel.
        let placement = deadlines(&engine, case_id)
            .await
            .into_iter()
            .find(|x| x.rule == "placement_after_match")
            .expect("placement due");
        assert_eq!(placement.due_on, d(2026, 4, 2));
        assert!(placement.after_panel);
        let rows = engine
            .store()
            .drift_page(&after_panel_drift(d(2026, 6, 30)), None, 100)
            .await
            .unwrap();
        assert_eq!(
            rows.iter()
                .filter(|r| r.case_id == case_id)
                .map(|r| r.deadline.rule.as_str())
                .collect::<Vec<_>>(),
            ["placement_after_match"]
        );
        assert!(rows.iter().all(|r| r.deadline.after_panel));
        assert!(engine.verify_projection(case_id).await.unwrap());
    }
);

both_backends!(
    disagreement_sends_the_case_back_to_the_queue,
    |engine| async move {
        let case_id = long_term_case(&engine, "C0001", d(2026, 3, 2)).await;
        let meeting = schedule(&engine, PanelKind::Fostering, d(2026, 4, 1)).await;
        let item = add(
            &engine,
            meeting.id,
            case_id,
            PanelPurpose::LongTermFosterMatch,
        )
        .await;
        outcome(&engine, item.id, PanelOutcome::Recommended).await;

        // While the decision is awaited the item cannot simply be withdrawn.
        assert!(
            not_allowed(engine.withdraw_item(&meta(), item.id).await)
                .contains("record the decision instead")
        );

        let decided = decide_item(&engine, item.id, false, d(2026, 4, 3)).await;
        assert_eq!(decided.item.status, PanelItemStatus::Decided);
        assert_eq!(decided.item.decision_agrees, Some(false));
        assert_eq!(
            decided
                .recorded
                .iter()
                .map(|e| e.event.kind())
                .collect::<Vec<_>>(),
            ["AgencyDecisionRecorded"]
        );
        assert_eq!(primary_step(&engine, case_id).await, "carer_identified");
        let events = engine.store().case_events(case_id).await.unwrap();
        assert!(events.iter().any(|e| matches!(
            &e.event,
            Event::RouteStepRecorded { step, .. } if step == "panel_recommendation"
        )));
        let due = deadlines(&engine, case_id).await;
        assert!(
            due.iter().all(|x| !x.after_panel),
            "no follow-through of a recommendation the decision maker did not agree with: {due:?}"
        );
        assert!(queued_ids(&engine, d(2026, 6, 30)).await.contains(&case_id));
        assert!(engine.verify_projection(case_id).await.unwrap());
    }
);

// ----- follow-through after panel ---------------------------------------------------------------

both_backends!(
    a_long_term_match_not_confirmed_drifts_until_it_is,
    |engine| async move {
        let case_id = long_term_case(&engine, "C0001", d(2026, 2, 16)).await;
        let meeting = schedule(&engine, PanelKind::Permanence, d(2026, 3, 2)).await;
        let item = add(
            &engine,
            meeting.id,
            case_id,
            PanelPurpose::LongTermFosterMatch,
        )
        .await;
        outcome(&engine, item.id, PanelOutcome::Recommended).await;
        decide_item(&engine, item.id, true, d(2026, 3, 4)).await;
        assert_eq!(primary_step(&engine, case_id).await, "match_approved");

        // 56 days after the panel of 2 March 2026 is 27 April; on 30 June it is 64 days overdue.
        let overdue_only = DriftFilter {
            status: Some(DriftStatus::Overdue),
            ..after_panel_drift(d(2026, 6, 30))
        };
        let rows = engine
            .store()
            .drift_page(&overdue_only, None, 100)
            .await
            .unwrap();
        let rows: Vec<_> = rows.iter().filter(|r| r.case_id == case_id).collect();
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0].deadline.rule, "long_term_match_confirmed");
        assert_eq!(rows[0].deadline.started_on, d(2026, 3, 2));
        assert_eq!(rows[0].deadline.due_on, d(2026, 4, 27));
        let standing = drift(rows[0].deadline.due_on, d(2026, 6, 30), 7);
        assert_eq!(standing.status, DriftStatus::Overdue);
        assert_eq!(standing.days_overdue, 64);

        // The match is confirmed for the long-term foster placement the child moves to.
        run(
            &engine,
            case_id,
            Command::RecordEpisode {
                on: d(2026, 6, 1),
                legal_status: None,
                placement: Some(permanence_domain::codes::PlacementType::U4),
                provider: Some(permanence_domain::codes::PlacementProvider::PR1),
                carer: Some("FC-LT".to_owned()),
                details: Default::default(),
            },
        )
        .await;
        step(
            &engine,
            case_id,
            Route::LongTermFostering,
            "match_confirmed",
            d(2026, 6, 1),
        )
        .await;
        let rows = engine
            .store()
            .drift_page(&overdue_only, None, 100)
            .await
            .unwrap();
        assert!(rows.iter().all(|r| r.case_id != case_id), "{rows:?}");
        assert!(engine.verify_projection(case_id).await.unwrap());
    }
);

// ----- the queue --------------------------------------------------------------------------------

both_backends!(
    the_queue_lists_the_longest_waiting_first,
    |engine| async move {
        let newest = long_term_case(&engine, "C0001", d(2026, 5, 4)).await;
        let oldest = long_term_case(&engine, "C0002", d(2026, 1, 5)).await;
        let middle = adoption_case_ready_for_matching(&engine, "C0003").await; // since 2 Feb 2026
        let on_agenda = long_term_case(&engine, "C0004", d(2025, 12, 1)).await;
        let not_yet = open_case(&engine, "C0005", d(2025, 9, 1)).await;
        set_plan(
            &engine,
            not_yet.id,
            Route::LongTermFostering,
            d(2025, 10, 6),
        )
        .await;
        // Another authority's case never shows.
        let elsewhere_child = {
            let mut child = new_child("C0006");
            child.local_authority = "E09000033".to_owned();
            engine.register_child(&meta(), child).await.unwrap()
        };
        let elsewhere = engine
            .enter_care(
                &meta(),
                common::enter_care_input(elsewhere_child.id, d(2025, 9, 1)),
            )
            .await
            .unwrap()
            .case;
        set_plan(
            &engine,
            elsewhere.id,
            Route::LongTermFostering,
            d(2025, 10, 6),
        )
        .await;
        step(
            &engine,
            elsewhere.id,
            Route::LongTermFostering,
            "carer_identified",
            d(2025, 11, 3),
        )
        .await;

        let meeting = schedule(&engine, PanelKind::Combined, d(2026, 7, 7)).await;
        add(
            &engine,
            meeting.id,
            on_agenda,
            PanelPurpose::LongTermFosterMatch,
        )
        .await;

        let as_of = d(2026, 6, 30);
        let queued = queue(&engine, as_of).await;
        assert_eq!(
            queued
                .iter()
                .map(|q| (q.case.id, q.waiting_since, q.days_waited, q.purpose))
                .collect::<Vec<_>>(),
            [
                (
                    oldest,
                    d(2026, 1, 5),
                    176,
                    PanelPurpose::LongTermFosterMatch
                ),
                (middle, d(2026, 2, 2), 148, PanelPurpose::AdoptionMatch),
                (newest, d(2026, 5, 4), 57, PanelPurpose::LongTermFosterMatch),
            ]
        );
        assert!(queued.iter().all(|q| !q.panel_optional));
        assert!(queued.iter().all(|q| q.return_by.is_none()));
        assert_eq!(engine.panel_waiting_count(LA).await.unwrap(), 3);

        // Paged: two, then the rest after the cursor.
        let page = engine.panel_waiting_page(LA, as_of, None, 2).await.unwrap();
        assert_eq!(page.len(), 2);
        let rest = engine
            .panel_waiting_page(LA, as_of, Some(&page[1].cursor()), 2)
            .await
            .unwrap();
        assert_eq!(rest.iter().map(|q| q.case.id).collect::<Vec<_>>(), [newest]);

        // The whole picture: waiting, the agenda of the meeting to come, nothing awaiting decision.
        let panel = engine.panel_queue(LA, as_of, 10).await.unwrap();
        assert_eq!(panel.waiting.len(), 3);
        assert_eq!(panel.waiting_total, 3);
        assert_eq!(panel.agendas.len(), 1);
        assert_eq!(panel.agendas[0].meeting.id, meeting.id);
        assert_eq!(
            panel.agendas[0]
                .items
                .iter()
                .map(|i| i.item.case_id)
                .collect::<Vec<_>>(),
            [on_agenda]
        );
        assert_eq!(panel.agendas[0].items[0].documents.required, 3);
        assert!(panel.awaiting_decision.is_empty());
        assert_eq!(panel.awaiting_decision_total, 0);

        // A meeting that sat with items not yet recorded is still on the list; a cancelled one is not.
        let sat = schedule(&engine, PanelKind::Combined, d(2026, 6, 2)).await;
        add(&engine, sat.id, newest, PanelPurpose::LongTermFosterMatch).await;
        let empty_past = schedule(&engine, PanelKind::Combined, d(2026, 6, 9)).await;
        let cancelled = schedule(&engine, PanelKind::Combined, d(2026, 7, 14)).await;
        engine.cancel_meeting(&meta(), cancelled.id).await.unwrap();
        let agendas = engine.panel_agendas(LA, as_of, 10).await.unwrap();
        assert_eq!(
            agendas.iter().map(|a| a.meeting.id).collect::<Vec<_>>(),
            [sat.id, meeting.id]
        );
        assert!(agendas.iter().all(|a| a.meeting.id != empty_past.id));

        for case_id in [newest, oldest, middle, on_agenda, not_yet.id, elsewhere.id] {
            assert!(engine.verify_projection(case_id).await.unwrap());
        }
    }
);

both_backends!(
    an_adoption_plan_awaiting_its_shobpa_panel_is_queued_as_optional,
    |engine| async move {
        let case = open_case(&engine, "C0001", d(2025, 9, 1)).await;
        set_plan(&engine, case.id, Route::Adoption, d(2025, 10, 6)).await;
        let queued = queue(&engine, d(2026, 6, 30)).await;
        assert_eq!(queued.len(), 1);
        assert_eq!(queued[0].purpose, PanelPurpose::ShobpaConsent);
        assert_eq!(queued[0].step, "plan_endorsed");
        assert_eq!(queued[0].waiting_since, d(2025, 10, 6));
        assert!(queued[0].panel_optional);

        // Heard and recommended, then the decision maker agrees: the case has its SHOBPA decision.
        let meeting = schedule(&engine, PanelKind::Adoption, d(2025, 11, 3)).await;
        let item = add(&engine, meeting.id, case.id, PanelPurpose::ShobpaConsent).await;
        outcome(&engine, item.id, PanelOutcome::Recommended).await;
        assert_eq!(
            primary_step(&engine, case.id).await,
            "adoption_panel_recommendation"
        );
        decide_item(&engine, item.id, true, d(2025, 11, 6)).await;
        assert_eq!(primary_step(&engine, case.id).await, "shobpa_decision");
        assert!(queue(&engine, d(2026, 6, 30)).await.is_empty());
        assert!(engine.verify_projection(case.id).await.unwrap());
    }
);

// ----- concurrency and stored data ------------------------------------------------------------

both_backends!(two_outcomes_at_once_record_one, |engine| async move {
    let case_id = long_term_case(&engine, "C0001", d(2026, 3, 2)).await;
    let meeting = schedule(&engine, PanelKind::Permanence, d(2026, 4, 1)).await;
    let item = add(
        &engine,
        meeting.id,
        case_id,
        PanelPurpose::LongTermFosterMatch,
    )
    .await;
    // Both outcomes are allowed by the route (neither moves it), so only the item's version
    // can tell the loser that it lost.
    let outcomes = [
        PanelOutcome::NotRecommended,
        PanelOutcome::Deferred {
            reason: "carer assessment to update".to_owned(),
            return_by: d(2026, 5, 6),
        },
    ];
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(outcomes.len()));
    let tasks: Vec<_> = outcomes
        .into_iter()
        .map(|outcome| {
            let engine = engine.clone();
            let start = start.clone();
            tokio::spawn(async move {
                start.wait().await;
                engine.record_panel_outcome(&meta(), item.id, outcome).await
            })
        })
        .collect();
    let mut accepted = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => accepted += 1,
            Err(EngineError::Domain(DomainError::TransitionNotAllowed(message))) => {
                assert!(message.contains("already recorded"), "{message}");
            }
            Err(other) => panic!("unexpected refusal {other:?}"),
        }
    }
    assert_eq!(accepted, 1);
    let recorded = engine
        .store()
        .case_events(case_id)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.event.kind() == "PanelOutcomeRecorded")
        .count();
    assert_eq!(recorded, 1);
    let stored = engine.store().panel_item(item.id).await.unwrap().unwrap();
    assert_eq!(stored.version, item.version + 1);
    assert!(matches!(
        stored.status,
        PanelItemStatus::NotRecommended | PanelItemStatus::Deferred
    ));
    assert!(engine.verify_projection(case_id).await.unwrap());
});

both_backends!(
    one_case_added_twice_at_once_is_on_the_agenda_once,
    |engine| async move {
        let case_id = long_term_case(&engine, "C0001", d(2026, 3, 2)).await;
        let first = schedule(&engine, PanelKind::Permanence, d(2026, 7, 7)).await;
        let second = schedule(&engine, PanelKind::Permanence, d(2026, 7, 14)).await;
        let start = std::sync::Arc::new(tokio::sync::Barrier::new(2));
        let tasks: Vec<_> = [first.id, second.id]
            .into_iter()
            .map(|meeting| {
                let engine = engine.clone();
                let start = start.clone();
                tokio::spawn(async move {
                    start.wait().await;
                    engine
                        .add_agenda_item(
                            &meta(),
                            meeting,
                            case_id,
                            PanelPurpose::LongTermFosterMatch,
                            None,
                        )
                        .await
                })
            })
            .collect();
        let mut added = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => added += 1,
                Err(EngineError::Conflict(message)) => {
                    assert!(message.contains("already on a panel agenda"), "{message}");
                }
                Err(other) => panic!("unexpected refusal {other:?}"),
            }
        }
        assert_eq!(added, 1);
        let items = engine
            .store()
            .panel_items_of_cases(&[case_id])
            .await
            .unwrap()
            .remove(&case_id)
            .unwrap();
        assert_eq!(items.len(), 1);
    }
);

both_backends!(
    a_meeting_that_sat_without_outcomes_can_be_marked_held,
    |engine| async move {
        let past = schedule(&engine, PanelKind::Combined, d(2026, 6, 2)).await;
        let future = schedule(&engine, PanelKind::Combined, d(2026, 7, 7)).await;
        assert!(not_allowed(engine.hold_meeting(&meta(), future.id).await).contains("not sat yet"));
        let held = engine.hold_meeting(&meta(), past.id).await.unwrap();
        assert_eq!(held.status, PanelMeetingStatus::Held);
        assert_eq!(held.version, past.version + 1);
        assert!(not_allowed(engine.cancel_meeting(&meta(), past.id).await).contains("held"));
        // Stale version: refused.
        let stale = engine
            .cancel_meeting(&meta_at(future.version + 3), future.id)
            .await;
        assert!(
            matches!(stale, Err(EngineError::VersionConflict)),
            "{stale:?}"
        );
        let cancelled = engine
            .cancel_meeting(&meta_at(future.version), future.id)
            .await
            .unwrap();
        assert_eq!(cancelled.status, PanelMeetingStatus::Cancelled);
    }
);

both_backends!(
    cases_projected_before_the_panel_existed_are_queued_by_their_wait,
    |engine| async move {
        // Created in this order, the case waiting longest has the larger id.
        let recent = long_term_case(&engine, "C0001", d(2026, 5, 4)).await;
        let longest = long_term_case(&engine, "C0002", d(2026, 1, 5)).await;
        // As a projection written before the column existed would have it.
        engine
            .store()
            .execute_raw_for_tests("UPDATE cases SET primary_step_on = NULL")
            .await
            .unwrap();
        engine.store().migrate().await.unwrap();
        assert_eq!(queued_ids(&engine, d(2026, 6, 30)).await, [longest, recent]);
        for case_id in [recent, longest] {
            assert!(engine.verify_projection(case_id).await.unwrap());
        }
    }
);

both_backends!(
    the_chair_and_members_reach_the_cases_on_the_open_agenda,
    |engine: Engine| async move {
        let case_id = long_term_case(&engine, "MEM1", d(2026, 1, 5)).await;
        let meeting = schedule(&engine, PanelKind::Fostering, d(2026, 6, 20)).await;
        let members = engine
            .store()
            .panel_members_of_meetings(&[meeting.id])
            .await
            .expect("members");
        assert_eq!(
            members.get(&meeting.id).map(Vec::as_slice),
            Some(["member 1".to_owned(), "member 2".to_owned()].as_slice()),
            "listed in order"
        );
        let reaches = |user: &'static str| {
            let engine = engine.clone();
            async move {
                engine
                    .store()
                    .case_on_agenda_of(case_id, user)
                    .await
                    .expect("reach")
            }
        };
        assert!(!reaches("member 1").await, "not on the agenda yet");
        add(
            &engine,
            meeting.id,
            case_id,
            PanelPurpose::LongTermFosterMatch,
        )
        .await;
        assert!(reaches("member 1").await && reaches("panel chair 1").await);
        assert!(!reaches("member 3").await);

        let changed = engine
            .set_panel_members(&meta(), meeting.id, &["member 3".to_owned()])
            .await
            .expect("members set");
        assert!(changed.version > meeting.version);
        assert!(reaches("member 3").await && !reaches("member 1").await);
        let stale = engine
            .set_panel_members(&meta_at(meeting.version), meeting.id, &[])
            .await;
        assert!(
            matches!(stale, Err(EngineError::VersionConflict)),
            "{stale:?}"
        );
        let too_many: Vec<String> = (0..31).map(|i| format!("member {i}")).collect();
        let refused = engine
            .set_panel_members(&meta(), meeting.id, &too_many)
            .await;
        assert!(
            matches!(&refused, Err(EngineError::Domain(DomainError::Validation { field, .. })) if field == "members"),
            "{refused:?}"
        );
    }
);
