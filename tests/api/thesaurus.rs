//! The editable thesaurus (README, Thesaurus): seeded once from the shipped groups, edited by
//! administrators only, each change in the group's timeline and in free-text search and matching
//! at once, without a restart.

use serde_json::{Value, json};

use crate::db_test;
use crate::fixtures::*;
use crate::util::{TestApp, TestUser, error_code, payload_codes};

const GROUPS: &str = "query($word: String, $first: Int, $after: String) { thesaurusGroups(word: $word, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id topic words version } } } }";
const GROUP: &str = "query($id: ID!) { thesaurusGroup(id: $id) { id topic words version timeline { action actor { id } note } } }";
const SAVE: &str = "mutation($input: SaveThesaurusGroupInput!) { saveThesaurusGroup(input: $input) { group { id topic words version } errors { field code message } } }";
const DELETE: &str = "mutation($input: DeleteThesaurusGroupInput!) { deleteThesaurusGroup(input: $input) { deletedId errors { code } } }";
const SEARCH: &str = "query($q: String!) { capabilityList(filter: { query: $q }, orderBy: RELEVANCE) { totalCount edges { node { id title } } } }";

/// The groups of the shipped file: its lines that are neither comments nor blank.
fn shipped_groups() -> Vec<String> {
    let file = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/matching/related.txt"
    ))
    .unwrap();
    file.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

async fn save(app: &TestApp, admin: &TestUser, input: Value) -> Value {
    let response = app.gql_as(admin, SAVE, json!({ "input": input })).await;
    response["data"]["saveThesaurusGroup"].clone()
}

/// The titles `query` finds in the capability list, best first.
async fn found(app: &TestApp, query: &str) -> Vec<String> {
    titles(&app.gql(SEARCH, json!({ "q": query })).await)
}

db_test!(the_shipped_groups_are_written_once, |app| {
    let shipped = shipped_groups();
    assert!(shipped.len() > 100, "{}", shipped.len());
    let admin = app.admin().await;
    let first = app.gql_as(&admin, GROUPS, json!({ "first": 1 })).await;
    let page = &first["data"]["thesaurusGroups"];
    assert_eq!(page["totalCount"], shipped.len(), "{first}");
    let group = &page["edges"][0]["node"];
    assert_eq!(group["topic"], "煤矿智能化、洗选");
    let words: Vec<&str> = shipped[0].split_whitespace().collect();
    assert_eq!(group["words"], json!(words));
    assert_eq!(page["pageInfo"]["hasNextPage"], true);

    // A shipped group an administrator removes stays removed when the service starts again.
    let removed = app
        .gql_as(
            &admin,
            DELETE,
            json!({ "input": { "id": group["id"], "version": group["version"] } }),
        )
        .await;
    assert_eq!(
        removed["data"]["deleteThesaurusGroup"]["deletedId"], group["id"],
        "{removed}"
    );
    let again = TestApp::on_url(app.state.database_url()).await;
    assert_eq!(
        again.count("thesaurus_groups").await,
        shipped.len() as i64 - 1
    );
});

db_test!(
    an_edit_reaches_search_at_once_and_is_in_the_timeline,
    |app| {
        let admin = app.admin().await;
        let enterprise = app.enterprise_user().await;
        let listed = capability_in(&app, &enterprise, &admin, "LISTED").await;
        assert_eq!(listed["title"], "矿用防爆巡检机器人系统");
        // A word no item uses, which the tokenizer would cut apart (掌上 巡矿): nothing yet.
        assert_eq!(found(&app, "掌上巡矿").await, Vec::<String>::new());

        let saved = save(
            &app,
            &admin,
            json!({ "topic": "常用简称与说法", "words": ["掌上巡矿", "巡检机器人"] }),
        )
        .await;
        assert_eq!(saved["errors"], json!([]), "{saved}");
        let group = saved["group"].clone();
        assert_eq!(group["version"], 1);
        assert_eq!(found(&app, "掌上巡矿").await, ["矿用防爆巡检机器人系统"]);

        // Words the tokenizer already keeps whole change in place: 防爆机器人 is a tag of the item.
        let changed = save(
            &app,
            &admin,
            json!({ "id": group["id"], "version": 1, "topic": "常用简称",
            "words": ["掌上巡矿", "防爆机器人"] }),
        )
        .await;
        assert_eq!(changed["errors"], json!([]), "{changed}");
        assert_eq!(changed["group"]["version"], 2);
        assert_eq!(changed["group"]["words"], json!(["掌上巡矿", "防爆机器人"]));
        assert_eq!(found(&app, "掌上巡矿").await, ["矿用防爆巡检机器人系统"]);

        let without = save(
            &app,
            &admin,
            json!({ "id": group["id"], "version": 2, "topic": "常用简称",
            "words": ["掌上巡矿", "掌上矿山"] }),
        )
        .await;
        assert_eq!(without["errors"], json!([]), "{without}");
        assert_eq!(found(&app, "掌上巡矿").await, Vec::<String>::new());

        let read = app
            .gql_as(&admin, GROUP, json!({ "id": group["id"] }))
            .await;
        let timeline = read["data"]["thesaurusGroup"]["timeline"]
            .as_array()
            .unwrap_or_else(|| panic!("{read}"))
            .clone();
        let steps: Vec<(&str, &str)> = timeline
            .iter()
            .map(|e| (e["action"].as_str().unwrap(), e["note"].as_str().unwrap()))
            .collect();
        assert_eq!(
            steps,
            [
                ("CREATE", "新增词组：掌上巡矿、巡检机器人"),
                (
                    "UPDATE",
                    "主题：常用简称与说法→常用简称；增加：防爆机器人；去掉：巡检机器人"
                ),
                ("UPDATE", "增加：掌上矿山；去掉：防爆机器人"),
            ]
        );
        assert!(timeline.iter().all(|e| e["actor"]["id"] == admin.id));

        // Saving what is there changes nothing and records nothing.
        let same = save(
            &app,
            &admin,
            json!({ "id": group["id"], "version": 3, "topic": "常用简称",
            "words": ["掌上巡矿", "掌上矿山"] }),
        )
        .await;
        assert_eq!(same["group"]["version"], 3, "{same}");

        let removed = app
            .gql_as(
                &admin,
                DELETE,
                json!({ "input": { "id": group["id"], "version": 3 } }),
            )
            .await;
        assert_eq!(removed["data"]["deleteThesaurusGroup"]["errors"], json!([]));
        let gone = app
            .try_gql_as(&admin, GROUP, json!({ "id": group["id"] }))
            .await;
        assert_eq!(error_code(&gone), Some("NOT_FOUND"), "{gone}");
        let deleted: Vec<(String, Option<String>)> = sqlx::query_as(
            "SELECT action, note FROM events WHERE aggregate_id = $1 ORDER BY at, id",
        )
        .bind(group["id"].as_str().unwrap())
        .fetch_all(app.state.db.pool())
        .await
        .unwrap();
        assert_eq!(
            deleted.last().unwrap(),
            &(
                "DELETE".to_owned(),
                Some("删除词组：掌上巡矿、掌上矿山".to_owned())
            )
        );
    }
);

db_test!(groups_are_found_by_word_and_paged, |app| {
    let admin = app.admin().await;
    let page = app
        .gql_as(&admin, GROUPS, json!({ "word": "巡检", "first": 50 }))
        .await;
    let edges = page["data"]["thesaurusGroups"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{page}"))
        .clone();
    // From the shipped file: the groups that hold the word 巡检 itself.
    let expected = shipped_groups()
        .iter()
        .filter(|g| g.split_whitespace().any(|w| w == "巡检"))
        .count();
    assert!(expected >= 1);
    assert_eq!(edges.len(), expected);
    assert!(edges.iter().all(|e| {
        e["node"]["words"]
            .as_array()
            .unwrap()
            .contains(&json!("巡检"))
    }));
    // Any case: a group of UWB is found by uwb; a pattern character matches only itself.
    let uwb = app.gql_as(&admin, GROUPS, json!({ "word": "uwb" })).await;
    assert_eq!(uwb["data"]["thesaurusGroups"]["totalCount"], 1, "{uwb}");
    // Longer than any word of a group: nothing, without asking the database.
    let long = app
        .gql_as(&admin, GROUPS, json!({ "word": "巡".repeat(100_000) }))
        .await;
    assert_eq!(long["data"]["thesaurusGroups"]["totalCount"], 0, "{long}");
    let pattern = app.gql_as(&admin, GROUPS, json!({ "word": "%" })).await;
    assert_eq!(
        pattern["data"]["thesaurusGroups"]["totalCount"], 0,
        "{pattern}"
    );

    let first = app.gql_as(&admin, GROUPS, json!({ "first": 2 })).await;
    let cursor = first["data"]["thesaurusGroups"]["pageInfo"]["endCursor"].clone();
    let second = app
        .gql_as(&admin, GROUPS, json!({ "first": 2, "after": cursor }))
        .await;
    let ids = |page: &Value| -> Vec<Value> {
        page["data"]["thesaurusGroups"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["id"].clone())
            .collect()
    };
    let (a, b) = (ids(&first), ids(&second));
    assert_eq!((a.len(), b.len()), (2, 2));
    assert!(a.iter().all(|id| !b.contains(id)));
});

db_test!(bad_groups_are_refused_and_write_nothing, |app| {
    let admin = app.admin().await;
    let refused = |input: Value| {
        let app = &app;
        let admin = &admin;
        async move {
            let before = app.snapshot().await;
            let response = app.try_gql_as(admin, SAVE, json!({ "input": input })).await;
            app.assert_unchanged(&before).await;
            response
        }
    };
    for (input, field, code) in [
        (
            json!({ "topic": "文旅", "words": ["文旅"] }),
            json!(["words"]),
            "REQUIRED",
        ),
        (
            json!({ "topic": "文旅", "words": ["文旅", "文旅"] }),
            json!(["words"]),
            "REQUIRED",
        ),
        (
            json!({ "topic": "文旅", "words": ["文旅", "文化 旅游"] }),
            json!(["words", "1"]),
            "INVALID",
        ),
        (
            json!({ "topic": "文旅", "words": ["文旅", "文化、旅游"] }),
            json!(["words", "1"]),
            "INVALID",
        ),
        (
            json!({ "topic": "文旅", "words": ["文旅", "游"] }),
            json!(["words", "1"]),
            "INVALID",
        ),
        (
            json!({ "topic": "文旅", "words": ["文旅", "文化旅游文化旅游文化旅游文化旅游文化旅游业"] }),
            json!(["words", "1"]),
            "TOO_LONG",
        ),
        (
            json!({ "topic": " ", "words": ["文旅", "文化旅游"] }),
            json!(["topic"]),
            "REQUIRED",
        ),
        (
            json!({ "topic": "文旅", "words": vec!["文旅"; 31] }),
            json!(["words"]),
            "OUT_OF_RANGE",
        ),
        // The same words as a shipped group, in another order and case.
        (
            json!({ "topic": "定位", "words": ["UWB", "精确定位", "人员定位"] }),
            json!(["words"]),
            "DUPLICATE",
        ),
    ] {
        let response = refused(input.clone()).await;
        let payload = &response["data"]["saveThesaurusGroup"];
        assert_eq!(payload["errors"][0]["field"], field, "{input}: {response}");
        assert_eq!(payload["errors"][0]["code"], code, "{input}: {response}");
        assert!(payload["group"].is_null());
        let message = payload["errors"][0]["message"].as_str().unwrap();
        assert!(!message.is_ascii(), "a Chinese message: {message}");
    }

    // A change needs the version read, and the version must still be the group's.
    let group = save(
        &app,
        &admin,
        json!({ "topic": "常用简称", "words": ["文创", "文化创意"] }),
    )
    .await["group"]
        .clone();
    let missing =
        refused(json!({ "id": group["id"], "topic": "常用简称", "words": ["文创", "文创产品"] }))
            .await;
    assert_eq!(
        payload_codes(&missing["data"]["saveThesaurusGroup"]),
        ["REQUIRED"]
    );
    let stale = refused(json!({ "id": group["id"], "version": 7, "topic": "常用简称", "words": ["文创", "文创产品"] })).await;
    assert_eq!(error_code(&stale), Some("CONFLICT"), "{stale}");
    let unknown = refused(json!({ "id": "no-such-group", "version": 1, "topic": "常用简称", "words": ["文创", "文创产品"] })).await;
    assert_eq!(error_code(&unknown), Some("NOT_FOUND"), "{unknown}");
    let before = app.snapshot().await;
    let stale_delete = app
        .try_gql_as(
            &admin,
            DELETE,
            json!({ "input": { "id": group["id"], "version": 2 } }),
        )
        .await;
    assert_eq!(
        error_code(&stale_delete),
        Some("CONFLICT"),
        "{stale_delete}"
    );
    app.assert_unchanged(&before).await;
});
