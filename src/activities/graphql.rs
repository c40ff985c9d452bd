//! The GraphQL door of matchmaking events: a thin adapter over [`super::service`].

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::service::{self, EventFields, Registration};
use super::store::{self, EventRow, RegistrationRow};
use super::{EventAction, EventKind, EventStatus, RegistrationDecision, RegistrationStatus};
use crate::capabilities::{Capability, CapabilityLoader};
use crate::db::{self, Db};
use crate::error::{AppError, AppResult, Outcome, UserError};
use crate::loaders;
use crate::matches::graphql::Match;
use crate::orgs::{self, Organization};
use crate::pagination::{Page, PageRequest};
use crate::scenarios::{Scenario, ScenarioLoader};
use crate::search::LiveIndex;
use crate::taxonomy::{Region, Taxonomy};
use crate::viewer::Viewer;

/// Batches the agendas of the events of one request into one query.
pub struct AgendaLoader {
    db: Db,
}

impl AgendaLoader {
    pub fn new(db: Db) -> Self {
        AgendaLoader { db }
    }
}

impl Loader<String> for AgendaLoader {
    type Value = Vec<String>;
    type Error = Arc<sqlx::Error>;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Vec<String>>, Self::Error> {
        let rows = store::agendas(&self.db, keys).await.map_err(Arc::new)?;
        let mut agendas: HashMap<String, Vec<String>> = HashMap::new();
        for (event, scenario) in rows {
            agendas.entry(event).or_default().push(scenario);
        }
        Ok(agendas)
    }
}

/// Batches the events of one request's registrations into one query.
pub struct EventLoader {
    db: Db,
}

impl EventLoader {
    pub fn new(db: Db) -> Self {
        EventLoader { db }
    }
}

impl Loader<String> for EventLoader {
    type Value = EventRow;
    type Error = Arc<sqlx::Error>;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, EventRow>, Self::Error> {
        let rows = store::find_many(&self.db, keys).await.map_err(Arc::new)?;
        Ok(rows.into_iter().map(|row| (row.id.clone(), row)).collect())
    }
}

async fn scenarios_of(ctx: &Context<'_>, ids: &[String]) -> AppResult<Vec<Scenario>> {
    let viewer = Viewer::of(ctx);
    let mut out = Vec::new();
    for id in ids {
        if let Some(row) = loaders::load_one::<ScenarioLoader>(ctx, id).await?
            && crate::scenarios::service::can_read(viewer, &row)
        {
            out.push(Scenario(row));
        }
    }
    Ok(out)
}

/// A matchmaking event (对接活动): public once it left its draft.
pub struct MatchmakingEvent(pub EventRow);

#[Object]
impl MatchmakingEvent {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn kind(&self) -> Option<EventKind> {
        EventKind::parse(&self.0.kind)
    }
    /// e.g. 路演
    async fn kind_label(&self) -> &str {
        EventKind::parse(&self.0.kind).map_or("", EventKind::label)
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn starts_at(&self) -> Option<DateTime<Utc>> {
        db::parse_time(&self.0.starts_at)
    }
    async fn ends_at(&self) -> Option<DateTime<Utc>> {
        db::parse_time(&self.0.ends_at)
    }
    async fn place(&self) -> Option<&str> {
        self.0.place.as_deref()
    }
    async fn online_url(&self) -> Option<&str> {
        self.0.online_url.as_deref()
    }
    /// The region whose county managers organise it (晋中市 for the city's events).
    async fn region(&self, ctx: &Context<'_>) -> Option<Region> {
        let taxonomy = ctx.data_unchecked::<Arc<Taxonomy>>();
        taxonomy.region(&self.0.region_code).cloned().map(Region)
    }
    async fn capacity(&self) -> i64 {
        self.0.capacity
    }
    /// Registrations accepted so far.
    async fn accepted_count(&self) -> i64 {
        self.0.accepted
    }
    async fn registration_deadline(&self) -> Option<DateTime<Utc>> {
        db::parse_time(&self.0.registration_deadline)
    }
    async fn status(&self) -> EventStatus {
        self.0.status()
    }
    async fn status_label(&self) -> &str {
        self.0.status().label()
    }
    /// The scenarios on the agenda, in order.
    async fn agenda(&self, ctx: &Context<'_>) -> AppResult<Vec<Scenario>> {
        let ids = loaders::load_one::<AgendaLoader>(ctx, &self.0.id)
            .await?
            .unwrap_or_default();
        scenarios_of(ctx, &ids).await
    }
    /// Its registrations: all of them for its organisers, the viewer's organization's for
    /// anyone else signed in.
    async fn registrations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> AppResult<Page<EventRegistration>> {
        let page = PageRequest::of_field(ctx, first, after.as_deref())?;
        let rows =
            service::registrations(ctx.data_unchecked::<Db>(), Viewer::of(ctx), &self.0, page)
                .await?;
        Ok(page.connection_of(rows, EventRegistration))
    }
    /// Whether the viewer organises it.
    async fn organised_by_me(&self, ctx: &Context<'_>) -> bool {
        service::can_organise(Viewer::of(ctx), &self.0)
    }
}

/// An enterprise's registration for an event: private to it, the organisers and admins.
pub struct EventRegistration(pub RegistrationRow);

#[Object]
impl EventRegistration {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn event(&self, ctx: &Context<'_>) -> AppResult<Option<MatchmakingEvent>> {
        Ok(loaders::load_one::<EventLoader>(ctx, &self.0.event_id)
            .await?
            .map(MatchmakingEvent))
    }
    async fn organization(&self, ctx: &Context<'_>) -> AppResult<Option<Organization>> {
        orgs::graphql::load_organization(ctx, &self.0.org_id).await
    }
    async fn capability(&self, ctx: &Context<'_>) -> AppResult<Option<Capability>> {
        Ok(
            loaders::load_one::<CapabilityLoader>(ctx, &self.0.capability_id)
                .await?
                .map(Capability),
        )
    }
    /// The agenda scenarios it comes for.
    async fn scenarios(&self, ctx: &Context<'_>) -> AppResult<Vec<Scenario>> {
        scenarios_of(ctx, &self.0.scenario_ids()).await
    }
    async fn note(&self) -> &str {
        &self.0.note
    }
    async fn status(&self) -> RegistrationStatus {
        self.0.status()
    }
    async fn status_label(&self) -> &str {
        self.0.status().label()
    }
    /// Why it was declined.
    async fn decision_note(&self) -> Option<&str> {
        self.0.decision_note.as_deref()
    }
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        db::parse_time(&self.0.created_at)
    }
}

#[derive(Default)]
pub struct ActivityQuery;

#[Object]
impl ActivityQuery {
    /// Matchmaking events, soonest first: OPEN, CLOSED and HELD by default; any public stage
    /// for anyone, drafts too for their organisers.
    async fn matchmaking_events(
        &self,
        ctx: &Context<'_>,
        statuses: Option<Vec<EventStatus>>,
        region_codes: Option<Vec<String>>,
        first: Option<i32>,
        after: Option<String>,
    ) -> AppResult<Page<MatchmakingEvent>> {
        let page = PageRequest::of_field(ctx, first, after.as_deref())?;
        let rows = service::list(
            ctx.data_unchecked::<Db>(),
            Viewer::of(ctx),
            statuses,
            region_codes,
            page,
        )
        .await?;
        Ok(page.connection_of(rows, MatchmakingEvent))
    }

    /// The registrations of the viewer's organization, for every event, oldest first.
    async fn my_event_registrations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> AppResult<Page<EventRegistration>> {
        let page = PageRequest::of_field(ctx, first, after.as_deref())?;
        let rows =
            service::own_registrations(ctx.data_unchecked::<Db>(), Viewer::of(ctx), page).await?;
        Ok(page.connection_of(rows, EventRegistration))
    }

    async fn matchmaking_event(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> AppResult<Option<MatchmakingEvent>> {
        match service::find(ctx.data_unchecked::<Db>(), Viewer::of(ctx), &id).await {
            Ok(row) => Ok(Some(MatchmakingEvent(row))),
            Err(AppError::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[derive(InputObject)]
pub struct MatchmakingEventInput {
    /// At most 60 characters.
    pub title: String,
    pub kind: EventKind,
    pub description: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// A place, an online link, or both.
    pub place: Option<String>,
    pub online_url: Option<String>,
    /// The organising region: a county manager's own (the default for them); 140700 (the city)
    /// by default for admins.
    pub region_code: Option<String>,
    /// 1–2000 places.
    pub capacity: i32,
    /// Not after the start.
    pub registration_deadline: DateTime<Utc>,
    /// 1–20 scenarios of the opportunity list, open for applications.
    pub scenario_ids: Vec<ID>,
}

impl From<MatchmakingEventInput> for EventFields {
    fn from(i: MatchmakingEventInput) -> Self {
        EventFields {
            title: i.title,
            kind: i.kind,
            description: i.description,
            starts_at: i.starts_at,
            ends_at: i.ends_at,
            place: i.place,
            online_url: i.online_url,
            region_code: i.region_code,
            capacity: i.capacity,
            registration_deadline: i.registration_deadline,
            scenario_ids: i.scenario_ids.into_iter().map(|id| id.0).collect(),
        }
    }
}

#[derive(InputObject)]
pub struct CreateMatchmakingEventInput {
    pub event: MatchmakingEventInput,
}

#[derive(InputObject)]
pub struct UpdateMatchmakingEventInput {
    pub id: ID,
    pub event: MatchmakingEventInput,
}

#[derive(InputObject)]
pub struct TransitionMatchmakingEventInput {
    pub id: ID,
    pub action: EventAction,
    pub note: Option<String>,
}

#[derive(InputObject)]
pub struct RegisterForEventInput {
    pub event_id: ID,
    /// One of the organization's listed capabilities.
    pub capability_id: ID,
    /// Scenarios of the agenda it comes for (at least one).
    pub scenario_ids: Vec<ID>,
    pub note: Option<String>,
}

#[derive(InputObject)]
pub struct DecideEventRegistrationInput {
    pub id: ID,
    pub decision: RegistrationDecision,
    /// Needed to decline.
    pub note: Option<String>,
}

#[derive(InputObject)]
pub struct CancelEventRegistrationInput {
    pub id: ID,
}

/// A pair that met at the event and continues.
#[derive(InputObject)]
pub struct ContinuingPairInput {
    /// An accepted registration of the event.
    pub registration_id: ID,
    /// A scenario of the agenda, still open.
    pub scenario_id: ID,
}

#[derive(InputObject)]
pub struct RecordEventOutcomesInput {
    pub event_id: ID,
    pub pairs: Vec<ContinuingPairInput>,
}

#[derive(SimpleObject)]
pub struct RecordEventOutcomesPayload {
    /// The matches made (APPROVED, origin EVENT); a pair that had a live match keeps it.
    pub matches: Vec<Match>,
    pub errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct MatchmakingEventPayload {
    pub event: Option<MatchmakingEvent>,
    pub errors: Vec<UserError>,
}

impl From<Outcome<EventRow>> for MatchmakingEventPayload {
    fn from(outcome: Outcome<EventRow>) -> Self {
        match outcome {
            Ok(row) => MatchmakingEventPayload {
                event: Some(MatchmakingEvent(row)),
                errors: Vec::new(),
            },
            Err(errors) => MatchmakingEventPayload {
                event: None,
                errors,
            },
        }
    }
}

#[derive(SimpleObject)]
pub struct EventRegistrationPayload {
    pub registration: Option<EventRegistration>,
    pub errors: Vec<UserError>,
}

impl From<Outcome<RegistrationRow>> for EventRegistrationPayload {
    fn from(outcome: Outcome<RegistrationRow>) -> Self {
        match outcome {
            Ok(row) => EventRegistrationPayload {
                registration: Some(EventRegistration(row)),
                errors: Vec::new(),
            },
            Err(errors) => EventRegistrationPayload {
                registration: None,
                errors,
            },
        }
    }
}

#[derive(Default)]
pub struct ActivityMutation;

#[Object]
impl ActivityMutation {
    /// Creates a DRAFT matchmaking event (admins; county managers in their own region).
    async fn create_matchmaking_event(
        &self,
        ctx: &Context<'_>,
        input: CreateMatchmakingEventInput,
    ) -> AppResult<MatchmakingEventPayload> {
        let taxonomy = ctx.data_unchecked::<Arc<Taxonomy>>();
        let outcome = service::create(
            ctx.data_unchecked::<Db>(),
            taxonomy,
            Viewer::of(ctx),
            input.event.into(),
        )
        .await?;
        Ok(outcome.into())
    }

    /// Rewrites a DRAFT or OPEN event (its organisers).
    async fn update_matchmaking_event(
        &self,
        ctx: &Context<'_>,
        input: UpdateMatchmakingEventInput,
    ) -> AppResult<MatchmakingEventPayload> {
        let taxonomy = ctx.data_unchecked::<Arc<Taxonomy>>();
        let outcome = service::update(
            ctx.data_unchecked::<Db>(),
            taxonomy,
            Viewer::of(ctx),
            &input.id,
            input.event.into(),
        )
        .await?;
        Ok(outcome.into())
    }

    /// A step of the event's lifecycle (its organisers).
    async fn transition_matchmaking_event(
        &self,
        ctx: &Context<'_>,
        input: TransitionMatchmakingEventInput,
    ) -> AppResult<MatchmakingEventPayload> {
        let outcome = service::transition(
            ctx.data_unchecked::<Db>(),
            Viewer::of(ctx),
            &input.id,
            input.action,
            input.note.as_deref(),
        )
        .await?;
        Ok(outcome.into())
    }

    /// Registers the viewer's enterprise for an OPEN event with one of its listed capabilities.
    async fn register_for_event(
        &self,
        ctx: &Context<'_>,
        input: RegisterForEventInput,
    ) -> AppResult<EventRegistrationPayload> {
        let scenario_ids: Vec<String> = input.scenario_ids.into_iter().map(|id| id.0).collect();
        let outcome = service::register(
            ctx.data_unchecked::<Db>(),
            Viewer::of(ctx),
            Registration {
                event_id: &input.event_id,
                capability_id: &input.capability_id,
                scenario_ids: &scenario_ids,
                note: input.note.as_deref(),
            },
        )
        .await?;
        Ok(outcome.into())
    }

    /// The organiser accepts a registration (onto the waiting list when the event is full) or
    /// declines it with a reason.
    async fn decide_event_registration(
        &self,
        ctx: &Context<'_>,
        input: DecideEventRegistrationInput,
    ) -> AppResult<EventRegistrationPayload> {
        let outcome = service::decide(
            ctx.data_unchecked::<Db>(),
            Viewer::of(ctx),
            &input.id,
            input.decision,
            input.note.as_deref(),
        )
        .await?;
        Ok(outcome.into())
    }

    /// After a HELD event, its organiser records which pairs continue: each becomes an APPROVED
    /// match of origin EVENT in the ordinary 对接 flow.
    async fn record_event_outcomes(
        &self,
        ctx: &Context<'_>,
        input: RecordEventOutcomesInput,
    ) -> AppResult<RecordEventOutcomesPayload> {
        let pairs: Vec<(String, String)> = input
            .pairs
            .into_iter()
            .map(|p| (p.registration_id.0, p.scenario_id.0))
            .collect();
        let outcome = service::record_outcomes(
            ctx.data_unchecked::<Db>(),
            ctx.data_unchecked::<Arc<LiveIndex>>(),
            Viewer::of(ctx),
            &input.event_id,
            &pairs,
        )
        .await?;
        Ok(match outcome {
            Ok(rows) => RecordEventOutcomesPayload {
                matches: rows.into_iter().map(Match).collect(),
                errors: Vec::new(),
            },
            Err(errors) => RecordEventOutcomesPayload {
                matches: Vec::new(),
                errors,
            },
        })
    }

    /// The registering organization cancels; an accepted place goes to the longest-waiting.
    async fn cancel_event_registration(
        &self,
        ctx: &Context<'_>,
        input: CancelEventRegistrationInput,
    ) -> AppResult<EventRegistrationPayload> {
        let outcome =
            service::cancel(ctx.data_unchecked::<Db>(), Viewer::of(ctx), &input.id).await?;
        Ok(outcome.into())
    }
}
