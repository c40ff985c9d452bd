//! GraphQL documents and helpers that bring list items into a given state through the API.

use serde_json::{Value, json};

use crate::util::{TestApp, TestUser};

pub const SCENARIO_FIELDS: &str = "id code title status version category industryCodes tags \
    budgetMin budgetMax maturityRequired deadline cooperationModes region { code } \
    contact { name phone email } publishingUnit { id name } publishedAt \
    timeline { action fromStatus toStatus note actor { id displayName } }";

pub fn create_scenario_doc() -> String {
    format!(
        "mutation($input: CreateScenarioInput!) {{ createScenario(input: $input) {{ \
         scenario {{ {SCENARIO_FIELDS} }} errors {{ field code message }} }} }}"
    )
}

pub fn update_scenario_doc() -> String {
    format!(
        "mutation($input: UpdateScenarioInput!) {{ updateScenario(input: $input) {{ \
         scenario {{ {SCENARIO_FIELDS} }} errors {{ field code message }} }} }}"
    )
}

pub fn transition_scenario_doc() -> String {
    format!(
        "mutation($input: TransitionScenarioInput!) {{ transitionScenario(input: $input) {{ \
         scenario {{ {SCENARIO_FIELDS} }} errors {{ field code message }} }} }}"
    )
}

pub fn review_scenario_doc() -> String {
    format!(
        "mutation($input: ReviewScenarioInput!) {{ reviewScenario(input: $input) {{ \
         scenario {{ {SCENARIO_FIELDS} }} errors {{ field code message }} }} }}"
    )
}

pub fn scenario_query_doc() -> String {
    format!(
        "query($id: ID, $code: String) {{ scenario(id: $id, code: $code) {{ {SCENARIO_FIELDS} }} }}"
    )
}

/// A complete, valid scenario input (the 介休 coal-mine inspection robot scenario).
pub fn scenario_input() -> Value {
    let deadline = (chrono::Utc::now() + chrono::Duration::days(60)).date_naive();
    json!({
        "title": "煤矿井下巡检机器人应用场景",
        "summary": "在介休市两座智能化示范煤矿开放井下巡检场景，征集防爆巡检机器人及配套平台。",
        "description": "面向综采工作面和主运输巷道，要求机器人具备防爆认证、瓦斯与温度监测、视频识别和自主导航能力，可与矿井综合自动化平台对接。",
        "category": "INDUSTRIAL",
        "industryCodes": ["MT04", "ZZ05"],
        "tags": ["井下巡检", "防爆机器人", "煤矿智能化"],
        "budgetMin": 80,
        "budgetMax": 300,
        "cooperationModes": ["PROCUREMENT", "SITE_OPEN"],
        "maturityRequired": 7,
        "deadline": deadline.to_string(),
        "contact": { "name": "赵工", "phone": "0354-7223456", "email": "zhao@jiexiu.gov.cn" }
    })
}

pub fn payload<'a>(response: &'a Value, field: &str) -> &'a Value {
    &response["data"][field]
}

pub async fn create_scenario(app: &TestApp, owner: &TestUser, input: Value) -> Value {
    let response = app
        .gql_as(owner, &create_scenario_doc(), json!({ "input": input }))
        .await;
    let p = payload(&response, "createScenario");
    assert_eq!(p["errors"], json!([]), "{response}");
    p["scenario"].clone()
}

pub async fn act(app: &TestApp, user: &TestUser, id: &Value, action: &str) -> Value {
    app.gql_as(
        user,
        &transition_scenario_doc(),
        json!({ "input": { "id": id, "action": action } }),
    )
    .await
}

pub async fn review(
    app: &TestApp,
    admin: &TestUser,
    id: &Value,
    decision: &str,
    reason: Option<&str>,
) -> Value {
    app.gql_as(
        admin,
        &review_scenario_doc(),
        json!({ "input": { "id": id, "decision": decision, "reason": reason } }),
    )
    .await
}

/// Creates a scenario for `owner` and walks it to `status` through the API.
pub async fn scenario_in(app: &TestApp, owner: &TestUser, admin: &TestUser, status: &str) -> Value {
    let scenario = create_scenario(app, owner, scenario_input()).await;
    let id = scenario["id"].clone();
    let steps: &[(&str, &str)] = match status {
        "DISCOVERED" => &[],
        "PLANNED" => &[("owner", "PLAN")],
        "PENDING_REVIEW" => &[("owner", "PLAN"), ("owner", "SUBMIT")],
        "CHANGES_REQUESTED" => &[
            ("owner", "PLAN"),
            ("owner", "SUBMIT"),
            ("admin", "REQUEST_CHANGES"),
        ],
        "PUBLISHED" => &[("owner", "PLAN"), ("owner", "SUBMIT"), ("admin", "APPROVE")],
        "WITHDRAWN" => &[("owner", "WITHDRAW")],
        "CLOSED" => &[
            ("owner", "PLAN"),
            ("owner", "SUBMIT"),
            ("admin", "APPROVE"),
            ("owner", "CLOSE"),
        ],
        other => panic!("no path to {other} yet"),
    };
    let mut last = scenario;
    for (who, step) in steps {
        let response = if *who == "admin" {
            review(app, admin, &id, step, Some("请补充现场条件说明")).await
        } else {
            act(app, owner, &id, step).await
        };
        let field = if *who == "admin" {
            "reviewScenario"
        } else {
            "transitionScenario"
        };
        let p = payload(&response, field);
        assert_eq!(p["errors"], json!([]), "{step}: {response}");
        last = p["scenario"].clone();
    }
    assert_eq!(last["status"], status);
    last
}

pub const CAPABILITY_FIELDS: &str = "id code title status version maturity priceMin priceMax \
    industryCodes tags serviceRegionCodes cases { title client year summary } certifications \
    contact { name phone } provider { id name } listedAt timeline { action fromStatus toStatus }";

pub fn capability_input() -> Value {
    json!({
        "title": "矿用防爆巡检机器人系统",
        "summary": "具备防爆认证的轮式巡检机器人，支持瓦斯、温度、烟雾监测与皮带跑偏识别。",
        "description": "系统由防爆巡检机器人、充电站和智能巡检平台组成，已在晋中多座煤矿部署，可与综合自动化系统对接。",
        "industryCodes": ["MT04"],
        "tags": ["防爆机器人", "井下巡检"],
        "maturity": 8,
        "priceMin": 60,
        "priceMax": 240,
        "serviceRegionCodes": ["140700"],
        "cases": [{ "title": "某煤矿主运输巷道智能巡检", "client": "介休某煤业公司", "year": 2024, "summary": "替代人工巡检，巡检频次提高三倍。" }],
        "certifications": ["矿用产品安全标志证书"],
        "contact": { "name": "孙经理", "phone": "13903541234" }
    })
}

pub fn create_capability_doc() -> String {
    format!(
        "mutation($input: CreateCapabilityInput!) {{ createCapability(input: $input) {{ \
         capability {{ {CAPABILITY_FIELDS} }} errors {{ field code message }} }} }}"
    )
}

pub fn transition_capability_doc() -> String {
    format!(
        "mutation($input: TransitionCapabilityInput!) {{ transitionCapability(input: $input) {{ \
         capability {{ {CAPABILITY_FIELDS} }} errors {{ field code message }} }} }}"
    )
}

pub fn review_capability_doc() -> String {
    format!(
        "mutation($input: ReviewCapabilityInput!) {{ reviewCapability(input: $input) {{ \
         capability {{ {CAPABILITY_FIELDS} }} errors {{ field code message }} }} }}"
    )
}

pub async fn create_capability(app: &TestApp, owner: &TestUser, input: Value) -> Value {
    let response = app
        .gql_as(owner, &create_capability_doc(), json!({ "input": input }))
        .await;
    let p = payload(&response, "createCapability");
    assert_eq!(p["errors"], json!([]), "{response}");
    p["capability"].clone()
}

/// Creates a capability for `owner` and brings it to LISTED.
pub async fn listed_capability(
    app: &TestApp,
    owner: &TestUser,
    admin: &TestUser,
    input: Value,
) -> Value {
    let capability = create_capability(app, owner, input).await;
    let id = capability["id"].clone();
    let submitted = app
        .gql_as(
            owner,
            &transition_capability_doc(),
            json!({ "input": { "id": id, "action": "SUBMIT" } }),
        )
        .await;
    assert_eq!(
        payload(&submitted, "transitionCapability")["errors"],
        json!([]),
        "{submitted}"
    );
    let approved = app
        .gql_as(
            admin,
            &review_capability_doc(),
            json!({ "input": { "id": id, "decision": "APPROVE" } }),
        )
        .await;
    let p = payload(&approved, "reviewCapability");
    assert_eq!(p["errors"], json!([]), "{approved}");
    p["capability"].clone()
}

/// Sets the value at a JSON pointer, creating object keys on the way.
pub fn set(target: &mut Value, pointer: &str, value: Value) {
    let mut node = target;
    for part in pointer.trim_start_matches('/').split('/') {
        node = match part.parse::<usize>() {
            Ok(index) if node.is_array() => &mut node[index],
            _ => &mut node[part],
        };
    }
    *node = value;
}

/// Creates a capability for `owner` and walks it to `status` through the API.
pub async fn capability_in(
    app: &TestApp,
    owner: &TestUser,
    admin: &TestUser,
    status: &str,
) -> Value {
    let capability = create_capability(app, owner, capability_input()).await;
    let id = capability["id"].clone();
    let steps: &[(&str, &str)] = match status {
        "DRAFT" => &[],
        "PENDING_REVIEW" => &[("owner", "SUBMIT")],
        "CHANGES_REQUESTED" => &[("owner", "SUBMIT"), ("review", "REQUEST_CHANGES")],
        "LISTED" => &[("owner", "SUBMIT"), ("review", "APPROVE")],
        "FEATURED" => &[("owner", "SUBMIT"), ("review", "APPROVE"), ("feature", "")],
        "ARCHIVED" => &[
            ("owner", "SUBMIT"),
            ("review", "APPROVE"),
            ("owner", "ARCHIVE"),
        ],
        other => panic!("no path to {other}"),
    };
    let mut last = capability;
    for (kind, step) in steps {
        let (response, field) = match *kind {
            "owner" => (
                app.gql_as(owner, &transition_capability_doc(), json!({ "input": { "id": id, "action": step } }))
                    .await,
                "transitionCapability",
            ),
            "review" => (
                app.gql_as(
                    admin,
                    &review_capability_doc(),
                    json!({ "input": { "id": id, "decision": step, "reason": "请补充案例验收材料" } }),
                )
                .await,
                "reviewCapability",
            ),
            _ => (
                app.gql_as(
                    admin,
                    &format!("mutation($id: ID!) {{ featureCapability(input: {{ id: $id }}) {{ capability {{ {CAPABILITY_FIELDS} }} errors {{ code }} }} }}"),
                    json!({ "id": id }),
                )
                .await,
                "featureCapability",
            ),
        };
        let p = payload(&response, field);
        assert_eq!(p["errors"], json!([]), "{step}: {response}");
        last = p["capability"].clone();
    }
    assert_eq!(last["status"], status);
    last
}
