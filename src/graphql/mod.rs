//! Assembles the GraphQL schema from the slices' query and mutation roots.

pub mod audit_trail;
pub mod limits;
pub mod operation;

use async_graphql::{MergedObject, MergedSubscription, SDLExportOptions, Schema, SchemaBuilder};

use crate::activities::{ActivityMutation, ActivityQuery};
use crate::alerts::{AlertMutation, AlertQuery};
use crate::auth::{AuthMutation, AuthQuery, MemberMutation, MemberQuery};
use crate::capabilities::{CapabilityMutation, CapabilityQuery};
use crate::import::graphql::ImportMutation;
use crate::lists::{ListsMutation, ListsQuery};
use crate::mail::{MailMutation, MailQuery};
use crate::matches::{MatchListQuery, MatchMutation, MatchQuery};
use crate::notifications::{NotificationMutation, NotificationQuery, NotificationSubscription};
use crate::orgs::{OrgMutation, OrgQuery};
use crate::proposals::{ProposalMutation, ProposalQuery};
use crate::scenarios::{ScenarioMutation, ScenarioQuery};
use crate::stats::StatsQuery;
use crate::taxonomy::TaxonomyQuery;
use crate::thesaurus::{ThesaurusMutation, ThesaurusQuery};

#[derive(MergedObject, Default)]
pub struct QueryRoot(
    AuthQuery,
    audit_trail::AuditQuery,
    MemberQuery,
    TaxonomyQuery,
    OrgQuery,
    ScenarioQuery,
    CapabilityQuery,
    ListsQuery,
    MatchQuery,
    MatchListQuery,
    ProposalQuery,
    AlertQuery,
    ActivityQuery,
    NotificationQuery,
    MailQuery,
    ThesaurusQuery,
    StatsQuery,
);

#[derive(MergedObject, Default)]
pub struct MutationRoot(
    AuthMutation,
    MemberMutation,
    OrgMutation,
    ScenarioMutation,
    ImportMutation,
    CapabilityMutation,
    ListsMutation,
    MatchMutation,
    ProposalMutation,
    AlertMutation,
    ActivityMutation,
    NotificationMutation,
    MailMutation,
    ThesaurusMutation,
);

#[derive(MergedSubscription, Default)]
pub struct SubscriptionRoot(NotificationSubscription);

pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Deepest selection accepted, leaf fields counted. The standard introspection query (graphql-js,
/// GraphiQL) needs 14.
pub const MAX_DEPTH: usize = 14;
/// Most fields a query may select, counted over the document.
pub const MAX_COMPLEXITY: usize = 1000;

/// The schema with its limits and no data; the application adds its data before `finish`.
pub fn schema_builder() -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .limit_depth(MAX_DEPTH)
    .limit_complexity(MAX_COMPLEXITY)
    .limit_recursive_depth(32)
    .limit_directives(10)
    .extension(limits::RequestLimits)
    .extension(audit_trail::AuditTrail)
    .extension(operation::OperationName)
}

/// The schema in SDL, in a stable order: what `twolists export-schema` prints and what
/// `schema/schema.graphql` holds.
pub fn sdl() -> String {
    schema_builder().finish().sdl_with_options(
        SDLExportOptions::new()
            .sorted_fields()
            .sorted_arguments()
            .sorted_enum_items(),
    )
}
