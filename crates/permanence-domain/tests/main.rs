//! The domain crate's tests, one binary with a module an area (`cargo test -p permanence-domain
//! decide::` runs one area).

mod common;

mod bank_holidays;
mod breakdown;
mod deadlines;
mod deadlines_as_of;
mod deadlines_before_panel;
mod decide;
mod disruption_measures;
mod history;
mod legal_at_home;
mod measures;
mod panel;
mod properties;
mod records_agree;
mod return_facts;
mod siblings;
mod step_names;
mod visits;
