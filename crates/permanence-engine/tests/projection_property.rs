//! Property: whatever sequence of commands a case receives through the engine, the stored
//! projection (state, version, deadlines) equals the replay of its stored events, and the
//! events are numbered without gaps. Random histories run against a real SQLite file and a
//! real PostgreSQL database.
//!
//! Histories of commands the domain refuses would leave the projection untouched and prove
//! nothing, so most actions are the next step of the case's plan as it stands (`Next`),
//! and the property counts the commands accepted and refused over all its cases and fails
//! when fewer than `MIN_ACCEPTED` were accepted.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use chrono::{Days, NaiveDate};
use common::{d, drop_or_report, engine_on, meta, open_case, postgres_store, sqlite_store};
use permanence_domain::case::CaseState;
use permanence_domain::case::{LegalStep, PlanRole};
use permanence_domain::codes::{PlacementType, ReasonCeased, ReversalReason};
use permanence_domain::{Command, Route, RouteCatalog};
use permanence_engine::{Engine, EngineError};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::sync::Mutex;

/// The share of generated commands the engine must accept, over all the cases of a run.
/// Runs accepted 52-68% (the rest are refused on purpose: random steps, reversals and
/// closures out of turn, legal steps out of order); the generator before `Next`, random
/// steps of random routes, had 31% accepted and fails this.
const MIN_ACCEPTED: f64 = 0.4;

#[derive(Clone, Debug)]
enum Action {
    /// The `n`th of the steps that may follow the primary plan's current step (a plan of
    /// route `n` is set first when the case has none).
    Next(usize),
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
        16 => (0..8usize).prop_map(Action::Next),
        3 => (0..5usize, any::<bool>()).prop_map(|(r, p)| Action::Plan(r, p)),
        4 => (0..5usize, 0..10usize).prop_map(|(r, s)| Action::Step(r, s)),
        2 => Just(Action::Review),
        1 => Just(Action::Health),
        1 => (0..4usize).prop_map(Action::Placement),
        1 => Just(Action::Reverse),
        2 => (0..6usize).prop_map(Action::Legal),
        1 => (0..4usize).prop_map(Action::Close),
    ]
}

fn command(action: &Action, on: NaiveDate, catalog: &RouteCatalog, case: &CaseState) -> Command {
    let route = |i: usize| Route::ALL[i % Route::ALL.len()];
    match action {
        Action::Next(n) => match case.primary_plan() {
            Some(plan) => {
                let next = catalog.current(plan.route).next_steps(plan.current_step());
                match next.get(n % next.len().max(1)) {
                    Some(step) => Command::RecordRouteStep {
                        route: plan.route,
                        step: step.key.to_owned(),
                        on,
                    },
                    // The plan is at its end: a review, as a case's life goes on.
                    None => Command::RecordReview {
                        on,
                        participation: None,
                    },
                }
            }
            None => Command::SetRoutePlan {
                route: route(*n),
                role: PlanRole::Primary,
                on,
            },
        },
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

/// Applies the history; refusals are expected (random commands), anything else is a
/// failure. Returns how many commands were accepted and how many refused.
async fn apply(engine: &Engine, actions: &[(Action, u64)]) -> (usize, usize) {
    let case = open_case(engine, "P1", d(2023, 1, 9)).await;
    let mut state = case.state.clone();
    let mut on = d(2023, 1, 9);
    let (mut accepted, mut refused) = (0, 0);
    for (action, gap) in actions {
        on = on.checked_add_days(Days::new(*gap)).expect("date");
        let result = engine
            .execute(
                &meta(),
                case.id,
                command(action, on, engine.catalog(), &state),
            )
            .await;
        match result {
            Ok(outcome) => {
                accepted += 1;
                state = outcome.case.state;
            }
            Err(EngineError::Domain(_)) => refused += 1,
            Err(other) => panic!("unexpected engine error: {other}"),
        }
    }
    assert!(
        engine.verify_projection(case.id).await.expect("verify"),
        "stored projection differs from the replay of its events"
    );
    (accepted, refused)
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

/// Runs the property over generated histories on a fresh database each, then checks
/// that most of the commands were accepted.
fn check_histories(backend: &str, run_one: impl Fn(&[(Action, u64)]) -> (usize, usize)) {
    let totals = Mutex::new((0usize, 0usize));
    let mut runner = TestRunner::new(Config {
        cases: 24,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&histories(), |actions| {
        let (accepted, refused) = run_one(&actions);
        let mut totals = totals.lock().expect("totals");
        totals.0 += accepted;
        totals.1 += refused;
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    let (accepted, refused) = *totals.lock().expect("totals");
    let share = accepted as f64 / (accepted + refused).max(1) as f64;
    println!(
        "{backend}: {accepted} commands accepted, {refused} refused ({:.0}% accepted)",
        share * 100.0
    );
    assert!(
        share >= MIN_ACCEPTED,
        "only {accepted} of {} generated commands were accepted: the histories test little",
        accepted + refused
    );
}

#[test]
fn stored_projection_equals_replay_on_sqlite() {
    check_histories("sqlite", |actions| {
        runtime().block_on(async {
            let (store, _dir) = sqlite_store().await;
            apply(&engine_on(store), actions).await
        })
    });
}

#[test]
fn stored_projection_equals_replay_on_postgres() {
    check_histories("postgres", |actions| {
        runtime().block_on(async {
            let (store, database) = postgres_store().await;
            let counts = apply(&engine_on(store), actions).await;
            drop_or_report(database).await;
            counts
        })
    });
}
