//! The styles, scripts and images the pages use, compiled into the binary so that nothing is
//! fetched from another host (council networks often block content delivery networks) and a
//! deployment is one file. `frontend/build.sh` makes the GOV.UK Frontend files again from
//! the npm lock file; `.ci/run` checks that what is committed is exactly that.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

struct Asset {
    path: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        path: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../assets/app.css"),
    },
    Asset {
        path: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/app.js"),
    },
    Asset {
        path: "govuk-frontend.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/govuk-frontend.min.js"),
    },
    Asset {
        path: "LICENSE-govuk-frontend.txt",
        content_type: "text/plain; charset=utf-8",
        body: include_bytes!("../assets/LICENSE-govuk-frontend.txt"),
    },
    // GraphiQL's page (`graphiql.rs`): its start-up script and styles are ours, the rest is
    // the npm packages' UMD builds with their licences.
    Asset {
        path: "graphiql/start.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/graphiql/start.js"),
    },
    Asset {
        path: "graphiql/page.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../assets/graphiql/page.css"),
    },
    Asset {
        path: "graphiql/graphiql.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/graphiql/graphiql.min.js"),
    },
    Asset {
        path: "graphiql/graphiql.min.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../assets/graphiql/graphiql.min.css"),
    },
    Asset {
        path: "graphiql/LICENSE-graphiql.txt",
        content_type: "text/plain; charset=utf-8",
        body: include_bytes!("../assets/graphiql/LICENSE-graphiql.txt"),
    },
    Asset {
        path: "graphiql/react.production.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/graphiql/react.production.min.js"),
    },
    Asset {
        path: "graphiql/LICENSE-react.txt",
        content_type: "text/plain; charset=utf-8",
        body: include_bytes!("../assets/graphiql/LICENSE-react.txt"),
    },
    Asset {
        path: "graphiql/react-dom.production.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/graphiql/react-dom.production.min.js"),
    },
    Asset {
        path: "graphiql/LICENSE-react-dom.txt",
        content_type: "text/plain; charset=utf-8",
        body: include_bytes!("../assets/graphiql/LICENSE-react-dom.txt"),
    },
];

pub(crate) async fn serve(Path(path): Path<String>) -> Response {
    match ASSETS.iter().find(|a| a.path == path) {
        Some(asset) => (
            [
                (header::CONTENT_TYPE, asset.content_type),
                // Assets change only with a new release; a day's caching spares the network.
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            asset.body,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}
