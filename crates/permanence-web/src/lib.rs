//! The pages: what social workers, panel members and leaders use in a browser.
//!
//! Server-rendered HTML (askama templates, checked when compiled) in the GOV.UK Design
//! System's patterns, with GOV.UK Frontend's styles served by this crate itself: no page or
//! asset loads anything from another host, and every page and form works with JavaScript off.
//!
//! It is a second presentation of the engine, never a second set of rules: a page reads and
//! writes through the same engine, asks the same `permanence_auth` policy, and writes the
//! same audit rows as the GraphQL API, so a page can show or do exactly what the same
//! person's token could. It holds no SQL and no GraphQL. Sign-in is by password (Argon2id),
//! or through the council's identity provider (OpenID Connect, when it is set up), into a
//! server-side session named by an HttpOnly, SameSite=Strict cookie; every form carries the
//! session's CSRF token.

mod after_panel;
mod assets;
mod audit;
mod case_access;
mod case_page;
mod cases;
mod charts;
mod children;
mod chrome;
mod commands;
mod dashboard;
mod dashboard_charts;
mod dashboard_data;
mod dashboard_download;
mod dashboard_tables;
mod dashboard_tiles;
mod drift_board;
mod error;
mod figures;
mod form;
mod form_flow;
mod form_page;
mod format;
mod graphiql;
mod legal_at_home;
mod measure_cases;
mod notifications;
mod paging;
mod panel;
mod panel_common;
mod panel_forms;
mod placement_fields;
mod record;
mod reference_figures;
mod report_window;
mod sections;
mod security;
mod session;
mod sibling_form;
mod sibling_panel_form;
mod sign_in;
mod single_sign_on;
mod timeline;
mod timing;

use axum::Router;
use axum::routing::{get, post};
use permanence_auth::SessionPolicy;
use permanence_engine::Engine;
use std::sync::Arc;

pub use audit::{AuditSink, AuditUnavailable};
pub use error::page_not_found;
pub use graphiql::graphiql_page;
pub use reference_figures::{NationalReference, ReferenceError, ReferenceFigure};

/// How the pages behave.
#[derive(Clone, Debug, Default)]
pub struct WebOptions {
    pub session: SessionPolicy,
    /// Marks cookies `Secure` even when the request does not say it came over HTTPS (set it
    /// when a proxy in front terminates TLS without sending `X-Forwarded-Proto`).
    pub always_secure_cookies: bool,
    /// Failed sign-ins allowed per account, and per address, in a window.
    pub sign_in_throttle: sign_in::Throttle,
    /// Signing in through the council's identity provider, when it is set up.
    pub single_sign_on: Option<Arc<SingleSignOn>>,
    /// The published figures the dashboard's tiles are compared with (the compiled-in file
    /// unless the council gives its own).
    pub national_reference: Arc<NationalReference>,
}

pub use sign_in::Throttle;
pub use single_sign_on::{SettingsError, SingleSignOn, WebSignInSettings};

/// What every page handler has.
#[derive(Clone)]
pub(crate) struct WebState {
    engine: Engine,
    audit: Arc<dyn AuditSink>,
    options: Arc<WebOptions>,
}

/// The pages and their assets, with the security headers every answer carries.
pub fn router(engine: Engine, audit: Arc<dyn AuditSink>, options: WebOptions) -> Router {
    let single_sign_on = options.single_sign_on.is_some();
    let state = WebState {
        engine,
        audit,
        options: Arc::new(options),
    };
    let mut pages = Router::new()
        .route("/", get(cases::home))
        .route(
            "/children/new",
            get(children::register_form).post(children::register),
        )
        .route(
            "/children/{id}/enter-care",
            get(children::care_form).post(children::enter_care),
        )
        .route(
            "/children/{id}/legal-at-home",
            get(legal_at_home::show).post(legal_at_home::submit),
        )
        .route("/cases/{id}", get(case_page::show))
        .route(
            "/cases/{id}/record/{form}",
            get(record::show).post(record::submit),
        )
        .route(
            "/cases/{id}/sibling-group",
            get(sibling_form::show).post(sibling_form::submit),
        )
        .route("/dashboard", get(dashboard::show))
        .route("/dashboard.csv", get(dashboard_download::csv))
        .route("/dashboard.xlsx", get(dashboard_download::xlsx))
        .route("/dashboard/cases", get(measure_cases::list))
        .route("/panel", get(panel::queue))
        .route(
            "/panel/meetings/new",
            get(panel_forms::schedule_form).post(panel_forms::schedule_submit),
        )
        .route("/panel/meetings/{id}", get(panel::meeting))
        .route(
            "/panel/meetings/{id}/{form}",
            get(panel_forms::meeting_form).post(panel_forms::meeting_submit),
        )
        .route(
            "/panel/meetings/{meeting}/sibling-groups/{group}/{purpose}",
            get(sibling_panel_form::show).post(sibling_panel_form::submit),
        )
        .route(
            "/panel/items/{id}/{form}",
            get(panel_forms::item_form).post(panel_forms::item_submit),
        )
        .route("/drift", get(drift_board::show))
        .route("/dashboard/after-panel", get(after_panel::show))
        .route("/dashboard/after-panel/cases", get(after_panel::cases))
        .route("/notifications", get(notifications::list))
        .route(
            "/notifications/{id}/acknowledge",
            post(notifications::acknowledge),
        )
        .route("/sign-in", get(sign_in::form).post(sign_in::submit))
        .route("/sign-out", post(sign_in::sign_out))
        .route("/assets/{*path}", get(assets::serve));
    // Without an identity provider these paths do not exist, as before it could be set up.
    if single_sign_on {
        pages = pages
            .route("/sign-in/single-sign-on", get(single_sign_on::start))
            .route(single_sign_on::CALLBACK_PATH, get(single_sign_on::callback));
    }
    pages
        .with_state(state.clone())
        .layer(axum::middleware::from_fn_with_state(
            state,
            audit::write_page_reads,
        ))
        .layer(axum::middleware::from_fn(security::headers))
        .layer(axum::middleware::from_fn(timing::server_timing))
}
