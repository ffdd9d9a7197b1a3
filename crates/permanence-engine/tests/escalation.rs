//! Escalations through the engine, on a real SQLite file and a real PostgreSQL database:
//! each tier told once per deadline as the clock moves forward, however many sweeps run at
//! once; acknowledgements by the recipient only; the webhook's delivery queue.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use common::{LA, d, open_case};
use permanence_domain::escalation::EscalationLevel;
use permanence_domain::{CaseId, Timescales};
use permanence_engine::store::{
    DeliveryAttempt, DeliveryStatus, NotificationAudience, NotificationRecord, StoreError,
};
use permanence_engine::{Engine, EngineConfig, FixedClock};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// The same store seen by an engine whose clock stands at noon on `today`.
fn engine_at(engine: &Engine, today: NaiveDate) -> Engine {
    let noon = Utc.from_utc_datetime(&today.and_hms_opt(12, 0, 0).expect("noon"));
    let config = EngineConfig::standard(Timescales::default()).expect("configuration");
    Engine::new(engine.store().clone(), config, Arc::new(FixedClock(noon)))
}

type NoticeKey = (CaseId, String, NaiveDate, EscalationLevel);

/// What the sweeps on `days` should have recorded, from the cases' deadlines and the
/// domain's rule for each level.
async fn expected_notices(
    engine: &Engine,
    cases: &[CaseId],
    days: &[NaiveDate],
) -> BTreeSet<NoticeKey> {
    let settings = Timescales::default().escalation;
    let deadlines = engine
        .store()
        .deadlines_of_cases(cases)
        .await
        .expect("deadlines");
    let mut expected = BTreeSet::new();
    for (case_id, list) in deadlines {
        for deadline in list {
            for day in days {
                for level in settings.levels_reached_by(&deadline, *day) {
                    expected.insert((case_id, deadline.key.clone(), deadline.due_on, level));
                }
            }
        }
    }
    expected
}

async fn all_notices(engine: &Engine) -> Vec<NotificationRecord> {
    engine
        .store()
        .notifications_after(0, 100_000)
        .await
        .expect("notifications")
}

fn keys(notices: &[NotificationRecord]) -> Vec<NoticeKey> {
    notices
        .iter()
        .map(|n| (n.case_id, n.deadline_key.clone(), n.due_on, n.level))
        .collect()
}

fn worker(name: &str) -> NotificationAudience {
    NotificationAudience {
        worker: Some(name.to_owned()),
        authorities: vec![LA.to_owned()],
        ..Default::default()
    }
}

both_backends!(
    each_tier_is_told_once_as_the_clock_moves_on,
    |engine: Engine| async move {
        let mut cases = Vec::new();
        for (i, entered) in [d(2026, 3, 2), d(2026, 5, 11), d(2026, 6, 15)]
            .into_iter()
            .enumerate()
        {
            cases.push(open_case(&engine, &format!("ESC{i}"), entered).await.id);
        }
        let days = [d(2026, 6, 30), d(2026, 7, 20), d(2026, 9, 1)];
        let mut total = 0;
        for (n, day) in days.iter().enumerate() {
            let at = engine_at(&engine, *day);
            let first = at.escalate(None).await.expect("sweep");
            let again = at.escalate(None).await.expect("sweep again");
            assert_eq!(again.total(), 0, "a second sweep on {day} records nothing");
            total += first.total();
            let recorded = all_notices(&engine).await;
            assert_eq!(recorded.len() as u64, total);
            let recorded_keys = keys(&recorded);
            let unique: BTreeSet<NoticeKey> = recorded_keys.iter().cloned().collect();
            assert_eq!(unique.len(), recorded_keys.len(), "no notification twice");
            assert_eq!(
                unique,
                expected_notices(&engine, &cases, &days[..=n]).await,
                "on {day}"
            );
        }
        let levels: BTreeSet<EscalationLevel> =
            all_notices(&engine).await.iter().map(|n| n.level).collect();
        assert_eq!(
            levels,
            EscalationLevel::ALL.into_iter().collect(),
            "the scenario reaches every tier"
        );
    }
);

both_backends!(
    concurrent_sweeps_record_each_notification_once,
    |engine: Engine| async move {
        let mut cases = Vec::new();
        for i in 0..40 {
            let entered = d(2026, 1, 5) + Duration::days(i * 3);
            cases.push(open_case(&engine, &format!("CON{i}"), entered).await.id);
        }
        let day = d(2026, 8, 3);
        // Separate connection pools, as separate server processes would have.
        let mut sweepers = Vec::new();
        for _ in 0..4 {
            let store = permanence_engine::store::Store::connect(engine.store().url())
                .await
                .expect("second pool");
            let config = EngineConfig::standard(Timescales::default()).expect("configuration");
            let noon = Utc.from_utc_datetime(&day.and_hms_opt(12, 0, 0).expect("noon"));
            sweepers.push(Engine::new(store, config, Arc::new(FixedClock(noon))));
        }
        let runs = sweepers.iter().map(|s| s.escalate(None));
        let counts = futures_util::future::join_all(runs).await;
        let recorded_total: u64 = counts.into_iter().map(|c| c.expect("sweep").total()).sum();
        let recorded = all_notices(&engine).await;
        let expected = expected_notices(&engine, &cases, &[day]).await;
        assert!(
            expected.len() > 40,
            "enough work to share: {}",
            expected.len()
        );
        assert_eq!(
            recorded_total,
            expected.len() as u64,
            "the sweeps' counts add up"
        );
        assert_eq!(
            keys(&recorded).into_iter().collect::<BTreeSet<_>>(),
            expected
        );
        assert_eq!(recorded.len(), expected.len(), "no notification twice");
    }
);

both_backends!(
    only_the_recipient_acknowledges,
    |engine: Engine| async move {
        let case = open_case(&engine, "ACK1", d(2026, 6, 15)).await;
        let at = engine_at(&engine, d(2026, 7, 6));
        at.escalate(None).await.expect("sweep");
        let mine = engine
            .store()
            .notifications_for(&worker("worker-1"), true, None, 50)
            .await
            .expect("list");
        assert!(
            !mine.is_empty(),
            "the allocated worker has due-soon notices"
        );
        assert!(
            mine.iter()
                .all(|n| n.case_id == case.id && n.level == EscalationLevel::DueSoon)
        );
        let someone_else = engine
            .store()
            .acknowledge_notification(mine[0].id, &worker("worker-2"), "worker-2", at.now())
            .await;
        assert!(matches!(someone_else, Err(StoreError::NotFound)));
        let acknowledged = engine
            .store()
            .acknowledge_notification(mine[0].id, &worker("worker-1"), "worker-1", at.now())
            .await
            .expect("acknowledge");
        assert_eq!(acknowledged.acknowledged_by.as_deref(), Some("worker-1"));
        let still_open = engine
            .store()
            .notifications_for(&worker("worker-1"), true, None, 50)
            .await
            .expect("list");
        assert_eq!(still_open.len(), mine.len() - 1);
        assert!(
            engine
                .store()
                .notifications_for(&worker("worker-2"), false, None, 50)
                .await
                .expect("list")
                .is_empty()
        );
    }
);

fn instant(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 7, 6, h, m, 0)
        .single()
        .expect("instant")
}

both_backends!(
    webhook_deliveries_are_claimed_retried_and_failed_visibly,
    |engine: Engine| async move {
        open_case(&engine, "HOOK1", d(2026, 6, 15)).await;
        let at = engine_at(&engine, d(2026, 7, 6));
        let counts = at.escalate(Some(instant(9, 0))).await.expect("sweep");
        assert!(counts.total() > 0);
        let store = engine.store();

        let claimed = store
            .claim_webhook_deliveries(instant(9, 0), instant(9, 5), 100)
            .await
            .expect("claim");
        assert_eq!(
            claimed.len() as u64,
            counts.total(),
            "every notification is queued"
        );
        let leased = store
            .claim_webhook_deliveries(instant(9, 1), instant(9, 6), 100)
            .await
            .expect("claim");
        assert!(
            leased.is_empty(),
            "claimed deliveries are not handed out twice"
        );

        let (first, _) = &claimed[0];
        let failed_once = store
            .record_delivery_attempt(
                first.notification_id,
                &DeliveryAttempt {
                    at: instant(9, 1),
                    status_code: Some(503),
                    error: Some("HTTP 503".into()),
                    retry_at: Some(instant(9, 2)),
                },
            )
            .await
            .expect("record");
        assert_eq!(
            (failed_once.status, failed_once.attempts),
            (DeliveryStatus::Pending, 1)
        );
        let retried = store
            .claim_webhook_deliveries(instant(9, 2), instant(9, 7), 100)
            .await
            .expect("claim");
        assert_eq!(
            retried.len(),
            1,
            "the failed one comes back when its retry is due"
        );
        let gave_up = store
            .record_delivery_attempt(
                first.notification_id,
                &DeliveryAttempt {
                    at: instant(9, 3),
                    status_code: None,
                    error: Some("connection refused".into()),
                    retry_at: None,
                },
            )
            .await
            .expect("record");
        assert_eq!(
            (gave_up.status, gave_up.attempts),
            (DeliveryStatus::Failed, 2)
        );

        for (delivery, _) in &claimed[1..] {
            let done = store
                .record_delivery_attempt(
                    delivery.notification_id,
                    &DeliveryAttempt {
                        at: instant(9, 4),
                        status_code: Some(200),
                        error: None,
                        retry_at: None,
                    },
                )
                .await
                .expect("record");
            assert_eq!(done.status, DeliveryStatus::Delivered);
        }
        let failures = store
            .webhook_deliveries(&[LA.to_owned()], Some(DeliveryStatus::Failed), 50)
            .await
            .expect("list");
        assert_eq!(failures.len(), 1);
        assert_eq!(
            failures[0].last_error.as_deref(),
            Some("connection refused")
        );
        let elsewhere = store
            .webhook_deliveries(&["E10000016".to_owned()], None, 50)
            .await
            .expect("list");
        assert!(
            elsewhere.is_empty(),
            "another authority's administrator sees none"
        );
        let by_status: HashMap<DeliveryStatus, usize> = store
            .webhook_deliveries(&[LA.to_owned()], None, 500)
            .await
            .expect("list")
            .iter()
            .fold(HashMap::new(), |mut m, d| {
                *m.entry(d.status).or_default() += 1;
                m
            });
        assert_eq!(by_status.get(&DeliveryStatus::Failed), Some(&1));
        assert_eq!(
            by_status.get(&DeliveryStatus::Delivered),
            Some(&(claimed.len() - 1))
        );
    }
);

both_backends!(
    the_relay_passes_on_each_notification_once,
    |engine: Engine| async move {
        open_case(&engine, "REL1", d(2026, 6, 15)).await;
        let mut relay = engine.notification_relay().await.expect("relay");
        let mut received = engine.subscribe_notifications();
        let at = engine_at(&engine, d(2026, 7, 6));
        let counts = at.escalate(None).await.expect("sweep");
        assert_eq!(relay.poll().await.expect("poll") as u64, counts.total());
        assert_eq!(
            relay.poll().await.expect("poll"),
            0,
            "nothing is passed on twice"
        );
        let mut seen = BTreeSet::new();
        while let Ok(note) = received.try_recv() {
            assert!(seen.insert(note.id));
        }
        assert_eq!(seen.len() as u64, counts.total());
    }
);

both_backends!(
    deadlines_before_panel_escalate_like_any_other,
    |engine: Engine| async move {
        use permanence_domain::case::PlanRole;
        use permanence_domain::{Command, Route};
        let case = open_case(&engine, "ESCLTF", d(2026, 1, 5)).await;
        engine
            .execute(
                &common::meta(),
                case.id,
                Command::SetRoutePlan {
                    route: Route::LongTermFostering,
                    role: PlanRole::Primary,
                    on: d(2026, 2, 2),
                },
            )
            .await
            .expect("long-term fostering plan");
        // Due six months on, 2 August 2026; overdue on the 10th, with no panel ever held.
        engine_at(&engine, d(2026, 8, 10))
            .escalate(None)
            .await
            .expect("sweep");
        let notices = keys(&all_notices(&engine).await);
        assert!(
            notices.contains(&(
                case.id,
                "plan1:long_term_match_after_plan".to_owned(),
                d(2026, 8, 2),
                EscalationLevel::Overdue
            )),
            "{notices:?}"
        );
    }
);
