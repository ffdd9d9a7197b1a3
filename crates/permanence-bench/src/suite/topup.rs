//! More cases for M1 when the cohort has too few valid next steps.
//!
//! The cohort is realistic: most open cases wait for a panel, a decision or a court, and only
//! a few have a next step a team manager may record today (74 of 257 open cases at 1,000
//! children), too few writes to measure. So, in the working copy only and before the server
//! starts, children enter care through the engine's own commands with a special guardianship
//! plan, whose assessment steps a social worker records one after another.

use anyhow::Context;
use chrono::Days;
use permanence_cohort::CohortConfig;
use permanence_domain::case::PlanRole;
use permanence_domain::{Command, Route, Timescales};
use permanence_engine::{Actor, CommandMeta, EnterCare, SystemClock};
use permanence_server::open_engine;
use std::sync::Arc;
use std::time::Instant;

/// Valid steps a new case adds (assessment, report, support plan).
const STEPS_PER_CASE: usize = 3;
const SEED: u64 = 0xBE7C;

fn meta() -> CommandMeta {
    CommandMeta {
        actor: Actor("bench-setup".to_owned()),
        command_id: None,
        expected_version: None,
        note: None,
    }
}

/// Opens enough new cases to bring the valid steps from `have` to `wanted`; `offset` makes
/// the new children's references unique in the authority. Returns the cases opened.
pub async fn top_up(url: &str, have: usize, wanted: usize, offset: usize) -> anyhow::Result<usize> {
    if have >= wanted {
        return Ok(0);
    }
    let cases = (wanted - have).div_ceil(STEPS_PER_CASE);
    let engine = open_engine(url, Timescales::default(), Arc::new(SystemClock))
        .await
        .context("opening the working database")?;
    let today = engine.today();
    let entered = today - Days::new(60);
    let planned = today - Days::new(30);
    let scripts = permanence_cohort::generate(&CohortConfig::new(cases, SEED, today));
    let started = Instant::now();
    for (i, script) in scripts.iter().enumerate() {
        let mut child = script.child.clone();
        child.reference = format!("BZ{:08}", offset + i);
        // A baby of the cohort may be younger than 60 days.
        let entered = entered.max(child.birth_date);
        let planned = planned.max(entered);
        let child = engine.register_child(&meta(), child).await?;
        let Some(period) = script.periods.first() else {
            continue;
        };
        let enter = &period.enter;
        let opened = engine
            .enter_care(
                &meta(),
                EnterCare {
                    child_id: child.id,
                    entered_care_on: entered,
                    legal_status: enter.legal_status,
                    placement: enter.placement,
                    provider: enter.provider,
                    carer: enter.carer.clone(),
                    team: enter.team.clone(),
                    allocated_worker: enter.allocated_worker.clone(),
                    details: enter.details.clone(),
                },
            )
            .await?;
        engine
            .execute(
                &meta(),
                opened.case.id,
                Command::SetRoutePlan {
                    route: Route::SpecialGuardianship,
                    role: PlanRole::Primary,
                    on: planned,
                },
            )
            .await?;
    }
    eprintln!(
        "suite: opened {cases} special guardianship cases for M1 in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(cases)
}
