//! What a resolver takes from the request's context: the engine and the request's loaders.

use crate::error::internal;
use crate::loaders::Loaders;
use async_graphql::{Context, Result};
use permanence_engine::Engine;

pub(crate) fn loaders<'a>(ctx: &Context<'a>) -> Result<&'a Loaders> {
    ctx.data::<Loaders>()
        .map_err(|_| internal("request has no loaders"))
}

pub(crate) fn engine<'a>(ctx: &Context<'a>) -> Result<&'a Engine> {
    ctx.data::<Engine>()
        .map_err(|_| internal("schema has no engine"))
}
