//! The generator's promises: determinism, scripts the domain accepts and that keep the
//! national return's rules, and proportions near the national figures.

use super::*;
use crate::stats::CohortStats;
use chrono::Months;
use permanence_domain::case::{CaseState, DecisionContext};
use permanence_domain::codes::{LegalStatus, ReasonCeased};
use permanence_domain::{RouteCatalog, Timescales, decide, derive_deadlines, evolve};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn config(children: usize, seed: u64) -> CohortConfig {
    CohortConfig::new(children, seed, day(2026, 11, 2))
}

/// Applies every period of a child's script with the domain's own `decide` and `evolve`,
/// as the engine would, with ids made up here. Answers the final state of each period, or
/// the first refusal with enough context to find the generator's bug.
fn apply(
    script: &ChildScript,
    ctx: &DecisionContext<'_>,
    child_no: u128,
) -> Result<Vec<CaseState>, String> {
    script
        .child
        .validate(ctx.today)
        .map_err(|e| format!("{}: child refused: {e}", script.child.reference))?;
    let child_id = ChildId(Uuid::from_u128(child_no << 8));
    let mut states = Vec::new();
    for (p, period) in script.periods.iter().enumerate() {
        let case_id = CaseId(Uuid::from_u128((child_no << 8) | (p as u128 + 1)));
        let open = Command::OpenCase(period.enter.open_case(&script.child, case_id, child_id));
        let mut state: Option<CaseState> = None;
        for (i, command) in std::iter::once(&open).chain(&period.commands).enumerate() {
            let events = decide(state.as_ref(), command, ctx).map_err(|e| {
                format!(
                    "{} period {} command {i} {} on {}: {e}\n{:#?}",
                    script.child.reference,
                    p + 1,
                    command_name(command),
                    command.occurred_on(),
                    period
                )
            })?;
            state = events.iter().fold(state, evolve);
        }
        states.push(state.ok_or("no state")?);
    }
    Ok(states)
}

#[test]
fn the_same_seed_gives_the_same_cohort_and_another_seed_another() {
    let a = generate(&config(300, 1));
    let b = generate(&config(300, 1));
    assert_eq!(a, b);
    let c = generate(&config(300, 2));
    assert_ne!(a, c);
    // Child n does not depend on how many children are generated.
    let prefix = generate(&config(40, 1));
    assert_eq!(prefix[..], a[..40]);
    // Pinned: a change here changes every demo database, so make it on purpose. Only exact
    // arithmetic is used, so these hold on every platform.
    let first = &a[0];
    assert_eq!(first.child.reference, "C0000001");
    assert_eq!(first.child.birth_date, day(2026, 5, 1));
    assert_eq!(first.periods[0].enter.entered_care_on, day(2026, 5, 2));
    // 5205 before the adopters were recorded after each adoption match (28 of them), and
    // before children coming back into care stopped starting with police protection (two
    // episodes fewer); 5231 before some adoptive placements broke down (each breakdown adds
    // itself, the move to foster carers, a new match with its adopters and a new placement);
    // 5243 before the social worker's visits of the last two years were recorded in the
    // placements of the last year (947 visits).
    assert_eq!(
        a.iter().map(ChildScript::command_count).sum::<usize>(),
        6190
    );
    assert_eq!(
        command_id(1, day(2026, 11, 2), 0, 0, 0).to_string(),
        "0041cfb0-a4d2-8ba3-81b7-60dcd4f7b7bd"
    );
    assert_eq!(
        command_id(1, day(2026, 11, 2), 0, 0, 0),
        command_id(1, day(2026, 11, 2), 0, 0, 0)
    );
    assert_ne!(
        command_id(1, day(2026, 11, 2), 0, 0, 0),
        command_id(1, day(2026, 11, 2), 0, 0, 1)
    );
    assert_ne!(
        command_id(1, day(2026, 11, 2), 0, 0, 0),
        command_id(1, day(2026, 11, 3), 0, 0, 0)
    );
}

#[test]
fn every_script_is_accepted_by_the_domain_and_keeps_the_national_rules() {
    let catalog = RouteCatalog::standard().expect("standard routes");
    let timescales = Timescales::default();
    let mut checked = 0usize;
    for seed in [1u64, 2, 3, 99] {
        let config = config(1500, seed);
        let ctx = DecisionContext {
            today: config.today,
            catalog: &catalog,
        };
        for (n, script) in generate(&config).iter().enumerate() {
            let states = apply(script, &ctx, (u128::from(seed) << 32) | n as u128)
                .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
            check_rules(script, &states, &config, &catalog, &timescales);
            checked += 1;
        }
    }
    assert_eq!(checked, 6000);
}

fn check_rules(
    script: &ChildScript,
    states: &[CaseState],
    config: &CohortConfig,
    catalog: &RouteCatalog,
    timescales: &Timescales,
) {
    let who = &script.child.reference;
    let birth = script.child.birth_date;
    let eighteen = birth.checked_add_months(Months::new(216)).expect("date");
    let mut previous_end: Option<NaiveDate> = None;
    for (period, state) in script.periods.iter().zip(states) {
        let entered = period.enter.entered_care_on;
        assert!(
            entered >= config.start && entered <= config.today,
            "{who}: entry date"
        );
        assert!(entered >= birth && entered < eighteen, "{who}: entry age");
        if let Some(end) = previous_end {
            assert!(entered > end, "{who}: re-entry before leaving");
        }
        // Commands are in date order and none is in the future.
        let dates: Vec<NaiveDate> = period.commands.iter().map(Command::occurred_on).collect();
        assert!(
            dates.windows(2).all(|w| w[0] <= w[1]),
            "{who}: commands out of order"
        );
        assert!(
            dates.iter().all(|d| *d <= config.today),
            "{who}: a future date"
        );
        for episode in &state.episodes {
            // Rule 408: placed for adoption under a placement order needs legal status E1.
            if matches!(
                episode.placement,
                permanence_domain::codes::PlacementType::A5
                    | permanence_domain::codes::PlacementType::A6
            ) {
                assert_eq!(episode.legal_status, LegalStatus::E1, "{who}: rule 408");
            }
            // Rule 378: a child placed with parents is not accommodated under section 20.
            assert!(
                !(episode.placement == permanence_domain::codes::PlacementType::P1
                    && episode.legal_status == LegalStatus::V2),
                "{who}: rule 378"
            );
        }
        match &state.closed {
            Some(closure) => {
                assert!(closure.on <= eighteen, "{who}: looked after past 18");
                let last = state.episodes.last().expect("an episode");
                if closure.reason.is_adoption() {
                    assert!(
                        last.placement.is_placed_for_adoption(),
                        "{who}: adopted from {:?}",
                        last.placement
                    );
                }
                if closure.reason == ReasonCeased::E17 {
                    assert_eq!(closure.on, eighteen, "{who}: E17 before 18");
                    assert!(
                        last.placement.is_foster(),
                        "{who}: E17 not from foster care"
                    );
                }
                if closure.reason.is_special_guardianship()
                    && matches!(closure.reason, ReasonCeased::E45 | ReasonCeased::E46)
                {
                    assert!(
                        last.placement.is_foster(),
                        "{who}: SGO to former foster carers"
                    );
                }
                previous_end = Some(closure.on);
            }
            None => {
                assert!(period.closed().is_none());
                assert!(eighteen > config.today, "{who}: open past 18");
            }
        }
        if let Some(drift) = &period.drift {
            assert!(state.is_open(), "{who}: a drifting case is open");
            let overdue = derive_deadlines(state, catalog, timescales)
                .iter()
                .any(|d| d.after_panel && d.due_on < config.today);
            assert!(
                overdue,
                "{who}: drifting at {} without an overdue deadline",
                drift.step
            );
        }
    }
}

/// The visits of the last year, measured by the domain's own visits-on-time figure: most on
/// time, some late, and (each placement of the year having its whole chain) few missed.
#[test]
fn most_visits_of_the_last_year_are_on_time() {
    use permanence_domain::measures::{CaseFacts, CaseView, ChildFacts, timeliness_report};
    let config = config(600, 5);
    let catalog = RouteCatalog::standard().expect("standard routes");
    let ctx = DecisionContext {
        today: config.today,
        catalog: &catalog,
    };
    let mut cases = Vec::new();
    for (n, script) in generate(&config).iter().enumerate() {
        let child = ChildFacts {
            birth_date: script.child.birth_date,
            sex: script.child.sex,
            ethnicity: script.child.ethnicity.clone(),
            local_authority: script.child.local_authority.clone(),
            reference: script.child.reference.as_str().into(),
        };
        for state in apply(script, &ctx, n as u128).expect("accepted") {
            cases.push((CaseFacts::of(&state), child.clone()));
        }
    }
    let views: Vec<CaseView<'_>> = cases
        .iter()
        .map(|(facts, child)| CaseView { facts, child })
        .collect();
    let from = config.today - Months::new(12);
    let report = timeliness_report(&views, from, config.today);
    let visits = &report.visits_on_time;
    let missed = visits.cases.iter().filter(|c| c.days.is_none()).count();
    let percent = visits.percent.expect("visits in the year");
    assert!(visits.denominator > 500, "{} visits", visits.denominator);
    assert!((80.0..=97.0).contains(&percent), "{percent}% on time");
    assert!(missed * 50 < visits.denominator, "{missed} missed");
}

#[test]
fn proportions_are_near_the_national_figures() {
    let scripts = generate(&config(5000, 2026));
    let stats = CohortStats::of(&scripts);
    println!("{stats}");
    let ages = stats.entry_age_shares();
    for (band, (share, national)) in ages.iter().zip([18.0, 16.0, 17.0, 34.0, 15.0]).enumerate() {
        assert!(
            (share - national).abs() < 3.0,
            "age band {band}: {share:.1}% against {national}%"
        );
    }
    let adopted = CohortStats::percent(stats.adopted, stats.leavers);
    let sgo = CohortStats::percent(stats.special_guardianship, stats.leavers);
    assert!(
        (6.5..=12.0).contains(&adopted),
        "adopted {adopted:.1}% of leavers"
    );
    assert!(
        (9.0..=15.0).contains(&sgo),
        "special guardianship {sgo:.1}% of leavers"
    );
    let home = CohortStats::percent(stats.returned_home, stats.leavers);
    assert!((20.0..=45.0).contains(&home), "home {home:.1}% of leavers");
    let reversals = CohortStats::percent(stats.reversals, stats.children);
    assert!(
        (2.0..=6.0).contains(&reversals),
        "reversals {reversals:.1}% of children"
    );
    // Disruptions: a few percent of adoptive placements (research puts it at 2–9%).
    let breakdowns = CohortStats::percent(stats.adoption_breakdowns, stats.adoptive_placements);
    assert!(
        stats.adoption_breakdowns > 0 && (1.0..=9.0).contains(&breakdowns),
        "breakdowns {breakdowns:.1}% of adoptive placements"
    );
    let re_entries = CohortStats::percent(stats.re_entries, stats.children);
    assert!(
        (3.0..=7.0).contains(&re_entries),
        "re-entries {re_entries:.1}% of children"
    );
    assert!(stats.drifting >= 50, "drifting {}", stats.drifting);
    assert!(stats.twin_track > 100, "twin-track {}", stats.twin_track);
    assert!(
        stats.proceedings_extended > 0 && stats.proceedings_extended < stats.proceedings_issued
    );
    // Entering care to the decision about 6 months; the decision to the match about 8.
    let months = |days: f64| days / 30.44;
    let to_decision = months(stats.entry_to_adoption_decision.mean_days);
    let to_match = months(stats.adoption_decision_to_match.mean_days);
    assert!(
        (5.0..=7.5).contains(&to_decision),
        "entry to decision {to_decision:.1} months"
    );
    assert!(
        (6.5..=9.5).contains(&to_match),
        "decision to match {to_match:.1} months"
    );
    let a1 = stats.entry_to_adoptive_placement.mean_days;
    assert!((400.0..=560.0).contains(&a1), "A1 {a1:.0} days");
}

#[test]
fn sibling_groups_are_drawn_apart_and_the_domain_accepts_each() {
    use permanence_domain::ids::SiblingGroupId;
    use permanence_domain::siblings::{self, MemberFacts, PlacementDecision, Placing};
    let config = config(600, 3);
    let scripts = generate(&config);
    let groups = sibling_groups(&config, &scripts);
    // Drawn from their own stream: the same every time, and the children's scripts are what
    // `generate` gives without them.
    assert_eq!(groups, sibling_groups(&config, &scripts));
    assert_eq!(scripts, generate(&config));
    assert!(groups.len() >= 5, "{} groups", groups.len());
    assert!(groups.iter().any(|g| g.placing == Placing::Together));
    assert!(groups.iter().any(|g| g.placing != Placing::Together));
    let case_of = |child: usize| CaseId(Uuid::from_u128(child as u128 + 1));
    let mut in_group: std::collections::HashMap<CaseId, SiblingGroupId> =
        std::collections::HashMap::new();
    for (n, group) in groups.iter().enumerate() {
        let facts: Vec<MemberFacts> = group
            .members
            .iter()
            .map(|m| MemberFacts {
                case_id: case_of(*m),
                local_authority: scripts[*m].child.local_authority.clone(),
                open: scripts[*m]
                    .periods
                    .last()
                    .is_some_and(|p| p.closed().is_none()),
                group: in_group.get(&case_of(*m)).copied(),
            })
            .collect();
        let command = siblings::RecordSiblingGroup {
            new_group_id: SiblingGroupId(Uuid::from_u128(1_000_000 + n as u128)),
            members: group.members.iter().map(|m| case_of(*m)).collect(),
            decision: PlacementDecision {
                placing: group.placing,
                reason: group.reason,
                placed_together: group
                    .placed_together
                    .iter()
                    .map(|set| set.iter().map(|m| case_of(*m)).collect())
                    .collect(),
                decided_on: group.decided_on,
            },
        };
        let events = siblings::decide(None, &command, &facts, config.today)
            .unwrap_or_else(|e| panic!("group {n} refused: {e}"));
        let state = siblings::replay(&events).expect("a group");
        for member in &state.members {
            in_group.insert(*member, state.id);
        }
    }
}

#[test]
fn children_at_home_are_accepted_by_the_domain_and_some_are_drifting() {
    use permanence_domain::deadlines::legal_deadlines;
    use permanence_domain::legal_at_home::{ChildNow, RecordAtHome, decide, evolve};
    let config = config(300, 1);
    let at_home = crate::children_at_home(&config);
    assert_eq!(at_home.len(), 12);
    assert_eq!(
        at_home,
        crate::children_at_home(&config),
        "the same seed, the same children"
    );
    let (mut under_way, mut overdue) = (0, 0);
    for script in &at_home {
        script
            .child
            .validate(config.today)
            .expect("the child registers");
        let child = ChildNow {
            born_on: script.child.birth_date,
            in_care: false,
            today: config.today,
        };
        let mut state = None;
        for (on, step) in &script.steps {
            let command = RecordAtHome {
                on: *on,
                step: *step,
                team: state.is_none().then(|| script.team.clone()),
            };
            let events = decide(state.as_ref(), &command, child)
                .unwrap_or_else(|e| panic!("{} {step:?} on {on}: {e}", script.child.reference));
            state = events.iter().fold(state, |s, e| Some(evolve(s, e)));
        }
        let state = state.expect("a round began");
        if state.track.is_under_way() {
            under_way += 1;
            let deadlines = legal_deadlines(&state.track, &Timescales::default());
            if deadlines.iter().any(|d| d.due_on < config.today) {
                overdue += 1;
            }
        }
    }
    assert!(0 < under_way && under_way < at_home.len(), "{under_way}");
    assert!(overdue > 0, "some rounds at home are past their deadline");
}
