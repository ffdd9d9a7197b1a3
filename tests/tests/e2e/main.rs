//! End-to-end tests: the real server over HTTP (and Chromium for the pages), on SQLite and
//! PostgreSQL, one module an area, in one test binary, so that the workspace links it once
//! rather than once an area. `cargo test -p permanence-e2e visits::` runs one area.

mod access;
mod access_matrix;
mod api;
mod audit_per_request;
mod breakdown;
mod case_reads;
mod dashboard;
mod dashboard_pack;
mod deadlines_before_panel;
mod demo_data;
mod drift_as_of;
mod drift_board;
mod escalation;
mod graphiql;
mod hostile;
mod http;
mod leader_privacy;
mod legal_track;
mod panel;
mod report_facts;
mod server_timing;
mod sibling_panel;
mod siblings;
mod single_sign_on;
mod ssda903;
mod ssda903_history;
mod subscription;
mod timeliness;
mod visits;
mod web;
mod web_breakdown;
mod web_casework;
mod web_legal_at_home;
mod web_panel;
mod web_siblings;
mod web_single_sign_on;
mod web_visits;
