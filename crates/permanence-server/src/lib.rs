//! The permanence server: HTTP routes, configuration and start-up.
//!
//! It wires the store, engine and GraphQL schema together and serves them over axum:
//! `POST /graphql`, GraphiQL at `GET /graphql`, subscriptions over WebSocket at
//! `/graphql/ws`, and `GET /healthz`. It holds no SQL and no business rules.

pub mod config;
mod csv_report;
pub mod demo;

use async_graphql::Data;
use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLProtocol, GraphQLRequest, GraphQLResponse, GraphQLWebSocket};
use axum::extract::{State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use permanence_domain::Timescales;
use permanence_engine::store::Store;
use permanence_engine::{Actor, Clock, Engine, EngineConfig};
use permanence_graphql::{PermanenceSchema, SchemaLimits, build_schema, prepare_request};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tower_http::limit::RequestBodyLimitLayer;

/// The header that names the acting user until authentication is in place.
pub const ACTOR_HEADER: &str = "x-permanence-actor";
/// The actor recorded when a request names none.
pub const ANONYMOUS_ACTOR: &str = "anonymous";
/// Longest actor name accepted from the header.
const MAX_ACTOR_LEN: usize = 100;

/// How the HTTP side behaves.
#[derive(Clone, Debug)]
pub struct HttpOptions {
    pub graphiql: bool,
    pub body_limit_bytes: usize,
    pub limits: SchemaLimits,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            graphiql: true,
            body_limit_bytes: 64 * 1024,
            limits: SchemaLimits::default(),
        }
    }
}

#[derive(Clone)]
pub(crate) struct AppState {
    engine: Engine,
    schema: PermanenceSchema,
    graphiql: bool,
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

/// The HTTP routes around an engine.
pub fn router(engine: Engine, options: &HttpOptions) -> Router {
    let schema = build_schema(engine.clone(), options.limits);
    let state = AppState {
        engine,
        schema,
        graphiql: options.graphiql,
    };
    // axum's default body limit does not reach the GraphQL extractor: this layer does.
    let graphql = Router::new()
        .route("/graphql", get(graphiql).post(graphql))
        .layer(RequestBodyLimitLayer::new(options.body_limit_bytes));
    Router::new()
        .merge(graphql)
        .route("/graphql/ws", get(subscriptions))
        .route("/healthz", get(healthz))
        .route("/reports/timeliness.csv", get(csv_report::timeliness_csv))
        .with_state(state)
}

/// The actor header is malformed.
pub(crate) struct BadActor;

impl IntoResponse for BadActor {
    fn into_response(self) -> Response {
        (
            StatusCode::BAD_REQUEST,
            "the actor header is not a valid name",
        )
            .into_response()
    }
}

pub(crate) fn actor_from(headers: &HeaderMap) -> Result<Actor, BadActor> {
    match headers.get(ACTOR_HEADER) {
        None => Ok(Actor(ANONYMOUS_ACTOR.to_owned())),
        Some(value) => match value.to_str() {
            Ok(name) if !name.trim().is_empty() && name.len() <= MAX_ACTOR_LEN => {
                Ok(Actor(name.trim().to_owned()))
            }
            _ => Err(BadActor),
        },
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"))
}

async fn graphql(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> Response {
    if !is_json(&headers) {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "GraphQL requests must be sent as application/json",
        )
            .into_response();
    }
    let actor = match actor_from(&headers) {
        Ok(actor) => actor,
        Err(bad) => return bad.into_response(),
    };
    let request = prepare_request(request.into_inner(), &state.engine, actor);
    let mut response = state.schema.execute(request).await;
    permanence_graphql::ensure_error_codes(&mut response);
    GraphQLResponse::from(response).into_response()
}

async fn graphiql(State(state): State<AppState>) -> Response {
    if !state.graphiql {
        return (StatusCode::NOT_FOUND, "GraphiQL is not enabled").into_response();
    }
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql/ws")
            .finish(),
    )
    .into_response()
}

async fn subscriptions(
    State(state): State<AppState>,
    headers: HeaderMap,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    let actor = match actor_from(&headers) {
        Ok(actor) => actor,
        Err(bad) => return bad.into_response(),
    };
    let schema = state.schema.clone();
    let engine = state.engine.clone();
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |stream| {
            GraphQLWebSocket::new(stream, schema, protocol)
                .on_connection_init(move |_| async move {
                    let (actor, loaders) = permanence_graphql::request_data(&engine, actor);
                    let mut data = Data::default();
                    data.insert(actor);
                    data.insert(loaders);
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
        let listener = TcpListener::bind("127.0.0.1:0").await?;
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
