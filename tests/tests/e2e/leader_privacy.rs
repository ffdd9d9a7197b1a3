//! End-to-end: a leader never reads a child's identifying data, on SQLite and PostgreSQL.
//!
//! A demo cohort is recorded, and a few children with names, notes, postcodes, carers,
//! deferral reasons and quorum notes are added through the API as social workers and the
//! panel would. Every sensitive value is then collected from the database side, and the
//! whole schema (read from the code's SDL) is walked as a leader: every field reachable from
//! every root query field, with real ids for the arguments; every mutation (each refused,
//! with values a child's record might hold in its input); both subscriptions; and the CSV
//! report in every breakdown. No answer may hold a sensitive value, and the walk must have
//! reached most of the schema's fields with data, so that it cannot pass on errors and nulls.
//! The same walk as a panel chair (who reads the authority's cases in full) must find each
//! kind of sensitive value, which shows the walk reaches where they live.

mod support;

use anyhow::{Context, ensure};
use permanence_auth::Role;
use permanence_cohort::CohortConfig;
use permanence_e2e::schema_walk::ApiSchema;
use permanence_e2e::{TestServer, on_both_backends};
use permanence_server::demo::{DemoOptions, record_cohort};
use support::{Sensitive, Walk, collect_sensitive, enrich, walk_queries};

const CHILDREN: usize = 60;
const SEED: u64 = 6;

async fn leader_reads_nothing_identifying(server: &TestServer) -> anyhow::Result<()> {
    let engine = server.engine();
    let config = CohortConfig::new(CHILDREN, SEED, engine.today());
    let report = record_cohort(engine, &config, &DemoOptions::for_engine(engine), |_| {}).await;
    ensure!(
        report.is_clean(),
        "the cohort was not recorded cleanly:\n{report}"
    );
    let added = enrich(server).await?;
    let sensitive = collect_sensitive(server, &added).await?;
    println!("{}", sensitive.summary());

    let schema = ApiSchema::parse(&permanence_graphql::sdl())?;
    let mut leader = Walk::new(Role::Leader, &schema, &sensitive);
    // Subscriptions first: the escalation round they wait for also fills `notifications`.
    leader.subscriptions(server, &added).await?;
    walk_queries(&mut leader, server, &added, config.start).await?;
    leader.mutations(server, &added).await?;
    leader.csv_reports(server, config.start).await?;
    println!("{}", leader.summary());
    ensure!(
        leader.leaks.is_empty(),
        "a leader read identifying data:\n{}\n\nin all:\n{}",
        leader.leaks.join("\n"),
        leader.leak_counts()
    );
    leader.ensure_coverage(0.85)?;

    let mut chair = Walk::new(Role::PanelChair, &schema, &sensitive);
    walk_queries(&mut chair, server, &added, config.start).await?;
    let found = chair.kinds_found();
    println!("a panel chair's walk found: {found:?}");
    for kind in Sensitive::KINDS {
        ensure!(
            found.contains(kind),
            "the walk never reached a {kind} even as a full reader: it cannot tell a leak"
        );
    }
    Ok(())
}

on_both_backends!(
    leader_walk_of_the_whole_schema,
    leader_reads_nothing_identifying
);

#[tokio::test]
async fn the_committed_schema_is_what_the_walk_reads() -> anyhow::Result<()> {
    // The walk reads the code's SDL; the contract test keeps `schema.graphql` equal to it.
    let schema = ApiSchema::parse(&permanence_graphql::sdl())?;
    let query = schema.query.clone();
    ensure!(schema.field(&query, "cases").is_some());
    ensure!(schema.subscription.is_some());
    let mut asked = std::collections::BTreeSet::new();
    let selection = schema.selection("Case", 6, &mut asked);
    ensure!(selection.contains("timeline { "), "{selection}");
    ensure!(asked.contains("TimelineEvent.data"), "{asked:?}");
    ensure!(asked.contains("Child.birthDate"), "{asked:?}");
    schema.field(&query, "panelQueue").context("panelQueue")?;
    Ok(())
}
