//! Database migrations: the only place the schema changes.
//!
//! A migration is never edited after it lands; a change is a new migration. Tables are
//! declared through sea-query so that one definition serves SQLite and PostgreSQL; the
//! append-only guard on `case_events` is a trigger, written once per backend.

pub use sea_orm_migration::MigratorTrait;
use sea_orm_migration::prelude::*;

mod m20261126_000001_initial;
mod m20261126_000002_panel;
mod m20261126_000003_access;
mod m20261126_000004_cases_by_authority;
mod m20261126_000005_notifications;
mod m20261126_000006_ssda903;
mod m20261126_000007_panel_members;
mod m20261126_000008_case_versions_by_authority;
mod m20261205_000001_command_kinds_hostile;
mod m20261205_000010_web_sign_in;
mod m20261205_000020_web_form_drafts;
mod m20261205_000030_single_sign_on_users;
mod m20261205_000040_deadlines_not_known_from_return;
mod m20261205_000050_audit_per_request;
mod m20261205_000060_case_report_facts;
mod m20261205_000080_legal_at_home;
mod m20261205_000090_sibling_groups;
mod m20261205_000100_credential_changes;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_initial::Migration),
            Box::new(m20261126_000002_panel::Migration),
            Box::new(m20261126_000003_access::Migration),
            Box::new(m20261126_000004_cases_by_authority::Migration),
            Box::new(m20261126_000005_notifications::Migration),
            Box::new(m20261126_000006_ssda903::Migration),
            Box::new(m20261126_000007_panel_members::Migration),
            Box::new(m20261126_000008_case_versions_by_authority::Migration),
            Box::new(m20261205_000001_command_kinds_hostile::Migration),
            Box::new(m20261205_000010_web_sign_in::Migration),
            Box::new(m20261205_000020_web_form_drafts::Migration),
            Box::new(m20261205_000030_single_sign_on_users::Migration),
            Box::new(m20261205_000040_deadlines_not_known_from_return::Migration),
            Box::new(m20261205_000050_audit_per_request::Migration),
            Box::new(m20261205_000060_case_report_facts::Migration),
            Box::new(m20261205_000080_legal_at_home::Migration),
            Box::new(m20261205_000090_sibling_groups::Migration),
            Box::new(m20261205_000100_credential_changes::Migration),
        ]
    }
}
