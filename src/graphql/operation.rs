//! Tells the HTTP door which operation a request ran: the request's `operationName`, or the name
//! of the document's only operation, as the executor resolved it. The door labels the request's
//! log span and metrics with it.

use std::sync::Arc;

use async_graphql::Response;
use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute};

use crate::telemetry::Operation;

pub struct OperationName;

impl ExtensionFactory for OperationName {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(OperationName)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for OperationName {
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        if let Some(slot) = ctx.data_opt::<Arc<Operation>>() {
            slot.set(operation_name);
        }
        next.run(ctx, operation_name).await
    }
}
