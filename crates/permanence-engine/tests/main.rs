//! The engine crate's tests, one binary with a module an area (`cargo test -p permanence-engine
//! decide::` runs one area).

#[macro_use]
mod common;

mod engine;
mod escalation;
mod panel;
mod projection_property;
mod report_cache;
