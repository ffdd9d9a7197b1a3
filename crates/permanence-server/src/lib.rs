//! The permanence server: HTTP routes, configuration and start-up.
//!
//! It wires the store, engine and GraphQL schema together and serves them over axum:
//! `POST /graphql`, GraphiQL at `GET /graphql`, subscriptions over WebSocket at
//! `/graphql/ws`, `GET /healthz`, and the pages (`permanence-web`) at `/`. It holds no SQL
//! and no business rules.

pub mod admin;
pub mod audit_writer;
pub mod cli;
pub mod commands;
pub mod config;
mod csv_report;
pub mod demo;
pub mod escalation;
mod graphql_body;
mod http_errors;
pub mod rate_limit;
pub mod ssda903;
mod token_cache;

use async_graphql::Data;
use async_graphql_axum::{GraphQLProtocol, GraphQLResponse, GraphQLWebSocket};
use axum::body::Body;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use permanence_auth::{AuthError, Credential, JwtVerifier, Principal, TokenStatus, hash_token};
use permanence_domain::Timescales;
use permanence_engine::store::NewAuditEntry;
use permanence_engine::store::Store;
use permanence_engine::{Actor, Clock, Engine, EngineConfig};
use permanence_graphql::connection_audit::{ConnectionAudit, ReadsNotWritten, ReadsWriter};
use permanence_graphql::guard::{AuditTrail, AuditedRead};
use permanence_graphql::{SchemaLimits, Schemas, build_schema, prepare_request};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// How the HTTP side behaves.
#[derive(Clone, Debug)]
pub struct HttpOptions {
    /// Requests each user may make per minute (per server process).
    pub requests_per_minute: u32,
    /// Verifies tokens from the authority's identity provider, when single sign-on is set up.
    pub jwt: Option<Arc<JwtVerifier>>,
    pub graphiql: bool,
    pub body_limit_bytes: usize,
    pub limits: SchemaLimits,
    /// The pages: sessions and sign-in throttling.
    pub web: permanence_web::WebOptions,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            requests_per_minute: 600,
            jwt: None,
            graphiql: false,
            body_limit_bytes: 64 * 1024,
            limits: SchemaLimits::default(),
            web: permanence_web::WebOptions::default(),
        }
    }
}

#[derive(Clone)]
pub(crate) struct AppState {
    engine: Engine,
    audit: audit_writer::AuditWriter,
    tokens: token_cache::TokenCache,
    limiter: Arc<rate_limit::RateLimiter>,
    jwt: Option<Arc<JwtVerifier>>,
    schema: Schemas,
    graphiql: bool,
    body_limit_bytes: usize,
    max_nesting: usize,
}

/// The single sign-on settings file: where the identity provider's keys are, how its
/// tokens' claims map onto users, and, in `[web_sign_in]`, how the pages sign people in
/// through it.
#[derive(Debug, serde::Deserialize)]
struct SingleSignOnFile {
    /// A JWKS document (the provider's public keys), saved locally: keys are never fetched.
    jwks_file: std::path::PathBuf,
    #[serde(default)]
    web_sign_in: Option<permanence_web::WebSignInSettings>,
    #[serde(flatten)]
    config: permanence_auth::JwtConfig,
}

/// What a single sign-on settings file sets up.
#[derive(Debug)]
pub struct SingleSignOn {
    /// Verifies the API's bearer tokens.
    pub verifier: JwtVerifier,
    /// Signs people in to the pages, when the file has a `[web_sign_in]` table.
    pub web: Option<permanence_web::SingleSignOn>,
}

/// Reads a single sign-on settings file and the JWKS it names, for the API's bearer tokens.
pub fn load_single_sign_on(path: &std::path::Path) -> anyhow::Result<JwtVerifier> {
    Ok(load_single_sign_on_settings(path)?.verifier)
}

/// Reads a single sign-on settings file, the JWKS it names and, with `[web_sign_in]`, the
/// client secret file. A setting that cannot be used is an error naming it and saying why.
pub fn load_single_sign_on_settings(path: &std::path::Path) -> anyhow::Result<SingleSignOn> {
    use anyhow::Context;
    let what = || format!("single sign-on settings {}", path.display());
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", what()))?;
    let file: SingleSignOnFile = toml::from_str(&text).with_context(what)?;
    let jwks = std::fs::read_to_string(&file.jwks_file)
        .with_context(|| format!("reading JWKS {}", file.jwks_file.display()))?;
    let verifier = JwtVerifier::from_jwks_json(&jwks, file.config.clone()).with_context(what)?;
    let web = match file.web_sign_in {
        Some(settings) => Some(
            permanence_web::SingleSignOn::configure(settings, &jwks, &file.config)
                .with_context(what)?,
        ),
        None => None,
    };
    Ok(SingleSignOn { verifier, web })
}

/// Reads a council's file of national reference figures for the dashboard. A file that
/// cannot be used stops the start-up with the file, the line and the reason: a wrong figure
/// on a leader's screen would be worse than a server that does not start.
pub fn load_national_reference(
    path: &std::path::Path,
) -> anyhow::Result<permanence_web::NationalReference> {
    use anyhow::Context;
    let what = || format!("national reference figures {}", path.display());
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", what()))?;
    permanence_web::NationalReference::parse(&text).with_context(what)
}

/// Connects to the database, applies migrations and builds the engine.
pub async fn open_engine(
    database_url: &str,
    timescales: Timescales,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<Engine> {
    let store = Store::connect(database_url).await?;
    store.migrate().await?;
    let config = EngineConfig::standard(timescales)?;
    Ok(Engine::new(store, config, clock))
}

/// The HTTP routes around an engine. Starts the audit appender (see `audit_writer`) and the
/// token cache's listener (see `token_cache`), so it must be called within a tokio runtime.
pub fn router(engine: Engine, options: &HttpOptions) -> Router {
    let limits = SchemaLimits {
        introspection: options.graphiql,
        ..options.limits
    };
    let schema = build_schema(engine.clone(), limits);
    let audit = audit_writer::AuditWriter::spawn(engine.store().clone());
    let pages =
        permanence_web::router(engine.clone(), Arc::new(audit.clone()), options.web.clone());
    let state = AppState {
        audit,
        tokens: token_cache::TokenCache::spawn(engine.store().clone()),
        engine,
        limiter: Arc::new(rate_limit::RateLimiter::new(options.requests_per_minute)),
        jwt: options.jwt.clone(),
        schema,
        graphiql: options.graphiql,
        body_limit_bytes: options.body_limit_bytes,
        max_nesting: limits.max_nesting,
    };
    Router::new()
        .route(
            "/graphql",
            get(graphiql)
                .post(graphql)
                .fallback(http_errors::wrong_method),
        )
        .route("/graphql/ws", get(subscriptions))
        .route("/healthz", get(healthz))
        .route("/reports/timeliness.csv", get(csv_report::timeliness_csv))
        .fallback(http_errors::no_such_path)
        .with_state(state)
        .merge(pages)
}

/// Why a request could not be authenticated; answered 401 with code UNAUTHENTICATED.
pub(crate) enum AuthFailure {
    Unauthenticated(String),
    /// The user has used up their requests for the minute: 429.
    RateLimited,
    Internal,
}

impl IntoResponse for AuthFailure {
    fn into_response(self) -> Response {
        match self {
            AuthFailure::Unauthenticated(message) => (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                Json(serde_json::json!({
                    "errors": [{ "message": message, "extensions": { "code": "UNAUTHENTICATED" } }]
                })),
            )
                .into_response(),
            AuthFailure::RateLimited => (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, "60")],
                Json(serde_json::json!({
                    "errors": [{ "message": "too many requests: try again in a minute",
                                 "extensions": { "code": "RATE_LIMITED" } }]
                })),
            )
                .into_response(),
            AuthFailure::Internal => internal_error(),
        }
    }
}

fn internal_error() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(serde_json::json!({
            "errors": [{ "message": "internal error", "extensions": { "code": "INTERNAL" } }]
        })),
    )
        .into_response()
}

/// Who is asking: the holder of a token this server issued, or of a token signed by the
/// authority's identity provider. The credential never reaches a log or a message.
async fn identify(state: &AppState, authorization: Option<&str>) -> Result<Principal, AuthFailure> {
    let refuse = |e: AuthError| AuthFailure::Unauthenticated(e.to_string());
    let credential = Credential::from_authorization_header(authorization).map_err(refuse)?;
    let now = state.engine.now();
    match credential {
        Credential::Token(secret) => {
            let found = state
                .tokens
                .user_for_token(state.engine.store(), &hash_token(secret))
                .await
                .map_err(|e| {
                    tracing::error!(error = %e, "token look-up failed");
                    AuthFailure::Internal
                })?;
            let found = found.ok_or(refuse(AuthError::UnknownToken))?;
            let (user, token) = &*found;
            TokenStatus::at(token.expires_at, token.revoked_at, now)
                .check()
                .map_err(refuse)?;
            if user.disabled_at.is_some_and(|at| at <= now) {
                return Err(AuthFailure::Unauthenticated("the user is disabled".into()));
            }
            Ok(user.principal())
        }
        Credential::Jwt(jwt) => match &state.jwt {
            Some(verifier) => verifier.verify(jwt, now).map_err(refuse),
            None => Err(AuthFailure::Unauthenticated(
                "single sign-on is not configured on this server: use a token it issued".into(),
            )),
        },
    }
}

/// Who is asking, within their request budget.
pub(crate) async fn authenticate(
    state: &AppState,
    authorization: Option<&str>,
) -> Result<Principal, AuthFailure> {
    let principal = identify(state, authorization).await?;
    if state.limiter.allow(&principal.user_id) {
        Ok(principal)
    } else {
        Err(AuthFailure::RateLimited)
    }
}

/// Writes the reads of a request to the audit log, as one row naming every record read; the
/// answer is withheld if that fails.
async fn write_audit(state: &AppState, actor: &str, trail: &AuditTrail) -> Result<(), Response> {
    let Some(entry) = NewAuditEntry::request(
        state.engine.now(),
        actor,
        GRAPHQL_REQUEST,
        trail.take().into_iter().map(AuditedRead::into_record),
    ) else {
        return Ok(());
    };
    // The appender has logged why; the answer is withheld.
    state
        .audit
        .append(vec![entry])
        .await
        .map_err(|_| internal_error())
}

/// What a request's audit row names as its entry point (each record names its own field).
const GRAPHQL_REQUEST: &str = "POST /graphql";

/// An answer sent over the WebSocket, as its audit row names it.
const GRAPHQL_SOCKET_ANSWER: &str = "WebSocket /graphql/ws";

/// Writes the reads behind one answer on a WebSocket connection as one audit row.
struct SocketReads {
    state: AppState,
    actor: String,
}

impl ReadsWriter for SocketReads {
    fn write(
        &self,
        reads: Vec<AuditedRead>,
    ) -> futures_util::future::BoxFuture<'static, Result<(), ReadsNotWritten>> {
        let entry = NewAuditEntry::request(
            self.state.engine.now(),
            &self.actor,
            GRAPHQL_SOCKET_ANSWER,
            reads.into_iter().map(AuditedRead::into_record),
        );
        let audit = self.state.audit.clone();
        Box::pin(async move {
            audit
                .append(entry.into_iter().collect())
                .await
                .map_err(|_| ReadsNotWritten)
        })
    }
}

pub(crate) fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
}

async fn graphql(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    if !graphql_body::is_json(&headers) {
        return graphql_body::not_json();
    }
    let bytes = match graphql_body::read(&headers, body, state.body_limit_bytes).await {
        Ok(bytes) => bytes,
        Err(refused) => return refused,
    };
    let principal = match authenticate(&state, authorization(&headers)).await {
        Ok(principal) => principal,
        Err(failure) => return failure.into_response(),
    };
    let request = match graphql_body::parse(&bytes, state.max_nesting) {
        Ok(request) => request,
        Err(reason) => return http_errors::bad_request(&reason),
    };
    let actor = Actor(principal.user_id.clone());
    let trail = Arc::new(AuditTrail::default());
    let request = prepare_request(request, &state.engine, actor.clone())
        .data(principal)
        .data(Arc::clone(&trail));
    let mut response = state.schema.http.execute(request).await;
    if let Err(withheld) = write_audit(&state, &actor.0, &trail).await {
        return withheld;
    }
    permanence_graphql::ensure_error_codes(&mut response);
    GraphQLResponse::from(response).into_response()
}

async fn graphiql(State(state): State<AppState>) -> Response {
    if !state.graphiql {
        return http_errors::refusal(
            StatusCode::NOT_FOUND,
            permanence_graphql::ErrorCode::NotFound,
            "GraphiQL is not enabled on this server: send GraphQL requests with POST",
        );
    }
    // Our own page rather than async-graphql's, which loads GraphiQL from a content delivery
    // network: this one's files are served by this server (see `permanence_web::graphiql_page`).
    permanence_web::graphiql_page("/graphql", "/graphql/ws")
}

async fn subscriptions(
    State(state): State<AppState>,
    headers: HeaderMap,
    protocol: Result<GraphQLProtocol, StatusCode>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let (Ok(protocol), Ok(upgrade)) = (protocol, upgrade) else {
        return http_errors::bad_request(
            "subscriptions need a WebSocket upgrade with the graphql-transport-ws protocol",
        );
    };
    let header_credential = authorization(&headers).map(str::to_owned);
    let schema = state.schema.socket.clone();
    let engine = state.engine.clone();
    let auth_state = state.clone();
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |stream| {
            GraphQLWebSocket::new(stream, schema, protocol)
                .on_connection_init(move |payload| async move {
                    // Browsers cannot set headers on a WebSocket: the token may come in the
                    // connection's first message instead.
                    let credential = header_credential.or_else(|| {
                        ["Authorization", "authorization"].iter().find_map(|k| {
                            payload.get(*k).and_then(|v| v.as_str()).map(str::to_owned)
                        })
                    });
                    let principal = authenticate(&auth_state, credential.as_deref())
                        .await
                        .map_err(|_| async_graphql::Error::new("authentication required"))?;
                    let actor = Actor(principal.user_id.clone());
                    let (actor, loaders) = permanence_graphql::request_data(&engine, actor);
                    let audit_state = auth_state.clone();
                    let principal_id = principal.user_id.clone();
                    let mut data = Data::default();
                    data.insert(actor);
                    data.insert(loaders);
                    data.insert(principal);
                    // Every answer on the connection (each event of a subscription) leaves
                    // once the reads behind it are in the audit log.
                    let trail = Arc::new(AuditTrail::default());
                    data.insert(Arc::new(ConnectionAudit::new(
                        Arc::clone(&trail),
                        Box::new(SocketReads {
                            state: audit_state,
                            actor: principal_id,
                        }),
                    )));
                    data.insert(trail);
                    Ok(data)
                })
                .serve()
        })
}

async fn healthz(State(state): State<AppState>) -> Response {
    match state.engine.store().ping().await {
        Ok(()) => Json(serde_json::json!({ "status": "ok" })).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({ "status": "database unavailable" })),
            )
                .into_response()
        }
    }
}

/// Serves the router on a bound listener until `shutdown` completes, letting requests in
/// flight finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// A server running in this process on an ephemeral port: for end-to-end tests and demos.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub engine: Engine,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl RunningServer {
    /// Binds `127.0.0.1:0` and serves the engine there.
    pub async fn start(engine: Engine, options: &HttpOptions) -> anyhow::Result<Self> {
        Self::start_on(TcpListener::bind("127.0.0.1:0").await?, engine, options).await
    }

    /// Serves the engine on a listener bound already (when the options must name the
    /// server's own address, as single sign-on's redirect URI does).
    pub async fn start_on(
        listener: TcpListener,
        engine: Engine,
        options: &HttpOptions,
    ) -> anyhow::Result<Self> {
        let addr = listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let app = router(engine.clone(), options);
        let task = tokio::spawn(serve(listener, app, async move {
            let _ = rx.await;
        }));
        Ok(Self {
            addr,
            engine,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Stops accepting requests and waits for those in flight.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await??;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn a_council_reference_file_is_read_or_refused_with_its_line() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let good = dir.path().join("good.csv");
        std::fs::write(
            &good,
            "measure,what,period,value,unit,source\nA1,Statistical neighbours,2023-24,402,days,LAIT\n",
        )?;
        let reference = load_national_reference(&good)?;
        assert_eq!(reference.first_for("A1").map(|f| f.value), Some(402.0));

        let bad = dir.path().join("bad.csv");
        std::fs::write(
            &bad,
            "measure,what,period,value,unit,source\nA1,ok,2023-24,402,days,LAIT\nA2,ok,2023-24,soon,days,LAIT\n",
        )?;
        let refused = format!(
            "{:#}",
            load_national_reference(&bad).err().context("refused")?
        );
        assert!(refused.contains("bad.csv"), "{refused}");
        assert!(
            refused.contains("line 3: the value must be a number"),
            "{refused}"
        );

        let missing = format!(
            "{:#}",
            load_national_reference(&dir.path().join("none.csv"))
                .err()
                .context("refused")?
        );
        assert!(
            missing.contains("reading national reference figures"),
            "{missing}"
        );
        Ok(())
    }
}
