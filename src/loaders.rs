//! Per-request DataLoaders. Each request gets fresh loaders, so nothing cached crosses from one
//! viewer to another; within the request they cache what they loaded and wait a few milliseconds
//! for the keys of a whole page to arrive, so that a page costs one query per kind of object
//! rather than one per item.

use std::time::Duration;

use async_graphql::Context;
use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};

use crate::error::{AppError, AppResult};

pub type RequestLoader<T> = DataLoader<T, HashMapCache>;

/// A loader for one request that collects keys for `window` before it queries
/// (`Config::loader_batch_window`).
pub fn new<T: Loader<String>>(inner: T, window: Duration) -> RequestLoader<T> {
    DataLoader::with_cache(inner, tokio::spawn, HashMapCache::default()).delay(window)
}

/// Loads one value through the request's loader of type `T`.
pub async fn load_one<T>(ctx: &Context<'_>, key: &str) -> AppResult<Option<T::Value>>
where
    T: Loader<String, Error = std::sync::Arc<sqlx::Error>>,
{
    ctx.data_unchecked::<RequestLoader<T>>()
        .load_one(key.to_owned())
        .await
        .map_err(|e| AppError::internal(format!("loading {}: {e}", std::any::type_name::<T>())))
}
