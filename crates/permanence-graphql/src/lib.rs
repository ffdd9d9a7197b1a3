//! The GraphQL API: schema, types, DataLoaders, error codes and paging.
//!
//! Writes go through the engine's commands; reads come from the store's projections,
//! batched through DataLoaders so that a list costs one query per kind of data, not one per
//! row. It has no HTTP (that is the server's): the actor arrives in the request's data.

mod alias_limit;
pub mod connection_audit;
mod context;
mod data_quality;
mod document_walk;
mod error;
pub mod guard;
mod introspection_off;
mod legal_at_home;
mod loaders;
mod mutation;
mod nesting_limit;
mod notifications;
mod panel;
mod query;
mod read_ahead;
mod reports;
mod request_checks;
mod scalars;
mod siblings;
mod subscription;
mod text_input;
mod types;

pub use error::ErrorCode;
pub use nesting_limit::{json_too_deep, too_deep_message};
pub use request_checks::{CheckedDocuments, RequestChecks};
pub use scalars::Date;

use async_graphql::Schema;
use permanence_engine::{Actor, Engine};

/// Every mutation: case commands and the panel's.
#[derive(async_graphql::MergedObject, Default)]
pub struct Mutation(
    mutation::CaseMutation,
    panel::PanelMutation,
    legal_at_home::LegalAtHomeMutation,
    notifications::NotificationMutation,
    siblings::SiblingMutation,
    siblings::SiblingPanelMutation,
);

/// Every subscription: a case's changes, and the user's notifications.
#[derive(async_graphql::MergedSubscription, Default)]
pub struct Subscription(
    subscription::CaseSubscription,
    notifications::NotificationSubscription,
);

pub type PermanenceSchema = Schema<query::Query, Mutation, Subscription>;

/// Limits that keep one request from costing the server more than a page of work.
#[derive(Clone, Copy, Debug)]
pub struct SchemaLimits {
    pub max_depth: usize,
    pub max_complexity: usize,
    /// Whether clients may ask the schema about itself. Off in production: the committed
    /// `schema.graphql` is the contract, and introspection only helps a stranger map the API.
    pub introspection: bool,
    /// Aliased fields per request.
    pub max_aliases: usize,
    /// Levels of braces, brackets and parentheses in a query, and of objects and lists in
    /// its variables (and in the JSON body around them).
    pub max_nesting: usize,
}

impl Default for SchemaLimits {
    fn default() -> Self {
        Self {
            max_depth: 12,
            max_complexity: 5_000,
            introspection: false,
            max_aliases: 30,
            max_nesting: 32,
        }
    }
}

/// The most items one page may hold.
pub const MAX_PAGE_SIZE: usize = 100;

/// How deep graphql-js's introspection query nests, the one GraphiQL sends: `__schema`,
/// `types`, `fields`, `args`, `type`, nine `ofType`s, and their `name`.
pub const INTROSPECTION_QUERY_DEPTH: usize = 15;

/// The schema twice over: as HTTP serves it, and as a WebSocket connection does.
#[derive(Clone)]
pub struct Schemas {
    pub http: ApiSchema,
    pub socket: PermanenceSchema,
}

/// The schema with the checks every request passes first (see `request_checks`).
#[derive(Clone)]
pub struct ApiSchema {
    schema: PermanenceSchema,
    checks: RequestChecks,
    documents: std::sync::Arc<CheckedDocuments>,
}

impl ApiSchema {
    /// Runs a request that passes the checks; answers with the refusal otherwise.
    pub async fn execute(&self, mut request: async_graphql::Request) -> async_graphql::Response {
        match self.checks.check(&mut request, &self.documents) {
            Ok(()) => self.schema.execute(request).await,
            Err(refused) => async_graphql::Response::from_errors(vec![refused]),
        }
    }
}

/// Builds the schemas around an engine.
pub fn build_schema(engine: Engine, limits: SchemaLimits) -> Schemas {
    // Where introspection is on (with GraphiQL), the depth limit lets the standard
    // introspection query through: refused, GraphiQL would show no documentation and complete
    // nothing. The complexity limit still bounds what any query costs.
    let max_depth = if limits.introspection {
        limits.max_depth.max(INTROSPECTION_QUERY_DEPTH)
    } else {
        limits.max_depth
    };
    let checks = RequestChecks {
        max_nesting: limits.max_nesting,
        max_aliases: limits.max_aliases,
        introspection: limits.introspection,
    };
    let builder = || {
        let builder = Schema::build(query::Query, Mutation::default(), Subscription::default())
            .data(engine.clone())
            .limit_depth(max_depth)
            .limit_complexity(limits.max_complexity);
        if limits.introspection {
            builder
        } else {
            builder.disable_introspection()
        }
    };
    // No extension on the HTTP schema: each would wrap every field's resolver.
    let http = ApiSchema {
        schema: builder().finish(),
        checks,
        documents: std::sync::Arc::default(),
    };
    let socket = builder()
        .extension(request_checks::CheckEachRequest(checks))
        .extension(connection_audit::AuditEachAnswer)
        .finish();
    Schemas { http, socket }
}

/// The per-request data the server adds: who is asking, and fresh DataLoaders (so that
/// nothing cached outlives the request).
pub fn request_data(engine: &Engine, actor: Actor) -> (Actor, loaders::Loaders) {
    (actor, loaders::Loaders::new(engine))
}

/// Adds the per-request data to a request.
pub fn prepare_request(
    request: async_graphql::Request,
    engine: &Engine,
    actor: Actor,
) -> async_graphql::Request {
    let (actor, loaders) = request_data(engine, actor);
    request.data(actor).data(loaders)
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(query::Query, Mutation::default(), Subscription::default())
        .finish()
        .sdl()
}

/// Gives every error a code. Errors from resolvers carry one already; errors raised before
/// execution (parse errors, depth and complexity limits, unknown fields) do not, and are
/// the client's request being refused.
pub fn ensure_error_codes(response: &mut async_graphql::Response) {
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", ErrorCode::BadRequest.as_str());
        }
    }
}
