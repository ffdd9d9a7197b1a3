//! Property: whatever sequence of commands a case receives through the engine, the stored
//! projection (state, version, deadlines) equals the replay of its stored events, and the
//! events are numbered without gaps. Random histories run against a real SQLite file and a
//! real PostgreSQL database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{Days, NaiveDate};
use common::{d, drop_or_report, engine_on, meta, open_case, postgres_store, sqlite_store};
use permanence_domain::case::{LegalStep, PlanRole};
use permanence_domain::codes::{PlacementType, ReasonCeased, ReversalReason};
use permanence_domain::{Command, Route, RouteCatalog};
use permanence_engine::{Engine, EngineError};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Action {
    Plan(usize, bool),
    Step(usize, usize),
    Review,
    Health,
    Placement(usize),
    Reverse,
    Legal(usize),
    Close(usize),
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => (0..5usize, any::<bool>()).prop_map(|(r, p)| Action::Plan(r, p)),
        8 => (0..5usize, 0..10usize).prop_map(|(r, s)| Action::Step(r, s)),
        2 => Just(Action::Review),
        1 => Just(Action::Health),
        1 => (0..4usize).prop_map(Action::Placement),
        1 => Just(Action::Reverse),
        2 => (0..6usize).prop_map(Action::Legal),
        1 => (0..4usize).prop_map(Action::Close),
    ]
}

fn command(action: &Action, on: NaiveDate, catalog: &RouteCatalog) -> Command {
    let route = |i: usize| Route::ALL[i % Route::ALL.len()];
    match action {
        Action::Plan(r, primary) => Command::SetRoutePlan {
            route: route(*r),
            role: if *primary {
                PlanRole::Primary
            } else {
                PlanRole::Parallel
            },
            on,
        },
        Action::Step(r, s) => {
            let def = catalog.current(route(*r));
            let step = def.steps[s % def.steps.len()].key.to_owned();
            Command::RecordRouteStep {
                route: route(*r),
                step,
                on,
            }
        }
        Action::Review => Command::RecordReview {
            on,
            participation: None,
        },
        Action::Health => Command::RecordHealthAssessment { on },
        Action::Placement(p) => Command::RecordEpisode {
            on,
            legal_status: None,
            placement: Some(
                [
                    PlacementType::U4,
                    PlacementType::A6,
                    PlacementType::U5,
                    PlacementType::K2,
                ][*p],
            ),
            provider: None,
            carer: Some(format!("FC-{p}")),
            details: Default::default(),
        },
        Action::Reverse => Command::ReverseAdoptionDecision {
            on,
            reason: ReversalReason::RD3,
        },
        Action::Legal(i) => Command::RecordLegalStep {
            on,
            step: [
                LegalStep::PreProceedingsStarted,
                LegalStep::LetterBeforeProceedingsSent,
                LegalStep::ProceedingsIssued,
                LegalStep::CaseManagementHearingHeld,
                LegalStep::ExtensionGranted { weeks: 8 },
                LegalStep::FinalHearingHeld {
                    order: permanence_domain::case::FinalOrder::CareOrder,
                },
            ][*i],
        },
        Action::Close(i) => Command::CloseCase {
            on,
            reason: [
                ReasonCeased::E11,
                ReasonCeased::E47,
                ReasonCeased::E4A,
                ReasonCeased::E8,
            ][*i],
        },
    }
}

/// Applies the history; refusals are expected (random commands), anything else is a failure.
async fn apply(engine: &Engine, actions: &[(Action, u64)]) {
    let case = open_case(engine, "P1", d(2023, 1, 9)).await;
    let mut on = d(2023, 1, 9);
    for (action, gap) in actions {
        on = on.checked_add_days(Days::new(*gap)).expect("date");
        let result = engine
            .execute(&meta(), case.id, command(action, on, engine.catalog()))
            .await;
        match result {
            Ok(_) | Err(EngineError::Domain(_)) => {}
            Err(other) => panic!("unexpected engine error: {other}"),
        }
    }
    assert!(
        engine.verify_projection(case.id).await.expect("verify"),
        "stored projection differs from the replay of its events"
    );
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

fn histories() -> impl Strategy<Value = Vec<(Action, u64)>> {
    prop::collection::vec((action(), 0..60u64), 1..40)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn stored_projection_equals_replay_on_sqlite(actions in histories()) {
        runtime().block_on(async {
            let (store, _dir) = sqlite_store().await;
            apply(&engine_on(store), &actions).await;
        });
    }

    #[test]
    fn stored_projection_equals_replay_on_postgres(actions in histories()) {
        runtime().block_on(async {
            let (store, database) = postgres_store().await;
            apply(&engine_on(store), &actions).await;
            drop_or_report(database).await;
        });
    }
}
