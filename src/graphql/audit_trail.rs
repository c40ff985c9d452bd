//! Writes the audit trail of the GraphQL door: every mutation an administrator runs, and every
//! change of membership a manager makes, with its target and whether it was done or refused.
//! Sign-ins and accepted invitations are recorded by their services, which every door calls.

use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery,
};
use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection};
use async_graphql::{Response, ServerResult, Value, Variables};

use crate::audit::{self, Entry, Origin};
use crate::db::Db;
use crate::viewer::Viewer;

/// Mutations recorded whoever runs them: changes of membership.
const MEMBERSHIP: &[&str] = &[
    "inviteMember",
    "revokeInvitation",
    "changeOrganizationManager",
    "removeMember",
];

/// The input fields that name a mutation's target, in order of preference.
const TARGET_FIELDS: &[&str] = &[
    "id",
    "userId",
    "matchId",
    "scenarioId",
    "capabilityId",
    "organizationId",
];

pub struct AuditTrail;

impl ExtensionFactory for AuditTrail {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Request::default())
    }
}

/// One request's root mutation fields: response key, field name, target.
#[derive(Default)]
struct Request {
    fields: Mutex<Vec<(String, String, Option<String>)>>,
}

#[async_graphql::async_trait::async_trait]
impl Extension for Request {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let mut fields = Vec::new();
        for (_, operation) in document.operations.iter() {
            if operation.node.ty != OperationType::Mutation {
                continue;
            }
            for selection in &operation.node.selection_set.node.items {
                let Selection::Field(field) = &selection.node else {
                    continue;
                };
                let field = &field.node;
                let key = field.response_key().node.to_string();
                let target = field
                    .arguments
                    .iter()
                    .find(|(name, _)| name.node == "input")
                    .and_then(|(_, value)| {
                        value
                            .node
                            .clone()
                            .into_const_with(|name| {
                                Ok::<_, std::convert::Infallible>(
                                    variables.get(&name).cloned().unwrap_or(Value::Null),
                                )
                            })
                            .ok()
                    })
                    .and_then(|input| target_of(&input));
                fields.push((key, field.name.node.to_string(), target));
            }
        }
        *self.fields.lock().expect("not poisoned") = fields;
        Ok(document)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let response = next.run(ctx, operation_name).await;
        let fields = std::mem::take(&mut *self.fields.lock().expect("not poisoned"));
        let viewer = ctx.data_opt::<Viewer>();
        let actor = viewer.and_then(Viewer::claims);
        let is_admin = viewer.is_some_and(Viewer::is_admin);
        let (Some(db), Some(actor)) = (ctx.data_opt::<Db>(), actor) else {
            return response;
        };
        let origin = ctx.data_opt::<Origin>().cloned().unwrap_or_default();
        for (key, name, target) in fields {
            if !is_admin && !MEMBERSHIP.contains(&name.as_str()) {
                continue;
            }
            let entry = Entry {
                actor_id: Some(&actor.sub),
                action: &name,
                target_type: None,
                target_id: target.as_deref(),
                outcome: if refused(&response, &key) {
                    "REFUSED"
                } else {
                    "DONE"
                },
                detail: None,
            };
            audit::record(db, &origin, entry).await;
        }
        response
    }
}

/// The target an `input` names, if any.
fn target_of(input: &Value) -> Option<String> {
    let Value::Object(fields) = input else {
        return None;
    };
    TARGET_FIELDS
        .iter()
        .find_map(|name| match fields.get(*name) {
            Some(Value::String(id)) => Some(id.clone()),
            _ => None,
        })
}

/// Whether the field under `key` was refused: a top-level error on its path, or errors in its
/// payload.
fn refused(response: &Response, key: &str) -> bool {
    let on_path = response.errors.iter().any(|e| {
        e.path.first().is_some_and(
            |segment| matches!(segment, async_graphql::PathSegment::Field(f) if f == key),
        )
    });
    let in_payload = match &response.data {
        Value::Object(data) => match data.get(key) {
            Some(Value::Object(payload)) => {
                matches!(payload.get("errors"), Some(Value::List(errors)) if !errors.is_empty())
            }
            Some(Value::Null) | None => true,
            _ => false,
        },
        _ => true,
    };
    on_path || in_payload
}

/// The audit trail for administrators.
#[derive(Default)]
pub struct AuditQuery;

#[async_graphql::Object]
impl AuditQuery {
    /// Admin: the audit trail, newest first: sign-ins, administrators' changes, changes of
    /// membership, role and organization status, with actor, client address and user agent.
    async fn audit_log(
        &self,
        ctx: &async_graphql::Context<'_>,
        filter: Option<audit::AuditFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> crate::error::AppResult<crate::pagination::Page<audit::AuditEntry>> {
        let page = crate::pagination::PageRequest::of_field(ctx, first, after.as_deref())?;
        let rows = audit::list(
            ctx.data_unchecked::<Db>(),
            Viewer::of(ctx),
            filter.unwrap_or_default(),
            page,
        )
        .await?;
        Ok(page.connection_of(rows, audit::AuditEntry::from))
    }
}
