//! The ssda903 crate's tests, one binary with a module an area (`cargo test -p permanence-ssda903
//! decide::` runs one area).

mod common;

mod breakdown;
mod cohort;
mod read_refusals;
mod shuffled_import;
