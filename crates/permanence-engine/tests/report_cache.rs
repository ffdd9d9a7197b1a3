//! Reports keep the cases they read between requests: a case changed or opened since, by
//! this process or another one on the same database, is read again.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use common::{LA, d, meta, open_case};
use permanence_domain::{CaseId, Command, Timescales};
use permanence_engine::{Engine, EngineConfig, FixedClock};
use std::sync::Arc;

/// A second engine on the same database, as another server process would have.
fn another_process(engine: &Engine) -> Engine {
    let config = EngineConfig::standard(Timescales::default()).expect("configuration");
    Engine::new(
        engine.store().clone(),
        config,
        Arc::new(FixedClock(engine.now())),
    )
}

async fn reviews_seen(engine: &Engine, case_id: CaseId) -> Option<usize> {
    let data = engine
        .report_data_in(&[LA.to_owned()])
        .await
        .expect("report data");
    data.views().iter().find(|v| v.facts.case_id == case_id)?;
    let year = data.report(d(2026, 1, 1), d(2026, 12, 31), None);
    Some(
        year[0]
            .report
            .reviews_on_time
            .cases
            .iter()
            .filter(|c| c.case_id == case_id)
            .count(),
    )
}

both_backends!(
    reports_see_every_change_since_the_last,
    |engine: Engine| async move {
        let first = open_case(&engine, "RC1", d(2026, 1, 5)).await.id;
        assert_eq!(reviews_seen(&engine, first).await, Some(0));

        let other = another_process(&engine);
        other
            .execute(
                &meta(),
                first,
                Command::RecordReview {
                    on: d(2026, 1, 30),
                    participation: None,
                },
            )
            .await
            .expect("review recorded elsewhere");
        let second = open_case(&other, "RC2", d(2026, 2, 2)).await.id;

        assert_eq!(
            reviews_seen(&engine, first).await,
            Some(1),
            "a change made by another process is read again"
        );
        assert_eq!(
            reviews_seen(&engine, second).await,
            Some(0),
            "a new case is read"
        );
        let data = engine.report_data_in(&[LA.to_owned()]).await.expect("data");
        let ids: Vec<CaseId> = data.views().iter().map(|v| v.facts.case_id).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted, "in case order, as a fresh read gives");
        assert_eq!(ids.len(), 2);

        let before = engine
            .store()
            .cases_fingerprint(LA)
            .await
            .expect("fingerprint");
        assert_eq!(before.cases, 2);
        other
            .execute(
                &meta(),
                second,
                Command::RecordReview {
                    on: d(2026, 2, 20),
                    participation: None,
                },
            )
            .await
            .expect("another review recorded elsewhere");
        let after = engine
            .store()
            .cases_fingerprint(LA)
            .await
            .expect("fingerprint");
        assert_eq!(
            (after.cases, after.versions - before.versions),
            (2, 1),
            "one more event on one case moves the sum of versions by one"
        );
        assert_eq!(
            reviews_seen(&engine, second).await,
            Some(1),
            "a change after a report that found nothing new is read"
        );
        let empty = engine
            .store()
            .cases_fingerprint("E10000016")
            .await
            .expect("fingerprint of an authority with no cases");
        assert_eq!((empty.cases, empty.versions), (0, 0));

        engine.clear_report_cache().await;
        assert_eq!(
            reviews_seen(&engine, first).await,
            Some(1),
            "and after a cold start"
        );
    }
);
