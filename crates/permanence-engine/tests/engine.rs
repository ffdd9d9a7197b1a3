//! The store and engine on real databases: every test runs on a SQLite file and on a fresh
//! PostgreSQL database, through real migrations, with no mocks.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use common::{d, enter_care_input, meta, meta_at, meta_with_id, new_child, open_case};
use permanence_domain::case::PlanRole;
use permanence_domain::codes::ReasonCeased;
use permanence_domain::{CaseId, Command, DomainError, DriftStatus, Route};
use permanence_engine::store::{
    Backend, CaseFilter, DriftCursor, DriftFilter, DriftRow, StoredEvent,
};
use permanence_engine::{CaseOutcome, Engine, EngineError};
use std::sync::Arc;
use tokio::sync::Barrier;
use uuid::Uuid;

// ----- helpers --------------------------------------------------------------------------------

async fn events(engine: &Engine, case_id: CaseId) -> Vec<StoredEvent> {
    engine
        .store()
        .case_events(case_id)
        .await
        .expect("read events")
}

async fn version(engine: &Engine, case_id: CaseId) -> i64 {
    engine
        .store()
        .case(case_id)
        .await
        .expect("read case")
        .expect("case exists")
        .version
}

async fn run(engine: &Engine, case_id: CaseId, command: Command) -> CaseOutcome {
    let described = format!("{command:?}");
    engine
        .execute(&meta(), case_id, command)
        .await
        .unwrap_or_else(|e| panic!("{described} refused: {e:?}"))
}

async fn set_plan(
    engine: &Engine,
    case_id: CaseId,
    route: Route,
    on: chrono::NaiveDate,
) -> CaseOutcome {
    run(
        engine,
        case_id,
        Command::SetRoutePlan {
            route,
            role: PlanRole::Primary,
            on,
        },
    )
    .await
}

async fn step(
    engine: &Engine,
    case_id: CaseId,
    route: Route,
    key: &str,
    on: chrono::NaiveDate,
) -> CaseOutcome {
    run(
        engine,
        case_id,
        Command::RecordRouteStep {
            route,
            step: key.to_owned(),
            on,
        },
    )
    .await
}

fn allocate(team: &str) -> Command {
    Command::AllocateCase {
        on: d(2025, 2, 3),
        team: Some(team.to_owned()),
        allocated_worker: Some("worker-2".to_owned()),
    }
}

/// The sequence numbers are 1..=n without a gap, and the version is n.
async fn assert_gap_free(engine: &Engine, case_id: CaseId) {
    let stored = events(engine, case_id).await;
    let sequences: Vec<i64> = stored.iter().map(|e| e.sequence).collect();
    let expected: Vec<i64> = (1..=i64::try_from(stored.len()).unwrap()).collect();
    assert_eq!(sequences, expected, "sequence numbers are 1..=n");
    assert_eq!(
        version(engine, case_id).await,
        i64::try_from(stored.len()).unwrap()
    );
}

/// An opened case with a long-term fostering plan up to its panel recommendation.
async fn long_term_case_at_panel(
    engine: &Engine,
    reference: &str,
    panel_on: chrono::NaiveDate,
) -> CaseId {
    let case = open_case(engine, reference, d(2026, 1, 5)).await;
    set_plan(engine, case.id, Route::LongTermFostering, d(2026, 2, 2)).await;
    step(
        engine,
        case.id,
        Route::LongTermFostering,
        "carer_identified",
        d(2026, 3, 2),
    )
    .await;
    step(
        engine,
        case.id,
        Route::LongTermFostering,
        "panel_recommendation",
        panel_on,
    )
    .await;
    case.id
}

fn drift_filter(as_of: chrono::NaiveDate) -> DriftFilter {
    DriftFilter {
        as_of,
        due_soon_days: 7,
        route: None,
        team: None,
        local_authority: None,
        after_panel_only: false,
        step: None,
        status: None,
        reach: Default::default(),
    }
}

fn drift_order(row: &DriftRow) -> (chrono::NaiveDate, CaseId, String) {
    (row.deadline.due_on, row.case_id, row.deadline.key.clone())
}

// ----- 1. a whole adoption ---------------------------------------------------------------------

both_backends!(adoption_to_order_and_closure, |engine| async move {
    let case = open_case(&engine, "C0001", d(2025, 1, 6)).await;
    assert_eq!(case.version, 1);
    assert!(engine.verify_projection(case.id).await.unwrap());

    let plan = set_plan(&engine, case.id, Route::Adoption, d(2025, 2, 3)).await;
    assert!(!plan.duplicate);
    assert_eq!(plan.recorded.len(), 1);
    assert_eq!(plan.recorded[0].sequence, 2);

    let steps = [
        ("shobpa_decision", d(2025, 3, 3)),
        ("placement_order", d(2025, 4, 7)),
        ("family_finding", d(2025, 4, 14)),
        ("matching_panel_recommendation", d(2025, 6, 2)),
        ("match_decision", d(2025, 6, 5)),
        ("placed_for_adoption", d(2025, 6, 16)),
        // At least 10 weeks after the placement.
        ("adoption_application", d(2025, 9, 1)),
        ("adoption_order", d(2025, 12, 1)),
    ];
    for (key, on) in steps {
        let before = version(&engine, case.id).await;
        let outcome = step(&engine, case.id, Route::Adoption, key, on).await;
        assert_eq!(outcome.case.version, before + 1, "{key} adds one event");
        assert_eq!(outcome.recorded.len(), 1);
        assert_eq!(outcome.recorded[0].sequence, before + 1);
        assert_eq!(
            outcome.case.state.primary_plan().unwrap().current_step(),
            key
        );
        assert!(
            engine.verify_projection(case.id).await.unwrap(),
            "projection after {key}"
        );
    }
    assert!(
        engine
            .store()
            .case(case.id)
            .await
            .unwrap()
            .unwrap()
            .state
            .plans[0]
            .achieved
    );

    let close_meta = meta();
    let closed = engine
        .execute(
            &close_meta,
            case.id,
            Command::CloseCase {
                on: d(2025, 12, 1),
                reason: ReasonCeased::E11,
            },
        )
        .await
        .expect("close with E11 after the adoption order");
    // The plan ends with the case, then the case closes.
    assert_eq!(
        closed
            .recorded
            .iter()
            .map(|e| e.event.kind())
            .collect::<Vec<_>>(),
        ["RoutePlanEnded", "CaseClosed"]
    );
    assert!(
        closed
            .recorded
            .iter()
            .all(|e| e.command_id == close_meta.command_id.unwrap())
    );
    assert!(!closed.case.state.is_open());

    let stored = events(&engine, case.id).await;
    // Opened, plan, 8 steps, plan ended, closed.
    assert_eq!(stored.len(), 12);
    assert_eq!(stored.first().unwrap().event.kind(), "CaseOpened");
    assert_eq!(stored.last().unwrap().event.kind(), "CaseClosed");
    assert!(
        stored
            .iter()
            .all(|e| e.actor == "worker-1" && e.case_id == case.id)
    );
    assert_gap_free(&engine, case.id).await;
    assert_eq!(closed.case.version, 12);
    assert!(engine.verify_projection(case.id).await.unwrap());

    // A closed case has no open deadlines, and is listed as closed.
    let deadlines = engine.store().deadlines_of_cases(&[case.id]).await.unwrap();
    assert!(
        deadlines.get(&case.id).is_none_or(Vec::is_empty),
        "{deadlines:?}"
    );
    let closed_cases = engine
        .store()
        .cases_page(
            &CaseFilter {
                open: Some(false),
                ..CaseFilter::default()
            },
            None,
            10,
        )
        .await
        .unwrap();
    assert_eq!(
        closed_cases.iter().map(|c| c.id).collect::<Vec<_>>(),
        [case.id]
    );
});

// ----- 2. a refused step stores nothing ---------------------------------------------------------

both_backends!(refused_step_stores_nothing, |engine| async move {
    let case = open_case(&engine, "C0001", d(2025, 1, 6)).await;
    set_plan(&engine, case.id, Route::Adoption, d(2025, 2, 3)).await;
    let before_version = version(&engine, case.id).await;
    let before_events = events(&engine, case.id).await;
    let before_deadlines = engine.store().deadlines_of_cases(&[case.id]).await.unwrap();

    // The match decision straight after the plan: the route does not allow it.
    let refused = engine
        .execute(
            &meta(),
            case.id,
            Command::RecordRouteStep {
                route: Route::Adoption,
                step: "match_decision".to_owned(),
                on: d(2025, 3, 3),
            },
        )
        .await;
    match refused {
        Err(EngineError::Domain(DomainError::TransitionNotAllowed(message))) => {
            assert!(message.contains("match decision"), "{message}");
        }
        other => panic!("expected TransitionNotAllowed, got {other:?}"),
    }

    // A step on a route the case has no plan for.
    let refused = engine
        .execute(
            &meta(),
            case.id,
            Command::RecordRouteStep {
                route: Route::LongTermFostering,
                step: "carer_identified".to_owned(),
                on: d(2025, 3, 3),
            },
        )
        .await;
    assert!(
        matches!(
            refused,
            Err(EngineError::Domain(DomainError::TransitionNotAllowed(_)))
        ),
        "{refused:?}"
    );

    // A step dated after the engine's today.
    let refused = engine
        .execute(
            &meta(),
            case.id,
            Command::RecordRouteStep {
                route: Route::Adoption,
                step: "shobpa_decision".to_owned(),
                on: d(2026, 7, 1),
            },
        )
        .await;
    assert!(
        matches!(
            refused,
            Err(EngineError::Domain(DomainError::Validation { .. }))
        ),
        "{refused:?}"
    );

    assert_eq!(version(&engine, case.id).await, before_version);
    assert_eq!(events(&engine, case.id).await, before_events);
    assert_eq!(
        engine.store().deadlines_of_cases(&[case.id]).await.unwrap(),
        before_deadlines
    );
    assert!(engine.verify_projection(case.id).await.unwrap());
});

// ----- 3. optimistic concurrency ---------------------------------------------------------------

both_backends!(
    concurrent_commands_on_one_version_one_wins,
    |engine| async move {
        let case_id = open_case(&engine, "C0001", d(2025, 1, 6)).await.id;
        for round in 0..5 {
            let seen = version(&engine, case_id).await;
            let tasks: Vec<_> = (0..2)
                .map(|i| {
                    let engine = engine.clone();
                    tokio::spawn(async move {
                        engine
                            .execute(
                                &meta_at(seen),
                                case_id,
                                allocate(&format!("team-{round}-{i}")),
                            )
                            .await
                    })
                })
                .collect();
            let mut applied = 0;
            let mut conflicts = 0;
            for task in tasks {
                match task.await.expect("task ran") {
                    Ok(outcome) => {
                        assert!(!outcome.duplicate);
                        assert_eq!(outcome.case.version, seen + 1);
                        applied += 1;
                    }
                    Err(EngineError::VersionConflict) => conflicts += 1,
                    Err(other) => panic!("round {round}: unexpected error {other:?}"),
                }
            }
            assert_eq!((applied, conflicts), (1, 1), "round {round}");
            assert_eq!(version(&engine, case_id).await, seen + 1, "round {round}");
            assert_eq!(
                events(&engine, case_id).await.len(),
                usize::try_from(seen + 1).unwrap()
            );
        }
        // A stale version is refused even when nobody races.
        let stale = engine
            .execute(&meta_at(1), case_id, allocate("team-late"))
            .await;
        assert!(
            matches!(stale, Err(EngineError::VersionConflict)),
            "{stale:?}"
        );
        assert_gap_free(&engine, case_id).await;
        assert!(engine.verify_projection(case_id).await.unwrap());
    }
);

both_backends!(
    concurrent_commands_without_expected_version_both_apply,
    |engine| async move {
        let case_id = open_case(&engine, "C0001", d(2025, 1, 6)).await.id;
        let tasks: Vec<_> = (0..2)
            .map(|i| {
                let engine = engine.clone();
                tokio::spawn(async move {
                    engine
                        .execute(&meta(), case_id, allocate(&format!("team-{i}")))
                        .await
                })
            })
            .collect();
        for task in tasks {
            let outcome = task.await.expect("task ran").expect("applied");
            assert_eq!(outcome.recorded.len(), 1);
        }
        assert_eq!(version(&engine, case_id).await, 3);
        assert_gap_free(&engine, case_id).await;
        assert!(engine.verify_projection(case_id).await.unwrap());
    }
);

// ----- 4. idempotency ---------------------------------------------------------------------------

both_backends!(same_command_id_records_once, |engine| async move {
    let case_id = open_case(&engine, "C0001", d(2025, 1, 6)).await.id;

    // Sent twice, one after the other.
    let once = meta();
    let first = engine
        .execute(&once, case_id, allocate("team-b"))
        .await
        .unwrap();
    assert!(!first.duplicate);
    assert_eq!(first.recorded.len(), 1);
    let count = events(&engine, case_id).await.len();
    let second = engine
        .execute(&once, case_id, allocate("team-b"))
        .await
        .unwrap();
    assert!(second.duplicate);
    assert!(second.recorded.is_empty());
    assert_eq!(second.case.version, first.case.version);
    assert_eq!(events(&engine, case_id).await.len(), count);

    // Sent twice at once.
    let twice = meta();
    let tasks: Vec<_> = (0..2)
        .map(|_| {
            let engine = engine.clone();
            let twice = twice.clone();
            tokio::spawn(async move { engine.execute(&twice, case_id, allocate("team-c")).await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(
            task.await
                .expect("task ran")
                .expect("both answered without error"),
        );
    }
    assert_eq!(
        outcomes.iter().filter(|o| o.duplicate).count(),
        1,
        "{outcomes:?}"
    );
    assert_eq!(outcomes.iter().map(|o| o.recorded.len()).sum::<usize>(), 1);
    let stored = events(&engine, case_id).await;
    assert_eq!(stored.len(), count + 1);
    assert_eq!(
        stored
            .iter()
            .filter(|e| Some(e.command_id) == twice.command_id)
            .count(),
        1
    );
    assert_gap_free(&engine, case_id).await;
    assert!(engine.verify_projection(case_id).await.unwrap());
});

both_backends!(
    same_command_id_registers_and_opens_once,
    |engine| async move {
        let register = meta();
        let first = engine
            .register_child(&register, new_child("C0001"))
            .await
            .unwrap();
        let second = engine
            .register_child(&register, new_child("C0001"))
            .await
            .unwrap();
        assert_eq!(first, second);
        let children = engine
            .store()
            .children_page(None, &Default::default(), None, 100)
            .await
            .unwrap();
        assert_eq!(children.len(), 1);

        let enter = meta();
        let opened = engine
            .enter_care(&enter, enter_care_input(first.id, d(2025, 1, 6)))
            .await
            .unwrap();
        assert!(!opened.duplicate);
        let again = engine
            .enter_care(&enter, enter_care_input(first.id, d(2025, 1, 6)))
            .await
            .unwrap();
        assert!(again.duplicate);
        assert_eq!(again.case.id, opened.case.id);
        let cases = engine.store().cases_of_children(&[first.id]).await.unwrap();
        assert_eq!(cases.get(&first.id).map(Vec::len), Some(1));
        assert_eq!(events(&engine, opened.case.id).await.len(), 1);
    }
);

/// How many requests with one command id are sent at once, and how many times: a race is
/// lost only when the requests overlap, so it is run often enough that some do.
const SAME_TIME: usize = 8;
const ROUNDS: usize = 10;

/// Sends `SAME_TIME` copies of one request at once, released together.
async fn all_at_once<T, F, Fut>(request: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let start = Arc::new(Barrier::new(SAME_TIME));
    let tasks: Vec<_> = (0..SAME_TIME)
        .map(|_| {
            let start = start.clone();
            let request = request();
            tokio::spawn(async move {
                start.wait().await;
                request.await
            })
        })
        .collect();
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await.expect("task ran"));
    }
    out
}

both_backends!(
    same_command_id_registers_once_concurrently,
    |engine| async move {
        for round in 0..ROUNDS {
            let register = meta();
            let reference = format!("C{round:04}");
            let answers = all_at_once(|| {
                let engine = engine.clone();
                let register = register.clone();
                let child = new_child(&reference);
                async move { engine.register_child(&register, child).await }
            })
            .await;
            let ids: Vec<_> = answers
                .into_iter()
                .map(|a| {
                    a.unwrap_or_else(|e| {
                        panic!("round {round}: every request answers with the child: {e:?}")
                    })
                    .id
                })
                .collect();
            assert!(ids.iter().all(|id| *id == ids[0]), "round {round}: {ids:?}");
        }
        assert_eq!(
            engine
                .store()
                .children_page(None, &Default::default(), None, 100)
                .await
                .unwrap()
                .len(),
            ROUNDS
        );
    }
);

both_backends!(
    same_command_id_opens_once_concurrently,
    |engine| async move {
        for round in 0..ROUNDS {
            let child = engine
                .register_child(&meta(), new_child(&format!("C{round:04}")))
                .await
                .unwrap();
            let enter = meta();
            let outcomes: Vec<_> = all_at_once(|| {
                let engine = engine.clone();
                let enter = enter.clone();
                async move {
                    engine
                        .enter_care(&enter, enter_care_input(child.id, d(2025, 1, 6)))
                        .await
                }
            })
            .await
            .into_iter()
            .map(|a| {
                a.unwrap_or_else(|e| {
                    panic!("round {round}: every request answers with the case: {e:?}")
                })
            })
            .collect();
            assert!(
                outcomes.iter().all(|o| o.case.id == outcomes[0].case.id),
                "round {round}"
            );
            assert_eq!(
                outcomes.iter().filter(|o| !o.duplicate).count(),
                1,
                "round {round}"
            );
            let cases = engine.store().cases_of_children(&[child.id]).await.unwrap();
            assert_eq!(cases.get(&child.id).map(Vec::len), Some(1), "round {round}");
            assert_eq!(
                events(&engine, outcomes[0].case.id).await.len(),
                1,
                "round {round}"
            );
        }
    }
);

/// A command id reused with another command: refused as bad input on `commandId`.
fn is_reused_command_id<T>(result: &Result<T, EngineError>) -> bool {
    matches!(
        result,
        Err(EngineError::Domain(DomainError::Validation { field, .. })) if field == "commandId"
    )
}

both_backends!(command_id_of_another_kind_is_refused, |engine| async move {
    // The id of a child's registration sent again with a command on a case.
    let register = meta();
    let child = engine
        .register_child(&register, new_child("C0001"))
        .await
        .unwrap();
    let case = engine
        .enter_care(&meta(), enter_care_input(child.id, d(2025, 1, 6)))
        .await
        .unwrap()
        .case;
    let reused = engine.execute(&register, case.id, allocate("team-b")).await;
    assert!(is_reused_command_id(&reused), "{reused:?}");
    assert_eq!(events(&engine, case.id).await.len(), 1);
    // And the other way round: a case command's id sent again to register a child.
    let command = meta();
    engine
        .execute(&command, case.id, allocate("team-c"))
        .await
        .unwrap();
    let reused = engine.register_child(&command, new_child("C0002")).await;
    assert!(is_reused_command_id(&reused), "{reused:?}");
    assert_eq!(
        engine
            .store()
            .children_page(None, &Default::default(), None, 100)
            .await
            .unwrap()
            .len(),
        1
    );
});

both_backends!(
    command_ids_recorded_before_kinds_still_answer,
    |engine| async move {
        let register = meta();
        let child = engine
            .register_child(&register, new_child("C0001"))
            .await
            .unwrap();
        let opening = meta();
        let case = engine
            .enter_care(&opening, enter_care_input(child.id, d(2025, 1, 6)))
            .await
            .unwrap()
            .case;
        let other = open_case(&engine, "C0002", d(2025, 1, 6)).await;
        let allocation = meta();
        engine
            .execute(&allocation, case.id, allocate("team-b"))
            .await
            .unwrap();
        // As the rows stood before kinds were recorded.
        engine
            .store()
            .execute_raw_for_tests("UPDATE processed_commands SET command_kind = NULL")
            .await
            .unwrap();
        // The same commands again are still duplicates...
        let again = engine
            .register_child(&register, new_child("C0001"))
            .await
            .unwrap();
        assert_eq!(again.id, child.id);
        let again = engine
            .enter_care(&opening, enter_care_input(child.id, d(2025, 1, 6)))
            .await
            .unwrap();
        assert!(again.duplicate && again.case.id == case.id);
        let again = engine
            .execute(&allocation, case.id, allocate("team-b"))
            .await
            .unwrap();
        assert!(again.duplicate);
        // ...and the same ids on another target are refused, recording nothing.
        let elsewhere = engine
            .execute(&allocation, other.id, allocate("team-b"))
            .await;
        assert!(is_reused_command_id(&elsewhere), "{elsewhere:?}");
        let elsewhere = engine.register_child(&register, new_child("C0003")).await;
        assert!(is_reused_command_id(&elsewhere), "{elsewhere:?}");
        let elsewhere = engine.execute(&opening, other.id, allocate("team-c")).await;
        assert!(is_reused_command_id(&elsewhere), "{elsewhere:?}");
        assert_eq!(events(&engine, other.id).await.len(), 1);
        assert_eq!(events(&engine, case.id).await.len(), 2);
    }
);

// ----- 5. append-only in the database -----------------------------------------------------------

both_backends!(case_events_are_append_only, |engine| async move {
    let case = open_case(&engine, "C0001", d(2025, 1, 6)).await;
    set_plan(&engine, case.id, Route::Adoption, d(2025, 2, 3)).await;
    let before = events(&engine, case.id).await;
    assert_eq!(before.len(), 2);

    let update = engine
        .store()
        .execute_raw_for_tests("UPDATE case_events SET actor = 'x'")
        .await;
    let message = update.expect_err("UPDATE on case_events is refused");
    assert!(message.contains("append-only"), "{message}");
    let delete = engine
        .store()
        .execute_raw_for_tests("DELETE FROM case_events")
        .await;
    let message = delete.expect_err("DELETE on case_events is refused");
    assert!(message.contains("append-only"), "{message}");
    if engine.store().backend() == Backend::Postgres {
        let truncate = engine
            .store()
            .execute_raw_for_tests("TRUNCATE case_events CASCADE")
            .await;
        assert!(truncate.is_err(), "TRUNCATE on case_events is refused");
    }

    assert_eq!(events(&engine, case.id).await, before);
    assert!(engine.verify_projection(case.id).await.unwrap());
    // The guard is on case_events only: the projections stay writable.
    let touched = engine
        .store()
        .execute_raw_for_tests("UPDATE cases SET team = team")
        .await
        .expect("cases is an ordinary table");
    assert_eq!(touched, 1);
});

// ----- 6. deadlines and drift -------------------------------------------------------------------

both_backends!(
    panel_recommendation_opens_adm_deadline,
    |engine| async move {
        // Wednesday 1 April 2026: Good Friday (3 April) and Easter Monday (6 April) are not
        // working days, so 7 working days later is Tuesday 14 April.
        let panel_on = d(2026, 4, 1);
        let due_on = d(2026, 4, 14);
        let case_id = long_term_case_at_panel(&engine, "C0001", panel_on).await;
        assert!(engine.verify_projection(case_id).await.unwrap());

        let deadlines = engine.store().deadlines_of_cases(&[case_id]).await.unwrap();
        let adm: Vec<_> = deadlines[&case_id]
            .iter()
            .filter(|d| d.rule == "adm_long_term_match_approval")
            .collect();
        assert_eq!(adm.len(), 1, "{deadlines:?}");
        assert_eq!(adm[0].started_on, panel_on);
        assert_eq!(adm[0].due_on, due_on);
        assert_eq!(adm[0].route, Some(Route::LongTermFostering));
        assert!(adm[0].after_panel);

        let long_term = DriftFilter {
            route: Some(Route::LongTermFostering),
            ..drift_filter(d(2026, 4, 15))
        };
        // 8 working days after the panel: overdue.
        let rows = engine
            .store()
            .drift_page(&long_term, None, 100)
            .await
            .unwrap();
        assert_eq!(
            rows.iter()
                .map(|r| r.deadline.rule.as_str())
                .collect::<Vec<_>>(),
            ["adm_long_term_match_approval"]
        );
        assert_eq!(rows[0].case_id, case_id);
        assert_eq!(rows[0].deadline.due_on, due_on);
        let overdue = DriftFilter {
            status: Some(DriftStatus::Overdue),
            after_panel_only: true,
            ..long_term.clone()
        };
        assert_eq!(
            engine
                .store()
                .drift_page(&overdue, None, 100)
                .await
                .unwrap()
                .len(),
            1
        );
        // On the due date it is due, not overdue.
        let on_due_date = DriftFilter {
            as_of: due_on,
            ..overdue.clone()
        };
        assert!(
            engine
                .store()
                .drift_page(&on_due_date, None, 100)
                .await
                .unwrap()
                .is_empty()
        );
        // More than the due-soon window before it, it is not listed at all.
        let early = DriftFilter {
            as_of: d(2026, 4, 6),
            ..long_term.clone()
        };
        assert!(
            engine
                .store()
                .drift_page(&early, None, 100)
                .await
                .unwrap()
                .is_empty()
        );

        // The approval meets it: the deadline and its drift row go.
        step(
            &engine,
            case_id,
            Route::LongTermFostering,
            "match_approved",
            d(2026, 4, 16),
        )
        .await;
        let deadlines = engine.store().deadlines_of_cases(&[case_id]).await.unwrap();
        assert!(
            deadlines[&case_id]
                .iter()
                .all(|d| d.rule != "adm_long_term_match_approval")
        );
        let rows = engine
            .store()
            .drift_page(&long_term, None, 100)
            .await
            .unwrap();
        assert!(
            rows.iter()
                .all(|r| r.deadline.rule != "adm_long_term_match_approval"),
            "{rows:?}"
        );
        assert!(engine.verify_projection(case_id).await.unwrap());
    }
);

both_backends!(drift_page_cursor_lists_each_row_once, |engine| async move {
    // Several cases, some with the same panel date, so that due dates tie across cases and,
    // within a case, the review and the health assessment tie on their due date.
    let panels = [
        d(2026, 4, 1),
        d(2026, 4, 1),
        d(2026, 4, 8),
        d(2026, 4, 15),
        d(2026, 4, 1),
    ];
    let mut case_ids = Vec::new();
    for (i, panel_on) in panels.into_iter().enumerate() {
        case_ids.push(long_term_case_at_panel(&engine, &format!("C{i:04}"), panel_on).await);
    }
    let filter = drift_filter(d(2026, 6, 30));
    let everything = engine
        .store()
        .drift_page(&filter, None, 1000)
        .await
        .unwrap();
    // Review, health assessment, first visit, ADM decision, long-term match confirmation for
    // each case.
    assert_eq!(everything.len(), 5 * case_ids.len(), "{everything:?}");
    let mut sorted = everything.clone();
    sorted.sort_by_key(drift_order);
    assert_eq!(
        everything.iter().map(drift_order).collect::<Vec<_>>(),
        sorted.iter().map(drift_order).collect::<Vec<_>>(),
        "rows come in (due_on, case, key) order"
    );

    let mut paged: Vec<DriftRow> = Vec::new();
    let mut cursor: Option<DriftCursor> = None;
    let mut pages = 0;
    loop {
        let page = engine
            .store()
            .drift_page(&filter, cursor.as_ref(), 3)
            .await
            .unwrap();
        pages += 1;
        assert!(pages <= everything.len() + 1, "pagination does not end");
        let Some(last) = page.last() else { break };
        assert!(page.len() <= 3);
        cursor = Some(DriftCursor {
            due_on: last.deadline.due_on,
            case_id: last.case_id,
            key: last.deadline.key.clone(),
        });
        paged.extend(page);
    }
    assert_eq!(
        paged.iter().map(drift_order).collect::<Vec<_>>(),
        everything.iter().map(drift_order).collect::<Vec<_>>(),
        "each row once, in due_on order"
    );
    let mut unique = paged.iter().map(drift_order).collect::<Vec<_>>();
    unique.dedup();
    assert_eq!(unique.len(), paged.len());
    assert!(
        paged
            .windows(2)
            .all(|w| w[0].deadline.due_on <= w[1].deadline.due_on)
    );
});

// ----- 7. one open period of care per child -----------------------------------------------------

both_backends!(one_open_case_per_child, |engine| async move {
    let child = engine
        .register_child(&meta(), new_child("C0001"))
        .await
        .unwrap();
    let first = engine
        .enter_care(&meta(), enter_care_input(child.id, d(2025, 1, 6)))
        .await
        .unwrap()
        .case;
    let again = engine
        .enter_care(&meta(), enter_care_input(child.id, d(2025, 2, 3)))
        .await;
    assert!(matches!(again, Err(EngineError::Conflict(_))), "{again:?}");
    let cases = engine.store().cases_of_children(&[child.id]).await.unwrap();
    assert_eq!(cases[&child.id].len(), 1);

    run(
        &engine,
        first.id,
        Command::CloseCase {
            on: d(2025, 6, 2),
            reason: ReasonCeased::E8,
        },
    )
    .await;
    let second = engine
        .enter_care(&meta(), enter_care_input(child.id, d(2025, 9, 1)))
        .await
        .expect("a new period of care after the first closed");
    assert_ne!(second.case.id, first.id);
    assert!(second.case.state.is_open());
    let cases = engine.store().cases_of_children(&[child.id]).await.unwrap();
    assert_eq!(
        cases[&child.id].iter().map(|c| c.id).collect::<Vec<_>>(),
        [first.id, second.case.id]
    );
    assert!(engine.verify_projection(first.id).await.unwrap());
    assert!(engine.verify_projection(second.case.id).await.unwrap());
    // Still only one open at a time.
    let third = engine
        .enter_care(&meta(), enter_care_input(child.id, d(2026, 1, 5)))
        .await;
    assert!(matches!(third, Err(EngineError::Conflict(_))), "{third:?}");
});

// ----- 8. case list filters ---------------------------------------------------------------------

both_backends!(cases_page_filters_by_route_and_drift, |engine| async move {
    let adoption = open_case(&engine, "C0001", d(2025, 1, 6)).await.id;
    set_plan(&engine, adoption, Route::Adoption, d(2025, 2, 3)).await;
    let fostering = open_case(&engine, "C0002", d(2025, 1, 6)).await.id;
    set_plan(&engine, fostering, Route::LongTermFostering, d(2025, 2, 3)).await;
    let no_plan = open_case(&engine, "C0003", d(2025, 1, 6)).await.id;
    // Entered care eight days before today: the first review and the health assessment are
    // due in 20 working days, and the social worker visited two days in (the next visit is
    // due in 6 weeks), so nothing is overdue or due within a week.
    let recent = open_case(&engine, "C0004", d(2026, 6, 22)).await.id;
    run(
        &engine,
        recent,
        Command::RecordVisit {
            on: d(2026, 6, 24),
            seen_alone: None,
        },
    )
    .await;
    let store = engine.store();
    let ids = |cases: Vec<permanence_engine::store::CaseRecord>| {
        cases.into_iter().map(|c| c.id).collect::<Vec<_>>()
    };

    let by_route = |route| CaseFilter {
        route: Some(route),
        ..CaseFilter::default()
    };
    assert_eq!(
        ids(store
            .cases_page(&by_route(Route::Adoption), None, 100)
            .await
            .unwrap()),
        [adoption]
    );
    assert_eq!(
        ids(store
            .cases_page(&by_route(Route::LongTermFostering), None, 100)
            .await
            .unwrap()),
        [fostering]
    );
    assert!(
        store
            .cases_page(&by_route(Route::Reunification), None, 100)
            .await
            .unwrap()
            .is_empty()
    );

    let today = d(2026, 6, 30);
    let drifting = |status| CaseFilter {
        drift: Some((status, today, 7)),
        ..CaseFilter::default()
    };
    assert_eq!(
        ids(store
            .cases_page(&drifting(DriftStatus::Overdue), None, 100)
            .await
            .unwrap()),
        [adoption, fostering, no_plan]
    );
    assert_eq!(
        ids(store
            .cases_page(&drifting(DriftStatus::OnTrack), None, 100)
            .await
            .unwrap()),
        [recent]
    );
    let overdue_fostering = CaseFilter {
        route: Some(Route::LongTermFostering),
        drift: Some((DriftStatus::Overdue, today, 7)),
        ..CaseFilter::default()
    };
    assert_eq!(
        ids(store
            .cases_page(&overdue_fostering, None, 100)
            .await
            .unwrap()),
        [fostering]
    );
    // Seen from the day it entered care, the recent case is not overdue either.
    let early = CaseFilter {
        drift: Some((DriftStatus::Overdue, d(2025, 1, 7), 7)),
        ..CaseFilter::default()
    };
    assert!(
        store
            .cases_page(&early, None, 100)
            .await
            .unwrap()
            .is_empty()
    );

    // Pagination over the unfiltered list: creation order, each case once.
    let all = ids(store
        .cases_page(&CaseFilter::default(), None, 100)
        .await
        .unwrap());
    assert_eq!(all, [adoption, fostering, no_plan, recent]);
    let first_page = ids(store
        .cases_page(&CaseFilter::default(), None, 3)
        .await
        .unwrap());
    let second_page = ids(store
        .cases_page(&CaseFilter::default(), first_page.last().copied(), 3)
        .await
        .unwrap());
    assert_eq!([first_page, second_page].concat(), all);
});

// The command id the client sends is the one recorded on the events.
both_backends!(command_id_is_recorded_on_events, |engine| async move {
    let case = open_case(&engine, "C0001", d(2025, 1, 6)).await;
    let command_id = Uuid::now_v7();
    let outcome = engine
        .execute(&meta_with_id(command_id), case.id, allocate("team-z"))
        .await
        .unwrap();
    assert_eq!(outcome.recorded[0].command_id, command_id);
    let stored = events(&engine, case.id).await;
    assert_eq!(stored.last().unwrap().command_id, command_id);
    assert_eq!(stored.last().unwrap().event.kind(), "CaseAllocated");
});
