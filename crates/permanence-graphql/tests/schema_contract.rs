//! `schema.graphql` is the API's contract: this fails when the code's schema differs from it.
//! Run `cargo run -p permanence-server -- export-schema` to rewrite it after a deliberate change.

#[test]
fn committed_schema_matches_the_code() {
    let committed = include_str!("../../../schema.graphql");
    let generated = permanence_graphql::sdl();
    assert!(
        committed == generated,
        "schema.graphql differs from the code's schema: run `cargo run -p permanence-server -- export-schema` and review the diff"
    );
}
