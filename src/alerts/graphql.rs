//! The GraphQL door of saved searches: a thin adapter over [`super::service`].

use async_graphql::{Context, ID, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::service::{self, SearchFilter};
use super::store::SavedSearchRow;
use super::{AlertFrequency, SavedSearchList};
use crate::capabilities::model::CapabilityFilter;
use crate::db::{self, Db};
use crate::error::{AppResult, Outcome, UserError};
use crate::pagination::{Page, PageRequest};
use crate::scenarios::model::OpportunityFilter;
use crate::viewer::Viewer;

/// A saved search (订阅搜索): private to the user who saved it.
pub struct SavedSearch(pub SavedSearchRow);

#[Object]
impl SavedSearch {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn list(&self) -> Option<SavedSearchList> {
        SavedSearchList::parse(&self.0.list)
    }
    async fn frequency(&self) -> Option<AlertFrequency> {
        AlertFrequency::parse(&self.0.frequency)
    }
    /// The filter as saved: an `OpportunityFilter` or a `CapabilityFilter`, as given.
    async fn filter(&self) -> Option<Json<serde_json::Value>> {
        serde_json::from_str(&self.0.filter).ok().map(Json)
    }
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        db::parse_time(&self.0.created_at)
    }
}

#[derive(Default)]
pub struct AlertQuery;

#[Object]
impl AlertQuery {
    /// The signed-in user's saved searches, newest first.
    async fn saved_searches(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> AppResult<Page<SavedSearch>> {
        let page = PageRequest::of_field(ctx, first, after.as_deref())?;
        let rows = service::list(ctx.data_unchecked::<Db>(), Viewer::of(ctx), page).await?;
        Ok(page.connection_of(rows, SavedSearch))
    }
}

#[derive(InputObject)]
pub struct SaveSearchInput {
    /// At most 40 characters, e.g. 煤矿智能化场景.
    pub name: String,
    /// A search of the opportunity list (its statuses aside); or give `capabilityFilter`.
    pub opportunity_filter: Option<OpportunityFilter>,
    /// A search of the capability list (its statuses aside).
    pub capability_filter: Option<CapabilityFilter>,
    #[graphql(default)]
    pub frequency: AlertFrequency,
}

#[derive(InputObject)]
pub struct UpdateSavedSearchInput {
    pub id: ID,
    pub name: Option<String>,
    pub frequency: Option<AlertFrequency>,
}

#[derive(InputObject)]
pub struct DeleteSavedSearchInput {
    pub id: ID,
}

#[derive(SimpleObject)]
pub struct SavedSearchPayload {
    pub saved_search: Option<SavedSearch>,
    pub errors: Vec<UserError>,
}

impl From<Outcome<SavedSearchRow>> for SavedSearchPayload {
    fn from(outcome: Outcome<SavedSearchRow>) -> Self {
        match outcome {
            Ok(row) => SavedSearchPayload {
                saved_search: Some(SavedSearch(row)),
                errors: Vec::new(),
            },
            Err(errors) => SavedSearchPayload {
                saved_search: None,
                errors,
            },
        }
    }
}

#[derive(SimpleObject)]
pub struct DeleteSavedSearchPayload {
    pub deleted_id: Option<ID>,
    pub errors: Vec<UserError>,
}

#[derive(Default)]
pub struct AlertMutation;

#[Object]
impl AlertMutation {
    /// Saves a search of one of the two lists (give exactly one filter); newly published items
    /// it finds are told INSTANT (in the app at once, and in the daily e-mail) or DAILY (once a
    /// day). At most 20 per user.
    async fn save_search(
        &self,
        ctx: &Context<'_>,
        input: SaveSearchInput,
    ) -> AppResult<SavedSearchPayload> {
        let filter = match (input.opportunity_filter, input.capability_filter) {
            (Some(f), None) => Some(SearchFilter::Opportunity(f)),
            (None, Some(f)) => Some(SearchFilter::Capability(f)),
            _ => None,
        };
        let outcome = service::save(
            ctx.data_unchecked::<Db>(),
            Viewer::of(ctx),
            &input.name,
            filter,
            input.frequency,
        )
        .await?;
        Ok(outcome.into())
    }

    /// Renames a saved search or changes how often it alerts.
    async fn update_saved_search(
        &self,
        ctx: &Context<'_>,
        input: UpdateSavedSearchInput,
    ) -> AppResult<SavedSearchPayload> {
        let outcome = service::update(
            ctx.data_unchecked::<Db>(),
            Viewer::of(ctx),
            &input.id,
            input.name.as_deref(),
            input.frequency,
        )
        .await?;
        Ok(outcome.into())
    }

    /// Deletes a saved search.
    async fn delete_saved_search(
        &self,
        ctx: &Context<'_>,
        input: DeleteSavedSearchInput,
    ) -> AppResult<DeleteSavedSearchPayload> {
        let id = service::delete(ctx.data_unchecked::<Db>(), Viewer::of(ctx), &input.id).await?;
        Ok(DeleteSavedSearchPayload {
            deleted_id: Some(ID(id)),
            errors: Vec::new(),
        })
    }
}
