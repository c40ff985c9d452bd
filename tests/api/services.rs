//! A door other than GraphQL (web pages, exports, import, the CLI) calls the slices' services
//! with a viewer and plain values, and gets exactly the rules GraphQL gets: who may read a draft
//! or a contact, which step is allowed for whom, and refusals that write nothing.

use chrono::Days;
use serde_json::Value;

use twolists::error::{AppError, ErrorCode};
use twolists::items::{Key, today_in_china};
use twolists::scenarios::machine::ScenarioAction;
use twolists::scenarios::service;
use twolists::viewer::Viewer;

use crate::db_test;
use crate::fixtures::*;
use crate::util::{TestApp, TestUser};

fn viewer(app: &TestApp, user: &TestUser) -> Viewer {
    Viewer::User(
        app.state
            .jwt
            .verify(&user.token)
            .expect("a valid test token"),
    )
}

fn id(scenario: &Value) -> &str {
    scenario["id"].as_str().unwrap()
}

db_test!(
    the_scenario_service_applies_the_same_rules_without_graphql,
    |app| {
        let db = &app.state.db;
        let admin = app.admin().await;
        let owner = app.gov_user().await;
        let enterprise = app.enterprise_user().await;
        let published = scenario_in(&app, &owner, &admin, "PUBLISHED").await;
        let draft = scenario_in(&app, &owner, &admin, "DISCOVERED").await;
        let code = published["code"].as_str().unwrap();

        // Reading: the public sees a published scenario by its code, never a draft or a contact.
        let row = service::find(db, &Viewer::Anonymous, Key::Code(code))
            .await
            .expect("a published scenario is public");
        assert_eq!(row.id, id(&published));
        assert!(row.contact().is_some(), "the scenario has a contact");
        assert_eq!(
            service::visible_contact(&Viewer::Anonymous, &row, &[]),
            None
        );
        assert_eq!(
            service::visible_contact(&viewer(&app, &owner), &row, &[]),
            row.contact()
        );
        let hidden = service::find(db, &Viewer::Anonymous, Key::Id(id(&draft))).await;
        assert!(matches!(hidden, Err(AppError::NotFound)), "{hidden:?}");
        let own = service::find(db, &viewer(&app, &owner), Key::Id(id(&draft))).await;
        assert_eq!(own.expect("the unit reads its own draft").id, id(&draft));

        // Who may act: another organization may not, and nothing is written.
        let events = app.count("events").await;
        let refused = service::transition(
            db,
            &app.state.index,
            &viewer(&app, &enterprise),
            id(&published),
            ScenarioAction::Close,
            None,
            None,
        )
        .await;
        assert!(matches!(refused, Err(AppError::Forbidden)), "{refused:?}");
        let anonymous = service::transition(
            db,
            &app.state.index,
            &Viewer::Anonymous,
            id(&published),
            ScenarioAction::Close,
            None,
            None,
        )
        .await;
        assert!(
            matches!(anonymous, Err(AppError::Unauthenticated)),
            "{anonymous:?}"
        );

        // A business rule: the deadline only moves later, and a refusal writes nothing.
        let yesterday = today_in_china().checked_sub_days(Days::new(1)).unwrap();
        let outcome =
            service::extend_deadline(db, &viewer(&app, &owner), id(&published), yesterday, None)
                .await
                .expect("the owner may ask");
        let errors = outcome.expect_err("a deadline in the past is refused");
        assert_eq!(errors[0].code, ErrorCode::Invalid);
        assert_eq!(app.count("events").await, events);
        let unchanged = service::find(db, &Viewer::Anonymous, Key::Code(code))
            .await
            .unwrap();
        assert_eq!(unchanged.version, row.version);
        assert_eq!(unchanged.deadline, row.deadline);

        // A step allowed for the owner goes through, with its event.
        let closed = service::transition(
            db,
            &app.state.index,
            &viewer(&app, &owner),
            id(&published),
            ScenarioAction::Close,
            Some("  征集结束  "),
            Some(row.version),
        )
        .await
        .expect("the owner may close")
        .expect("a published scenario can be closed");
        assert_eq!(closed.status, "CLOSED");
        assert_eq!(app.count("events").await, events + 1);
    }
);
