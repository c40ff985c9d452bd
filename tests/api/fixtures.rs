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

/// Runs a mutation that must succeed (no top-level error, no payload error); its payload.
pub async fn mutate(app: &TestApp, user: &TestUser, doc: &str, field: &str, input: Value) -> Value {
    let response = app.gql_as(user, doc, json!({ "input": input })).await;
    let p = payload(&response, field).clone();
    assert_eq!(p["errors"], json!([]), "{field} refused: {response}");
    p
}

/// Runs a mutation that may be refused, as `user` or anonymously; the whole response. A refusal
/// must write nothing (see [`TestApp::try_gql`]).
pub async fn try_mutate(app: &TestApp, user: Option<&TestUser>, doc: &str, input: Value) -> Value {
    let variables = json!({ "input": input });
    match user {
        Some(user) => app.try_gql_as(user, doc, variables).await,
        None => app.try_gql(doc, variables).await,
    }
}

pub async fn create_scenario(app: &TestApp, owner: &TestUser, input: Value) -> Value {
    mutate(app, owner, &create_scenario_doc(), "createScenario", input).await["scenario"].clone()
}

/// Takes an owner step (`transitionScenario`), which must succeed; the scenario.
pub async fn act(app: &TestApp, user: &TestUser, id: &Value, action: &str) -> Value {
    let input = json!({ "id": id, "action": action });
    mutate(
        app,
        user,
        &transition_scenario_doc(),
        "transitionScenario",
        input,
    )
    .await["scenario"]
        .clone()
}

/// [`act`] that may be refused; the response.
pub async fn try_act(app: &TestApp, user: Option<&TestUser>, id: &Value, action: &str) -> Value {
    let input = json!({ "id": id, "action": action });
    try_mutate(app, user, &transition_scenario_doc(), input).await
}

/// Reviews a scenario (`reviewScenario`), which must succeed; the scenario.
pub async fn review(
    app: &TestApp,
    admin: &TestUser,
    id: &Value,
    decision: &str,
    reason: Option<&str>,
) -> Value {
    let input = json!({ "id": id, "decision": decision, "reason": reason });
    mutate(app, admin, &review_scenario_doc(), "reviewScenario", input).await["scenario"].clone()
}

/// [`review`] that may be refused; the response.
pub async fn try_review(
    app: &TestApp,
    user: Option<&TestUser>,
    id: &Value,
    decision: &str,
    reason: Option<&str>,
) -> Value {
    let input = json!({ "id": id, "decision": decision, "reason": reason });
    try_mutate(app, user, &review_scenario_doc(), input).await
}

pub const RECORD_OUTCOME: &str = "mutation($input: RecordScenarioOutcomeInput!) { \
    recordScenarioOutcome(input: $input) { scenario { id status version } \
    outcome { summary investment completedOn } errors { field code message } } }";
pub const PROMOTE: &str = "mutation($input: PromoteScenarioInput!) { \
    promoteScenario(input: $input) { scenario { id status version } errors { code message } } }";

pub const EXTEND_DEADLINE: &str = "mutation($input: ExtendScenarioDeadlineInput!) { \
    extendScenarioDeadline(input: $input) { scenario { id status version deadline timeline { action note } } \
    errors { field code message } } }";
pub const CHANGE_CONTACT: &str = "mutation($input: UpdateScenarioContactInput!) { \
    updateScenarioContact(input: $input) { scenario { id status version contact { name phone email } } \
    errors { field code message } } }";

/// A valid landing report for `recordScenarioOutcome`.
pub fn outcome_input(id: &Value) -> Value {
    json!({
        "id": id,
        "summary": "两座煤矿主运输巷道实现机器人巡检，撤除固定岗位8个。",
        "investment": 180,
        "completedOn": twolists::items::today_in_china().to_string(),
    })
}

/// Records the outcome of an implemented scenario; the scenario.
pub async fn record_outcome(app: &TestApp, user: &TestUser, id: &Value) -> Value {
    mutate(
        app,
        user,
        RECORD_OUTCOME,
        "recordScenarioOutcome",
        outcome_input(id),
    )
    .await["scenario"]
        .clone()
}

/// Promotes a landed scenario; the scenario.
pub async fn promote(app: &TestApp, admin: &TestUser, id: &Value) -> Value {
    mutate(app, admin, PROMOTE, "promoteScenario", json!({ "id": id })).await["scenario"].clone()
}

/// Creates a scenario for `owner` and walks it to `status` through the API. The late states
/// (MATCHING on) go through a match with a capability of a new enterprise.
pub async fn scenario_in(app: &TestApp, owner: &TestUser, admin: &TestUser, status: &str) -> Value {
    scenario_in_with(app, owner, admin, status, scenario_input()).await
}

/// [`scenario_in`] for a scenario created from `input`.
pub async fn scenario_in_with(
    app: &TestApp,
    owner: &TestUser,
    admin: &TestUser,
    status: &str,
    input: Value,
) -> Value {
    let scenario = create_scenario(app, owner, input).await;
    let id = scenario["id"].clone();
    let steps: &[(&str, &str)] = match status {
        "DISCOVERED" => &[],
        "PLANNED" => &[("owner", "PLAN")],
        "PENDING_REVIEW" => &[("owner", "PLAN"), ("owner", "SUBMIT")],
        // Where the region has a county manager: the admin approves for the county.
        "PENDING_CITY_REVIEW" => &[("owner", "PLAN"), ("owner", "SUBMIT"), ("admin", "APPROVE")],
        "REJECTED" => &[("owner", "PLAN"), ("owner", "SUBMIT"), ("admin", "REJECT")],
        "CHANGES_REQUESTED" => &[
            ("owner", "PLAN"),
            ("owner", "SUBMIT"),
            ("admin", "REQUEST_CHANGES"),
        ],
        "WITHDRAWN" => &[("owner", "WITHDRAW")],
        "CLOSED" => &[
            ("owner", "PLAN"),
            ("owner", "SUBMIT"),
            ("admin", "APPROVE"),
            ("owner", "CLOSE"),
        ],
        _ => &[("owner", "PLAN"), ("owner", "SUBMIT"), ("admin", "APPROVE")],
    };
    let mut last = scenario;
    for (who, step) in steps {
        last = if *who == "admin" {
            review(app, admin, &id, step, Some("请补充现场条件说明")).await
        } else {
            act(app, owner, &id, step).await
        };
        // Where the region has a county manager, the county's approval leads to the city's.
        if last["status"] == "PENDING_CITY_REVIEW" && status != "PENDING_CITY_REVIEW" {
            last = review(app, admin, &id, "APPROVE", None).await;
        }
    }
    let late = ["MATCHING", "IMPLEMENTING", "LANDED", "PROMOTED"];
    if let Some(depth) = late.iter().position(|s| *s == status) {
        let enterprise = app.enterprise_user().await;
        let capability = listed_capability(app, &enterprise, admin, capability_input()).await;
        let proposed = apply(app, &enterprise, &last, &capability).await;
        moderate(app, admin, &proposed["id"], "APPROVE", None).await;
        if depth >= 1 {
            respond(app, owner, &proposed["id"], true).await;
            select(app, owner, &proposed["id"]).await;
        }
        if depth >= 2 {
            record_outcome(app, owner, &id).await;
        }
        if depth >= 3 {
            promote(app, admin, &id).await;
        }
        last = app
            .gql_as(owner, &scenario_query_doc(), json!({ "id": id }))
            .await["data"]["scenario"]
            .clone();
    } else if !matches!(
        status,
        "DISCOVERED"
            | "PLANNED"
            | "PENDING_REVIEW"
            | "PENDING_CITY_REVIEW"
            | "REJECTED"
            | "CHANGES_REQUESTED"
            | "PUBLISHED"
            | "WITHDRAWN"
            | "CLOSED"
    ) {
        panic!("no scenario state {status}");
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

pub const FEATURE_CAPABILITY: &str = "mutation($input: FeatureCapabilityInput!) { \
    featureCapability(input: $input) { capability { id status version } errors { code message } } }";
pub const UPDATE_CAPABILITY: &str = "mutation($input: UpdateCapabilityInput!) { \
    updateCapability(input: $input) { capability { id status version title code } errors { field code message } } }";

pub async fn create_capability(app: &TestApp, owner: &TestUser, input: Value) -> Value {
    mutate(
        app,
        owner,
        &create_capability_doc(),
        "createCapability",
        input,
    )
    .await["capability"]
        .clone()
}

/// Takes a provider step (`transitionCapability`), which must succeed; the capability.
pub async fn act_capability(app: &TestApp, user: &TestUser, id: &Value, action: &str) -> Value {
    let input = json!({ "id": id, "action": action });
    mutate(
        app,
        user,
        &transition_capability_doc(),
        "transitionCapability",
        input,
    )
    .await["capability"]
        .clone()
}

/// [`act_capability`] that may be refused; the response.
pub async fn try_act_capability(
    app: &TestApp,
    user: Option<&TestUser>,
    id: &Value,
    action: &str,
) -> Value {
    let input = json!({ "id": id, "action": action });
    try_mutate(app, user, &transition_capability_doc(), input).await
}

/// Reviews a capability (`reviewCapability`), which must succeed; the capability.
pub async fn review_capability(
    app: &TestApp,
    admin: &TestUser,
    id: &Value,
    decision: &str,
    reason: Option<&str>,
) -> Value {
    let input = json!({ "id": id, "decision": decision, "reason": reason });
    mutate(
        app,
        admin,
        &review_capability_doc(),
        "reviewCapability",
        input,
    )
    .await["capability"]
        .clone()
}

/// [`review_capability`] that may be refused; the response.
pub async fn try_review_capability(
    app: &TestApp,
    user: Option<&TestUser>,
    id: &Value,
    decision: &str,
    reason: Option<&str>,
) -> Value {
    let input = json!({ "id": id, "decision": decision, "reason": reason });
    try_mutate(app, user, &review_capability_doc(), input).await
}

/// Makes a listed capability a 晋中优秀方案; the capability.
pub async fn feature_capability(app: &TestApp, admin: &TestUser, id: &Value) -> Value {
    let doc = format!(
        "mutation($input: FeatureCapabilityInput!) {{ featureCapability(input: $input) {{ \
         capability {{ {CAPABILITY_FIELDS} }} errors {{ code message }} }} }}"
    );
    mutate(app, admin, &doc, "featureCapability", json!({ "id": id })).await["capability"].clone()
}

/// Creates a capability for `owner` and brings it to LISTED.
pub async fn listed_capability(
    app: &TestApp,
    owner: &TestUser,
    admin: &TestUser,
    input: Value,
) -> Value {
    let capability = create_capability(app, owner, input).await;
    act_capability(app, owner, &capability["id"], "SUBMIT").await;
    review_capability(app, admin, &capability["id"], "APPROVE", None).await
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
    let id = &capability["id"];
    let reason = Some("请补充案例验收材料");
    match status {
        "DRAFT" => capability,
        "PENDING_REVIEW" => act_capability(app, owner, id, "SUBMIT").await,
        "CHANGES_REQUESTED" => {
            act_capability(app, owner, id, "SUBMIT").await;
            review_capability(app, admin, id, "REQUEST_CHANGES", reason).await
        }
        "LISTED" | "FEATURED" | "ARCHIVED" => {
            act_capability(app, owner, id, "SUBMIT").await;
            let listed = review_capability(app, admin, id, "APPROVE", None).await;
            match status {
                "FEATURED" => feature_capability(app, admin, id).await,
                "ARCHIVED" => act_capability(app, owner, id, "ARCHIVE").await,
                _ => listed,
            }
        }
        other => panic!("no capability state {other}"),
    }
}

// ---- Matches ----------------------------------------------------------------------------------

pub const MATCH_FIELDS: &str = "id status origin score matchDegree reasons { kind detail } pitch version \
    scenario { id status contact { name } } capability { id status contact { name } } \
    timeline { action fromStatus toStatus }";

/// The document of a match mutation returning `{ match errors }`.
pub fn match_doc(mutation: &str, input_type: &str) -> String {
    format!(
        "mutation($input: {input_type}!) {{ {mutation}(input: $input) {{ \
         match {{ {MATCH_FIELDS} }} errors {{ field code message }} }} }}"
    )
}

/// The mutations on matches: name and input type.
pub const APPLY: (&str, &str) = ("applyToScenario", "ApplyToScenarioInput");
pub const INVITE: (&str, &str) = ("inviteCapability", "InviteCapabilityInput");
pub const PROPOSE: (&str, &str) = ("proposeMatch", "ProposeMatchInput");
pub const MODERATE: (&str, &str) = ("moderateMatch", "ModerateMatchInput");
pub const RESPOND: (&str, &str) = ("respondToMatch", "RespondToMatchInput");
pub const SELECT: (&str, &str) = ("selectMatch", "MatchIdInput");
pub const WITHDRAW: (&str, &str) = ("withdrawMatch", "MatchIdInput");

/// Runs a match mutation that must succeed; the match.
pub async fn match_step(
    app: &TestApp,
    user: &TestUser,
    (mutation, input_type): (&str, &str),
    input: Value,
) -> Value {
    mutate(app, user, &match_doc(mutation, input_type), mutation, input).await["match"].clone()
}

/// A match mutation that may be refused; the response.
pub async fn try_match_step(
    app: &TestApp,
    user: Option<&TestUser>,
    (mutation, input_type): (&str, &str),
    input: Value,
) -> Value {
    try_mutate(app, user, &match_doc(mutation, input_type), input).await
}

pub fn apply_input(scenario: &Value, capability: &Value) -> Value {
    json!({ "scenarioId": scenario["id"], "capabilityId": capability["id"],
        "pitch": "我司防爆巡检机器人已在介休多座煤矿落地。" })
}

/// An enterprise applies to a scenario with its capability; the match.
pub async fn apply(app: &TestApp, user: &TestUser, scenario: &Value, capability: &Value) -> Value {
    match_step(app, user, APPLY, apply_input(scenario, capability)).await
}

pub async fn try_apply(
    app: &TestApp,
    user: &TestUser,
    scenario: &Value,
    capability: &Value,
) -> Value {
    try_match_step(app, Some(user), APPLY, apply_input(scenario, capability)).await
}

pub fn moderate_input(id: &Value, decision: &str, reason: Option<&str>) -> Value {
    json!({ "id": id, "decision": decision, "reason": reason })
}

/// An admin approves or rejects a proposed match; the match.
pub async fn moderate(
    app: &TestApp,
    admin: &TestUser,
    id: &Value,
    decision: &str,
    reason: Option<&str>,
) -> Value {
    match_step(app, admin, MODERATE, moderate_input(id, decision, reason)).await
}

pub async fn try_moderate(
    app: &TestApp,
    user: &TestUser,
    id: &Value,
    decision: &str,
    reason: Option<&str>,
) -> Value {
    try_match_step(
        app,
        Some(user),
        MODERATE,
        moderate_input(id, decision, reason),
    )
    .await
}

/// The other party accepts or declines an approved match; the match.
pub async fn respond(app: &TestApp, user: &TestUser, id: &Value, accept: bool) -> Value {
    match_step(app, user, RESPOND, json!({ "id": id, "accept": accept })).await
}

pub async fn try_respond(app: &TestApp, user: &TestUser, id: &Value, accept: bool) -> Value {
    try_match_step(
        app,
        Some(user),
        RESPOND,
        json!({ "id": id, "accept": accept }),
    )
    .await
}

/// The scenario's unit selects its partner; the match.
pub async fn select(app: &TestApp, user: &TestUser, id: &Value) -> Value {
    match_step(app, user, SELECT, json!({ "id": id })).await
}

pub async fn try_select(app: &TestApp, user: &TestUser, id: &Value) -> Value {
    try_match_step(app, Some(user), SELECT, json!({ "id": id })).await
}

/// The initiator withdraws; the match.
pub async fn withdraw(app: &TestApp, user: &TestUser, id: &Value) -> Value {
    match_step(app, user, WITHDRAW, json!({ "id": id })).await
}

pub async fn try_withdraw(app: &TestApp, user: &TestUser, id: &Value) -> Value {
    try_match_step(app, Some(user), WITHDRAW, json!({ "id": id })).await
}

/// A status as stored, straight from the database.
pub async fn status_in_db(app: &TestApp, table: &str, id: &Value) -> String {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT status FROM {table} WHERE id = $1"
    )))
    .bind(id.as_str().unwrap().to_owned())
    .fetch_one(app.state.db.pool())
    .await
    .unwrap()
}

// ---- Accounts, organizations, messages ----------------------------------------------------------

pub const REGISTER: &str = r#"
mutation Register($input: RegisterInput!) {
  register(input: $input) { ok errors { field code message } }
}"#;

/// The signed-in user as `me` shows them, with their organization.
pub const ME_WITH_ORGANIZATION: &str = "{ me { id email displayName role emailVerified \
    organization { id name kind status creditCode region { code name } } } }";

pub const LOGIN: &str = r#"
mutation Login($email: String!, $password: String!) {
  login(input: { email: $email, password: $password }) {
    accessToken refreshToken accessTokenExpiresAt
    user { id email role }
    errors { field code message }
  }
}"#;

pub const REFRESH: &str = r#"
mutation Refresh($token: String!) {
  refreshSession(input: { refreshToken: $token }) {
    accessToken refreshToken user { id } errors { code }
  }
}"#;

pub const VERIFY_ORGANIZATION: &str = r#"
mutation Verify($id: ID!) {
  verifyOrganization(input: { id: $id, note: "营业执照已核验" }) {
    organization { id status verifiedAt } errors { field code message }
  }
}"#;

/// `rejectOrganization`, `suspendOrganization` or `reinstateOrganization`, by name.
pub fn org_step(mutation: &str) -> String {
    format!(
        "mutation($id: ID!, $reason: String) {{ {mutation}(input: {{ id: $id, reason: $reason }}) \
         {{ organization {{ id status statusReason }} errors {{ field code message }} }} }}"
    )
}

/// An admin's step on an organization that must succeed; the organization.
pub async fn step_organization(
    app: &TestApp,
    admin: &TestUser,
    mutation: &str,
    org_id: &str,
    reason: Option<&str>,
) -> Value {
    let res = app
        .gql_as(
            admin,
            &org_step(mutation),
            json!({ "id": org_id, "reason": reason }),
        )
        .await;
    let payload = &res["data"][mutation];
    assert_eq!(payload["errors"], json!([]), "{mutation}: {res}");
    payload["organization"].clone()
}

pub const INVITE_MEMBER: &str = "mutation($email: String!, $org: ID) { \
    inviteMember(input: { email: $email, organizationId: $org }) { \
    invitation { id email status expiresAt invitedBy { id } organization { id } } \
    errors { field code message } } }";

pub const ACCEPT_INVITATION: &str = "mutation($token: String!, $name: String!, $password: String!) { \
    acceptInvitation(input: { token: $token, displayName: $name, password: $password }) { \
    user { id email membership joinedVia emailVerified organization { id } } \
    errors { field code message } } }";

pub const MEMBERS: &str = "query($org: ID!, $removed: Boolean) { \
    organizationMembers(organizationId: $org, includeRemoved: $removed) { totalCount \
    nodes { id displayName membership joinedVia removedAt } } }";

pub const CHANGE_MANAGER: &str = "mutation($user: ID!) { \
    changeOrganizationManager(input: { userId: $user }) { \
    user { id membership } errors { field code message } } }";

pub const REMOVE_MEMBER: &str = "mutation($user: ID!) { removeMember(input: { userId: $user }) { \
    user { id membership removedAt } errors { field code message } } }";

/// The token of the newest invitation e-mail to `email`, from the outbox.
pub async fn invitation_token(app: &TestApp, email: &str) -> String {
    emailed_token(app, "INVITATION", email, "/accept-invitation").await
}

/// The token in the link to `page` of the newest e-mail of `kind` to `email`, from the outbox.
pub async fn emailed_token(app: &TestApp, kind: &str, email: &str, page: &str) -> String {
    let body: String = sqlx::query_scalar(
        "SELECT text_body FROM email_outbox WHERE kind = $1 AND recipient = $2 \
         ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(kind)
    .bind(email)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    let marker = format!("{page}?token=");
    body.split_whitespace()
        .find_map(|w| w.split(marker.as_str()).nth(1))
        .unwrap_or_else(|| panic!("no {page} link in: {body}"))
        .to_owned()
}

/// A colleague the manager invites, who accepts and signs in: the signed-in member and their
/// address.
pub async fn colleague_of(app: &TestApp, manager: &TestUser) -> (TestUser, String) {
    let email = format!("colleague{}@example.cn", crate::util::unique());
    let invited = app
        .gql_as(manager, INVITE_MEMBER, json!({ "email": email }))
        .await;
    assert_eq!(
        invited["data"]["inviteMember"]["errors"],
        json!([]),
        "{invited}"
    );
    let token = invitation_token(app, &email).await;
    let accepted = app
        .gql(
            ACCEPT_INVITATION,
            json!({ "token": token, "name": "王同事", "password": crate::util::PASSWORD }),
        )
        .await;
    assert_eq!(
        accepted["data"]["acceptInvitation"]["errors"],
        json!([]),
        "{accepted}"
    );
    (sign_in(app, &email).await, email)
}

/// The e-mail address of a user.
pub async fn email_of(app: &TestApp, user: &TestUser) -> String {
    sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
        .bind(&user.id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

/// Signs in through `login`; the member as a [`TestUser`].
pub async fn sign_in(app: &TestApp, email: &str) -> TestUser {
    let res = app
        .gql(
            LOGIN,
            json!({ "email": email, "password": crate::util::PASSWORD }),
        )
        .await;
    let login = &res["data"]["login"];
    assert_eq!(login["errors"], json!([]), "{res}");
    let user_id = login["user"]["id"].as_str().unwrap().to_owned();
    let org_id: String = sqlx::query_scalar("SELECT organization_id FROM users WHERE id = $1")
        .bind(&user_id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    TestUser {
        id: user_id,
        org_id,
        token: login["accessToken"].as_str().unwrap().to_owned(),
    }
}

pub const POST_MESSAGE: &str = "mutation($input: PostMatchMessageInput!) { postMatchMessage(input: $input) { \
    message { id body author { displayName } } errors { code } } }";

/// A scenario's status and contact, by id or code.
pub const SCENARIO_CONTACT: &str = "query($id: ID, $code: String) { scenario(id: $id, code: $code) { id status contact { name } } }";
/// A capability's status and contact, by id or code.
pub const CAPABILITY_CONTACT: &str = "query($id: ID, $code: String) { capability(id: $id, code: $code) { id status contact { name } } }";

/// The titles of a `capabilityList` answer's nodes, in order.
pub fn titles(response: &Value) -> Vec<String> {
    response["data"]["capabilityList"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{response}"))
        .iter()
        .map(|e| e["node"]["title"].as_str().unwrap().to_owned())
        .collect()
}

/// `hour`:00 in Jinzhong (China time) on `day`.
pub fn china_time(day: chrono::NaiveDate, hour: u32) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone as _;
    twolists::clock::china()
        .from_local_datetime(&day.and_hms_opt(hour, 0, 0).unwrap())
        .unwrap()
        .to_utc()
}

/// Today in Jinzhong, on the system's clock.
pub fn today_in_china() -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&twolists::clock::china())
        .date_naive()
}

/// Runs the due jobs on two instances at once; how many times `job` ran (once, on one of them,
/// when the lease holds).
pub async fn run_due_on_both(a: &TestApp, b: &TestApp, job: &str) -> usize {
    let (ran_a, ran_b) = tokio::join!(a.state.scheduler.run_due(), b.state.scheduler.run_due());
    ran_a
        .iter()
        .chain(&ran_b)
        .filter(|ran| **ran == job)
        .count()
}
