//! The in-process scenarios, through the engine's store and the domain's pure functions:
//! - drift recomputed over every open case: the deadlines derived again from each case's
//!   state and their status for today, compared with the stored deadlines projection;
//! - every projection rebuilt from the events: each case's events replayed, and the state,
//!   version, deadlines and report facts compared with what is stored (they must be equal).

use super::report::InProcess;
use anyhow::Context;
use permanence_domain::measures::CaseFacts;
use permanence_domain::{CaseId, Timescales, derive_deadlines, replay};
use permanence_engine::store::CaseFilter;
use permanence_engine::{Engine, SystemClock};
use permanence_server::open_engine;
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

/// Cases loaded at a time.
const CHUNK: u64 = 500;

pub async fn run(url: &str) -> anyhow::Result<Vec<InProcess>> {
    let engine = open_engine(url, Timescales::default(), Arc::new(SystemClock))
        .await
        .context("opening the working database")?;
    Ok(vec![drift_all(&engine).await?, rebuild_all(&engine).await?])
}

async fn drift_all(engine: &Engine) -> anyhow::Result<InProcess> {
    let store = engine.store();
    let today = engine.today();
    let timescales = engine.timescales();
    let filter = CaseFilter {
        open: Some(true),
        ..CaseFilter::default()
    };
    let started = Instant::now();
    let (mut cases, mut deadlines, mut mismatches) = (0, 0, 0);
    let mut after = None;
    loop {
        let page = store.cases_page(&filter, after, CHUNK).await?;
        let Some(last) = page.last() else {
            break;
        };
        after = Some(last.id);
        let ids: Vec<CaseId> = page.iter().map(|c| c.id).collect();
        let mut stored = store.deadlines_of_cases(&ids).await?;
        for case in &page {
            let derived = derive_deadlines(&case.state, engine.catalog(), timescales);
            for d in &derived {
                black_box(d.drift(today, timescales.due_soon_days));
            }
            deadlines += derived.len();
            if stored.remove(&case.id).unwrap_or_default() != derived {
                mismatches += 1;
            }
        }
        cases += page.len();
        if (page.len() as u64) < CHUNK {
            break;
        }
    }
    Ok(InProcess {
        name: "drift recomputed over every open case".into(),
        items: cases,
        seconds: started.elapsed().as_secs_f64(),
        mismatches,
        note: format!(
            "{deadlines} open deadlines derived from the stored states and compared with the deadlines projection, {CHUNK} cases a query"
        ),
    })
}

async fn rebuild_all(engine: &Engine) -> anyhow::Result<InProcess> {
    let store = engine.store();
    let ids = store.all_case_ids().await?;
    let started = Instant::now();
    let (mut events_replayed, mut mismatches) = (0, 0);
    for chunk in ids.chunks(CHUNK as usize) {
        let mut stored = store.cases_by_ids(chunk).await?;
        let mut events = store.events_of_cases(chunk).await?;
        let mut deadlines = store.deadlines_of_cases(chunk).await?;
        let mut facts: HashMap<CaseId, (i64, CaseFacts)> = store
            .report_facts_by_ids(chunk)
            .await?
            .into_iter()
            .map(|row| (row.facts.case_id, (row.version, row.facts)))
            .collect();
        for id in chunk {
            let events = events.remove(id).unwrap_or_default();
            events_replayed += events.len();
            let rebuilt = replay(events.iter().map(|e| &e.event));
            let same = match (stored.remove(id), rebuilt) {
                (Some(record), Some(state)) => {
                    let derived = derive_deadlines(&state, engine.catalog(), engine.timescales());
                    let version = events.len() as i64;
                    *record.state == state
                        && record.version == version
                        && deadlines.remove(id).unwrap_or_default() == derived
                        && facts.remove(id) == Some((version, CaseFacts::of(&state)))
                }
                _ => false,
            };
            if !same {
                mismatches += 1;
            }
        }
    }
    Ok(InProcess {
        name: "every projection rebuilt from its events".into(),
        items: ids.len(),
        seconds: started.elapsed().as_secs_f64(),
        mismatches,
        note: format!(
            "{events_replayed} events replayed; state, version, deadlines and report facts compared with the stored projections"
        ),
    })
}
