use serde_json::json;

use crate::db_test;

db_test!(regions_industries_and_categories_are_served, |app| {
    let response = app
        .gql(
            r#"{
              regions { code name kind group }
              dongshan: regions(group: DONGSHAN) { code }
              industries { code level parent { code } }
              clusters: industries(topLevelOnly: true) { code name children { code } }
              scenarioCategories { code name }
            }"#,
            json!({}),
        )
        .await;
    let data = &response["data"];
    assert_eq!(data["regions"].as_array().unwrap().len(), 12);
    assert_eq!(
        data["regions"][0],
        json!({ "code": "140700", "name": "晋中市", "kind": "CITY", "group": null })
    );
    assert_eq!(data["dongshan"].as_array().unwrap().len(), 5);
    let clusters = data["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), 6);
    let coal = clusters.iter().find(|c| c["code"] == "MT").unwrap();
    assert_eq!(coal["children"].as_array().unwrap().len(), 6);
    let mt04 = data["industries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "MT04")
        .unwrap();
    assert_eq!(mt04["level"], 2);
    assert_eq!(mt04["parent"]["code"], "MT");
    assert_eq!(
        data["scenarioCategories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["code"].clone())
            .collect::<Vec<_>>(),
        vec![json!("INDUSTRIAL"), json!("CITY"), json!("COMMUNITY")]
    );
});

db_test!(
    reference_data_is_in_the_database_and_reseeding_is_idempotent,
    |app| {
        app.state.taxonomy.seed(&app.state.db).await.unwrap();
        app.state.taxonomy.seed(&app.state.db).await.unwrap();
        assert_eq!(app.count("regions").await, 12);
        assert_eq!(
            app.count("industries").await,
            app.state.taxonomy.industries.len() as i64
        );
        assert_eq!(app.count("scenario_categories").await, 3);
        assert_eq!(app.count("industries WHERE parent_code = 'NY'").await, 6);
    }
);

// The queries a client naturally writes against reference data pass the complexity limit: the
// industry tree from its clusters down, and the flat list with each parent.
db_test!(the_natural_taxonomy_queries_are_not_too_complex, |app| {
    let tree = app
        .gql(
            "{ industries(topLevelOnly: true) { code name level children { code name level parent { code name } } } }",
            json!({}),
        )
        .await;
    let clusters = tree["data"]["industries"].as_array().unwrap();
    assert_eq!(clusters.len(), 6);
    let children: usize = clusters
        .iter()
        .map(|c| c["children"].as_array().unwrap().len())
        .sum();
    assert_eq!(children, 38, "every sub-industry of seeds/taxonomy.json");
    let flat = app
        .gql(
            "{ industries { code name level parent { code name level } } regions { code name kind group cluster } }",
            json!({}),
        )
        .await;
    assert_eq!(flat["data"]["industries"].as_array().unwrap().len(), 44);
});
