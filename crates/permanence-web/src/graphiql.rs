//! GraphiQL, the GraphQL API's editor in the browser, as a page of this server. GraphiQL's
//! UMD build, React and ReactDOM are among the assets (`/assets/graphiql/`, built from the npm
//! lock file like the pages' styles), so the page loads nothing from another host: a council
//! network that blocks content delivery networks still gets a working editor. The server
//! serves it at `GET /graphql` where GraphiQL is enabled.

use crate::error::html;
use crate::security;
use askama::Template;
use axum::response::Response;

#[derive(Template)]
#[template(path = "graphiql.html")]
struct GraphiqlPage<'a> {
    endpoint: &'a str,
    subscription_endpoint: &'a str,
}

/// GraphiQL's page, sending queries to `endpoint` and subscriptions (graphql-transport-ws) to
/// `subscription_endpoint`, both paths on this server.
pub fn graphiql_page(endpoint: &str, subscription_endpoint: &str) -> Response {
    let mut response = html(&GraphiqlPage {
        endpoint,
        subscription_endpoint,
    });
    security::apply_policy(
        &mut response,
        security::GRAPHIQL_CONTENT_SECURITY_POLICY,
        true,
    );
    response
}
