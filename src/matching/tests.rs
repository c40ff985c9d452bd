use super::*;

fn world() -> World {
    let industries = [
        ("MT", "“煤炭+”产业集群", None),
        ("MT04", "煤矿智能化", Some("MT")),
        ("MT01", "焦化和冶金", Some("MT")),
        ("XN", "“新能源+”产业集群", None),
        ("XN01", "光伏风电储能生物质能", Some("XN")),
    ];
    let regions = [
        ("140700", "晋中市", None),
        ("140781", "介休市", Some("PINGCHUAN")),
        ("140729", "灵石县", Some("PINGCHUAN")),
        ("140722", "左权县", Some("DONGSHAN")),
    ];
    World {
        industries: industries
            .iter()
            .map(|(c, n, p)| (c.to_string(), (n.to_string(), p.map(str::to_owned))))
            .collect(),
        regions: regions
            .iter()
            .map(|(c, n, g)| (c.to_string(), (n.to_string(), g.map(str::to_owned))))
            .collect(),
        city: "140700".into(),
    }
}

fn capability(id: &str, title: &str, industries: &[&str]) -> CapabilityDoc {
    CapabilityDoc {
        id: id.into(),
        title: title.into(),
        summary: title.into(),
        description: title.into(),
        tags: vec![],
        industries: industries.iter().map(|s| s.to_string()).collect(),
        region: "140781".into(),
        service_regions: vec!["140781".into()],
        maturity: Some(8),
        price_min: Some(50.0),
        price_max: Some(150.0),
        landed_cases: 2,
    }
}

fn scenario() -> ScenarioDoc {
    ScenarioDoc {
        id: "S1".into(),
        title: "煤矿井下巡检机器人".into(),
        summary: "主运输皮带沿线无人化巡检".into(),
        description: "要求防爆巡检机器人监测皮带跑偏和托辊异响".into(),
        tags: vec!["井下巡检".into(), "防爆".into()],
        industries: vec!["MT04".into()],
        region: "140781".into(),
        maturity_required: Some(7),
        budget_min: Some(80.0),
        budget_max: Some(200.0),
    }
}

fn engine(caps: &[CapabilityDoc]) -> Engine {
    let mut e = Engine::new(world());
    for c in caps {
        e.upsert_capability(c);
    }
    e
}

fn reason(r: &Ranked, kind: ReasonKind) -> Option<&Reason> {
    r.reasons.iter().find(|x| x.kind == kind)
}

#[test]
fn the_relevant_capability_ranks_first_with_text_reasons() {
    let e = engine(&[
        capability("C1", "光伏电站清洗机器人", &["XN01"]),
        capability("C2", "矿用防爆巡检机器人 皮带跑偏识别", &["MT04"]),
        capability("C3", "焦炉测温系统", &["MT01"]),
    ]);
    let ranked = e.rank_capabilities(&scenario(), 10);
    assert_eq!(ranked[0].id, "C2");
    let text = reason(&ranked[0], ReasonKind::Text).unwrap();
    assert!(text.contribution > 0.0);
    assert!(text.terms.iter().any(|t| t == "防爆"), "{:?}", text.terms);
    assert!(text.detail.starts_with("内容相关："));
    assert!(ranked.windows(2).all(|w| w[0].score >= w[1].score));
    // The contributions add up to the score.
    for r in &ranked {
        let sum: f32 = r.reasons.iter().map(|x| x.contribution).sum();
        assert!((sum - r.score).abs() < 1e-4, "{r:?}");
    }
}

#[test]
fn industry_fit_counts_exact_matches() {
    let e = engine(&[
        capability("EXACT", "巡检平台", &["MT04"]),
        capability("OTHER", "巡检平台", &["XN01"]),
    ]);
    let ranked = e.rank_capabilities(&scenario(), 10);
    assert_eq!(ranked[0].id, "EXACT");
    let industry = reason(&ranked[0], ReasonKind::Industry).unwrap();
    assert_eq!(industry.detail, "行业匹配：煤矿智能化");
    assert!(reason(&ranked[1], ReasonKind::Industry).is_none());
}

#[test]
fn region_fit_prefers_coverage_and_the_whole_city() {
    let mut near = capability("NEAR", "巡检平台", &["MT04"]);
    near.region = "140722".into();
    near.service_regions = vec!["140722".into()];
    let mut city = near.clone();
    city.id = "CITY".into();
    city.service_regions = vec!["140700".into()];
    let e = engine(&[near, city]);
    let ranked = e.rank_capabilities(&scenario(), 10);
    assert_eq!(ranked[0].id, "CITY");
    let region = reason(&ranked[0], ReasonKind::Region).unwrap();
    assert_eq!(region.detail, "服务范围覆盖全市，含介休市");
    assert!(
        reason(&ranked[1], ReasonKind::Region).is_none(),
        "东山 does not serve 介休"
    );
}

#[test]
fn maturity_below_the_requirement_costs() {
    let mature = capability("MATURE", "巡检平台", &["MT04"]);
    let mut young = mature.clone();
    young.id = "YOUNG".into();
    young.maturity = Some(5);
    let e = engine(&[young, mature]);
    let ranked = e.rank_capabilities(&scenario(), 10);
    assert_eq!(ranked[0].id, "MATURE");
    let short = reason(&ranked[1], ReasonKind::Maturity).unwrap();
    assert!(short.contribution < 0.0);
    assert_eq!(short.detail, "技术成熟度5级，低于要求的7级");
    assert_eq!(
        reason(&ranked[0], ReasonKind::Maturity).unwrap().detail,
        "技术成熟度8级，满足7级要求"
    );
}

#[test]
fn budget_over_the_scenario_costs_and_a_fit_counts() {
    let fits = capability("FITS", "巡检平台", &["MT04"]);
    let mut dear = fits.clone();
    dear.id = "DEAR".into();
    dear.price_min = Some(500.0);
    dear.price_max = Some(900.0);
    let e = engine(&[dear, fits]);
    let ranked = e.rank_capabilities(&scenario(), 10);
    assert_eq!(ranked[0].id, "FITS");
    assert_eq!(
        reason(&ranked[0], ReasonKind::Budget).unwrap().detail,
        "报价50–150万元，与预算80–200万元部分重合"
    );
    let over = reason(&ranked[1], ReasonKind::Budget).unwrap();
    assert!(over.contribution < 0.0);
    assert!(over.detail.contains("高于预算"));
}

#[test]
fn the_budget_reason_says_within_only_when_the_price_lies_inside() {
    let mut need = scenario();
    need.budget_min = Some(120.0);
    need.budget_max = Some(400.0);
    let priced = |id: &str, min: f64, max: f64| {
        let mut c = capability(id, "巡检平台", &["MT04"]);
        c.price_min = Some(min);
        c.price_max = Some(max);
        c
    };
    let e = engine(&[
        priced("INSIDE", 150.0, 380.0),
        priced("UPPER", 300.0, 1200.0),
        priced("LOWER", 60.0, 200.0),
    ]);
    let ranked = e.rank_capabilities(&need, 10);
    let detail = |id: &str| {
        let r = ranked.iter().find(|r| r.id == id).unwrap();
        reason(r, ReasonKind::Budget).unwrap().detail.clone()
    };
    assert_eq!(detail("INSIDE"), "报价150–380万元，在预算120–400万元范围内");
    assert_eq!(
        detail("UPPER"),
        "报价300–1200万元，与预算120–400万元部分重合"
    );
    assert_eq!(detail("LOWER"), "报价60–200万元，与预算120–400万元部分重合");
}

#[test]
fn a_price_wholly_under_the_budget_earns_less_than_a_fit() {
    let fits = capability("FITS", "巡检平台", &["MT04"]);
    let mut small = fits.clone();
    small.id = "SMALL".into();
    small.price_min = Some(5.0);
    small.price_max = Some(30.0);
    let e = engine(&[small, fits]);
    let ranked = e.rank_capabilities(&scenario(), 10);
    assert_eq!(ranked[0].id, "FITS");
    assert_eq!(ranked[1].id, "SMALL");
    // README: "a range wholly under the budget earns nothing".
    assert!(reason(&ranked[1], ReasonKind::Budget).is_none());
    assert!(reason(&ranked[0], ReasonKind::Budget).unwrap().contribution > 0.0);
}

#[test]
fn the_thesaurus_finds_a_need_said_in_other_words() {
    let mut need = scenario();
    need.title = "物流园区立体库改造".into();
    need.summary = "建设立体库".into();
    need.description = "建设立体库，提升库容".into();
    need.tags = vec![];
    let e = engine(&[
        capability("DENSE", "托盘密集库系统", &["MT04"]),
        capability("LITERAL", "托盘立体库系统", &["MT04"]),
        capability("OTHER", "光伏电站清洗", &["XN01"]),
    ]);
    let ranked = e.rank_capabilities(&need, 10);
    let ids: Vec<&str> = ranked.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids[..2],
        ["LITERAL", "DENSE"],
        "own words count more: {ids:?}"
    );
    let text = reason(&ranked[1], ReasonKind::Text).unwrap();
    assert!(text.contribution > 0.0);
    assert!(
        !text.terms.contains(&"密集库".to_owned()),
        "not a shared term"
    );
    assert_eq!(text.detail, "内容相近：密集库");
    // The same thesaurus serves free text.
    let hits = e.search_capabilities("立体库", 10, None);
    let hit_ids: Vec<&str> = hits.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(hit_ids, ["LITERAL", "DENSE"]);
}

#[test]
fn track_record_breaks_ties() {
    let proven = capability("PROVEN", "巡检平台", &["MT04"]);
    let mut new = proven.clone();
    new.id = "NEW".into();
    new.landed_cases = 0;
    let e = engine(&[new, proven]);
    let ranked = e.rank_capabilities(&scenario(), 10);
    assert_eq!(ranked[0].id, "PROVEN");
    assert_eq!(
        reason(&ranked[0], ReasonKind::TrackRecord).unwrap().detail,
        "已有2个落地案例"
    );
}

#[test]
fn updates_and_removals_apply_in_place() {
    let mut e = engine(&[
        capability("C1", "矿用防爆巡检机器人", &["MT04"]),
        capability("C2", "光伏清洗", &["XN01"]),
    ]);
    assert_eq!(e.capability_count(), 2);
    assert_eq!(e.rank_capabilities(&scenario(), 1)[0].id, "C1");
    assert!(e.remove_capability("C1"));
    assert!(!e.remove_capability("C1"));
    assert!(!e.has_capability("C1"));
    assert!(
        e.rank_capabilities(&scenario(), 10)
            .iter()
            .all(|r| r.id != "C1")
    );
    // Changing C2 into an inspection robot makes it the best match.
    e.upsert_capability(&capability("C2", "矿用防爆巡检机器人", &["MT04"]));
    assert_eq!(e.capability_count(), 1);
    assert_eq!(e.rank_capabilities(&scenario(), 1)[0].id, "C2");
}

#[test]
fn scenarios_rank_for_a_capability_too() {
    let mut e = Engine::new(world());
    e.upsert_scenario(&scenario());
    let mut other = scenario();
    other.id = "S2".into();
    other.title = "光伏电站运维".into();
    other.summary = "光伏组件清洗与热斑检测".into();
    other.description = "光伏电站智能运维".into();
    other.tags = vec!["光伏".into()];
    other.industries = vec!["XN01".into()];
    e.upsert_scenario(&other);
    let ranked = e.rank_scenarios(&capability("C", "矿用防爆巡检机器人", &["MT04"]), 5);
    assert_eq!(ranked[0].id, "S1");
    assert!(reason(&ranked[0], ReasonKind::Text).is_some());
}

#[test]
fn free_text_search_finds_chinese_phrases() {
    let e = engine(&[
        capability("C1", "矿用防爆巡检机器人", &["MT04"]),
        capability("C2", "光伏电站清洗机器人", &["XN01"]),
    ]);
    let hits = e.search_capabilities("防爆巡检", 10, None);
    assert_eq!(hits[0].0, "C1");
    assert!(hits.iter().all(|(id, _)| id != "C2"));
    assert_eq!(e.search_capabilities("机器人", 10, None).len(), 2);
    assert!(e.search_capabilities("醇氢重卡", 10, None).is_empty());
}

#[test]
fn an_empty_engine_ranks_nothing() {
    let e = Engine::new(world());
    assert!(e.rank_capabilities(&scenario(), 10).is_empty());
    assert!(e.search_scenarios("巡检", 10, None).is_empty());
}

#[test]
fn explain_scores_one_pair_as_the_ranking_does() {
    // Enough candidates for the meaning signal, which is relative to the other candidates.
    let e = engine(&[
        capability("C1", "矿用防爆巡检机器人", &["MT04"]),
        capability("C2", "光伏电站清洗", &["XN01"]),
        capability("C3", "皮带机托辊故障监测", &["MT04"]),
        capability("C4", "焦炉烟气治理", &["MT01"]),
        capability("C5", "储能电站运维", &["XN01"]),
        capability("C6", "井下人员定位系统", &["MT04"]),
        capability("C7", "瓦斯抽采监控平台", &["MT04"]),
        capability("C8", "洗煤厂智能控制", &["MT01"]),
    ]);
    let ranked = e.rank_capabilities(&scenario(), 10);
    assert!(
        ranked
            .iter()
            .any(|r| reason(r, ReasonKind::Semantic).is_some()),
        "the meaning signal took part: {ranked:?}"
    );
    for r in &ranked {
        let one = e.explain(&scenario(), &r.id).unwrap();
        assert_eq!(&one, r, "explained alone as ranked");
    }
    assert!(e.explain(&scenario(), "NOPE").is_none());
}

#[test]
fn a_cluster_code_matches_its_sub_industries_as_the_filters_do() {
    let e = engine(&[
        capability("COAL", "巡检平台", &["MT04"]),
        capability("SOLAR", "巡检平台", &["XN01"]),
        capability("CLUSTER", "巡检平台", &["MT"]),
    ]);
    let mut by_cluster = scenario();
    by_cluster.industries = vec!["MT".into()];
    let ranked = e.rank_capabilities(&by_cluster, 10);
    let industry = |id: &str| {
        let r = ranked.iter().find(|r| r.id == id).unwrap();
        reason(r, ReasonKind::Industry).map(|x| (x.contribution, x.detail.clone()))
    };
    let exact = e.rank_capabilities(&scenario(), 10);
    let exact_reason = reason(
        exact.iter().find(|r| r.id == "COAL").unwrap(),
        ReasonKind::Industry,
    )
    .unwrap();
    // "MT" scores for an MT04 capability as "MT04" does, and names the cluster.
    assert_eq!(
        industry("COAL"),
        Some((
            exact_reason.contribution,
            "行业匹配：“煤炭+”产业集群".to_owned()
        ))
    );
    assert_eq!(industry("SOLAR"), None);
    // A capability that gives the cluster serves a scenario of one of its sub-industries.
    let for_mt04 = reason(
        exact.iter().find(|r| r.id == "CLUSTER").unwrap(),
        ReasonKind::Industry,
    )
    .unwrap();
    assert_eq!(for_mt04.contribution, exact_reason.contribution);
}

/// The title of a capability of `meaning_is_a_reason_of_its_own_and_only_with_word_vectors`.
fn e_text(id: &str) -> &'static str {
    match id {
        "C1" => "光伏电站清洗机器人",
        "C2" => "矿用防爆巡检机器人 皮带跑偏识别",
        "C3" => "焦炉测温系统",
        "C4" => "井下人员定位与安全监测",
        "C5" => "带式输送机托辊故障声学诊断",
        _ => "智慧农业温室环境监测",
    }
}

#[test]
fn meaning_is_a_reason_of_its_own_and_only_with_word_vectors() {
    let mut e = engine(&["C1", "C2", "C3", "C4", "C5", "C6"].map(|id| {
        let industry = match id {
            "C1" => "XN01",
            "C3" => "MT01",
            "C6" => "NY01",
            _ => "MT04",
        };
        capability(id, e_text(id), &[industry])
    }));
    let ranked = e.rank_capabilities(&scenario(), 10);
    let semantic: Vec<&Reason> = ranked
        .iter()
        .filter_map(|r| reason(r, ReasonKind::Semantic))
        .collect();
    assert!(!semantic.is_empty(), "{ranked:?}");
    for r in &semantic {
        if r.contribution > 0.0 {
            assert!(r.detail.starts_with("语义相近"), "{r:?}");
        } else {
            assert_eq!(r.detail, "与其他候选相比语义较远");
        }
    }
    // The nearest pairs are of words the other side does not use itself (shared words are
    // TEXT's), neither a part of the other.
    let scenario_text = format!("{:?}", scenario());
    let mut named = 0;
    for r in ranked.iter() {
        let Some(semantic) = reason(r, ReasonKind::Semantic) else {
            continue;
        };
        let Some((_, pairs)) = semantic.detail.split_once('：') else {
            continue;
        };
        let capability_text = e_text(r.id.as_str());
        for pair in pairs.split('、') {
            let (a, b) = pair.split_once('↔').unwrap();
            named += 1;
            assert!(!a.contains(b) && !b.contains(a), "{semantic:?}");
            assert!(
                !capability_text.contains(a),
                "{a} is the capability's own word"
            );
            assert!(!scenario_text.contains(b), "{b} is the scenario's own word");
        }
    }
    assert!(named > 0, "some pair was named: {ranked:?}");
    for r in &ranked {
        let sum: f32 = r.reasons.iter().map(|x| x.contribution).sum();
        assert!((sum - r.score).abs() < 1e-4, "{r:?}");
    }

    // Among fewer than five candidates, the signal stays out.
    let few = engine(&[
        capability("C1", "光伏电站清洗机器人", &["XN01"]),
        capability("C2", "矿用防爆巡检机器人 皮带跑偏识别", &["MT04"]),
        capability("C3", "焦炉测温系统", &["MT01"]),
    ]);
    let ranked = few.rank_capabilities(&scenario(), 10);
    assert!(
        ranked
            .iter()
            .all(|r| reason(r, ReasonKind::Semantic).is_none())
    );

    e.set_vectors(None);
    let plain = e.rank_capabilities(&scenario(), 10);
    assert!(
        plain
            .iter()
            .all(|r| reason(r, ReasonKind::Semantic).is_none()),
        "{plain:?}"
    );
}

/// Capabilities about other things than tourism, for free-text tests.
const ELSEWHERE: [&str; 12] = [
    "矿用防爆巡检机器人",
    "焦炉自动测温系统",
    "光伏电站智能清洗",
    "甲醇重整制氢装置",
    "煤矸石烧结墙材生产线",
    "玻璃窑炉燃烧优化",
    "肉牛精准饲喂系统",
    "旱作农田滴灌设备",
    "工业机器人装配工作站",
    "燃气管网泄漏监测",
    "中小学课后辅导系统",
    "锂电负极材料石墨化窑炉",
];

/// Each of [`ELSEWHERE`] twice: enough other items for one to stand out by meaning.
fn elsewhere_twice() -> Vec<CapabilityDoc> {
    ELSEWHERE
        .iter()
        .chain(ELSEWHERE.iter())
        .enumerate()
        .map(|(i, title)| capability(&format!("C{i}"), title, &["MT04"]))
        .collect()
}

#[test]
fn free_text_cuts_hits_that_share_only_a_generic_word() {
    let mut caps: Vec<CapabilityDoc> = ELSEWHERE
        .iter()
        .enumerate()
        .map(|(i, title)| capability(&format!("C{i}"), &format!("智能{title}"), &["MT04"]))
        .collect();
    caps.push(capability("INSPECT", "智能巡检无人机 巡检 巡检", &["MT04"]));
    let mut e = Engine::with_tokenizer(world(), Arc::new(Engine::tokenizer_for(&world())));
    for c in &caps {
        e.upsert_capability(c);
    }
    let hits = e.search_capabilities("智能 巡检", 50, None);
    assert_eq!(hits[0].0, "INSPECT");
    // 矿用防爆巡检机器人 shares 巡检; the others share only 智能, found in every item.
    let ids: Vec<&str> = hits.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["INSPECT", "C0"], "{hits:?}");
    assert!(hits.iter().all(|(_, score)| *score > 0.0 && *score <= 1.0));

    e.set_weights(Weights {
        search_floor: 0.0,
        ..Weights::default()
    });
    assert_eq!(
        e.search_capabilities("智能 巡检", 50, None).len(),
        caps.len(),
        "without the floor, every item that shares a word is a hit"
    );
}

#[test]
fn free_text_finds_by_meaning_after_the_literal_hits() {
    let mut caps = elsewhere_twice();
    caps.push(capability("LITERAL", "乡村旅游民宿预订平台", &["MT04"]));
    caps.push(capability("NEAR", "景区游客导览与门票预约", &["MT04"]));
    let mut e = engine(&caps);
    let hits = e.search_capabilities("旅游", 20, None);
    let ids: Vec<&str> = hits.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["LITERAL", "NEAR"], "{hits:?}");
    assert!(hits[0].1 > 0.0 && hits[1].1 <= 0.0, "{hits:?}");

    e.set_vectors(None);
    let literal: Vec<String> = e
        .search_capabilities("旅游", 20, None)
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(
        literal,
        ["LITERAL"],
        "without word vectors only the words count"
    );
}

#[test]
fn text_reasons_cite_neither_place_names_nor_generic_parts() {
    let mut cap = capability("C1", "山西介休汾河沿线水质一体化监测站", &["MT04"]);
    cap.description = "在山西介休汾河沿线布设水质一体化监测站".into();
    let e = engine(&[cap]);
    let need = ScenarioDoc {
        title: "汾河介休段水质在线监测".into(),
        description: "山西介休汾河断面水质一体化在线监测".into(),
        ..scenario()
    };
    let ranked = e.rank_capabilities(&need, 5);
    let text = reason(&ranked[0], ReasonKind::Text).expect("a text reason");
    assert!(text.terms.contains(&"水质".to_owned()), "{text:?}");
    for word in ["山西", "介休", "汾河", "一体"] {
        assert!(
            !text.terms.iter().any(|t| t == word) && !text.detail.contains(word),
            "{word} cited: {text:?}"
        );
    }
}

#[test]
fn free_text_also_looks_for_words_near_in_meaning() {
    let mut caps = elsewhere_twice();
    caps.push(capability("SIGHTS", "景点客流监测", &["MT04"]));
    let mut e = engine(&caps);
    // Without the thesaurus, which relates the two words too.
    e.set_weights(Weights {
        related: 0.0,
        ..Weights::default()
    });
    let hits = e.search_capabilities("景区", 20, None);
    assert_eq!(
        hits.first().map(|h| h.0.as_str()),
        Some("SIGHTS"),
        "{hits:?}"
    );
    assert!(
        hits[0].1 > 0.0,
        "a literal hit through the neighbour word: {hits:?}"
    );

    e.set_weights(Weights {
        related: 0.0,
        neighbours: 0,
        semantic: 0.0,
        ..Weights::default()
    });
    assert!(e.search_capabilities("景区", 20, None).is_empty());
}

#[test]
fn a_pair_has_one_degree_from_either_side_and_in_any_list() {
    let caps = [
        capability("C1", "矿用防爆巡检机器人 皮带跑偏识别", &["MT04"]),
        capability("C2", "光伏电站清洗", &["XN01"]),
        capability("C3", "皮带机托辊故障监测", &["MT04"]),
        capability("C4", "焦炉烟气治理", &["MT01"]),
        capability("C5", "储能电站运维", &["XN01"]),
        capability("C6", "井下人员定位系统", &["MT04"]),
    ];
    let mut other = scenario();
    other.id = "S2".into();
    other.title = "光伏电站组件清洗".into();
    other.summary = "分布式光伏电站组件定期清洗".into();
    other.description = "征集光伏清洗机器人与运维服务".into();
    other.tags = vec!["光伏".into()];
    other.industries = vec!["XN01".into()];
    let mut e = engine(&caps);
    e.upsert_scenario(&scenario());
    e.upsert_scenario(&other);

    let from_scenario = e.rank_capabilities(&scenario(), 10);
    let mut compared = 0;
    for c in &caps {
        let forward = from_scenario.iter().find(|r| r.id == c.id);
        let backward = e.rank_scenarios(c, 10);
        let backward = backward.iter().find(|r| r.id == "S1");
        if let (Some(forward), Some(backward)) = (forward, backward) {
            assert_eq!(forward.degree, backward.degree, "{}", c.id);
            compared += 1;
        }
        let evidence = e.evidence_of("S1", &c.id).unwrap();
        if let Some(forward) = forward {
            assert_eq!(forward.degree, CALIBRATION.degree(&evidence), "{}", c.id);
        }
    }
    assert!(compared >= 3, "{compared} pairs ranked from both sides");
    // A pair outside the ranking has its degree all the same.
    let degree = |id: &str| CALIBRATION.degree(&e.evidence_of("S1", id).unwrap());
    // The inspection robot fits the inspection need; a solar cleaning service does not.
    assert!(degree("C1") > degree("C2"), "{from_scenario:?}");
    assert!(degree("C1") >= 50, "{from_scenario:?}");
    assert!(degree("C2") <= 10, "{from_scenario:?}");
    // Explained alone or ranked among the others, the pair's degree is the same.
    assert_eq!(e.explain(&scenario(), "C1").unwrap().degree, degree("C1"));
    assert!(from_scenario.iter().any(|r| r.id == "C1"));
}

#[test]
fn free_text_counts_the_parts_of_a_part_once() {
    let e = engine(&[
        capability("C1", "政务大厅服务机器人", &[]),
        capability("C2", "光伏电站巡检服务", &[]),
    ]);
    let hits = e.search_capabilities("巡检机器人", 10, None);
    let score = |id: &str| hits.iter().find(|h| h.0 == id).map(|h| h.1).unwrap();
    // Each shares one part of 巡检机器人 with the query; 机器, the part of 机器人, does not make
    // the robot weigh twice (it did: 1.0 against 0.5).
    assert!(score("C1") < 1.5 * score("C2"), "{hits:?}");
    assert!(score("C2") < 1.5 * score("C1"), "{hits:?}");
}

#[test]
fn free_text_does_not_hit_on_a_generic_part_of_a_longer_word() {
    let e = engine(&[
        capability("C1", "智慧社区综合服务平台", &[]),
        capability("C2", "矿山安全生产监测", &[]),
    ]);
    let ids = |q: &str| -> Vec<String> {
        e.search_capabilities(q, 10, None)
            .into_iter()
            .map(|(id, _)| id)
            .collect()
    };
    // 智慧矿山 is 智慧 + 矿山: 智慧 alone says nothing of mines.
    assert_eq!(ids("智慧矿山"), ["C2"]);
    // Typed alone, the generic word is searched as any word.
    assert_eq!(ids("智慧"), ["C1"]);
}

#[test]
fn free_text_within_industries_keeps_exactly_the_hits_in_them() {
    let caps = [
        capability("MINE", "矿用防爆巡检机器人", &["MT04"]),
        capability("COKE", "焦炉巡检机器人", &["MT01"]),
        capability("SOLAR", "光伏电站巡检机器人", &["XN01"]),
        capability("BOTH", "巡检机器人通用平台", &["XN01", "MT04"]),
        capability("OTHER", "储能电池管理系统", &["XN01"]),
    ];
    let mut e = engine(&caps);
    // An item that changed industry is found under its new one only.
    e.upsert_capability(&capability("COKE", "焦炉巡检机器人", &["XN01"]));
    let all = e.search_capabilities("巡检机器人", 10, None);
    assert_eq!(all.len(), 4, "{all:?}");
    let mt = ["MT".to_owned(), "MT01".into(), "MT04".into()];
    let within = e.search_capabilities("巡检机器人", 10, Some(&mt));
    let expected: Vec<(String, f32)> = all
        .iter()
        .filter(|(id, _)| ["MINE", "BOTH"].contains(&id.as_str()))
        .cloned()
        .collect();
    assert_eq!(
        within, expected,
        "the same hits, scores and order, of MT only"
    );
    assert!(
        e.search_capabilities("巡检机器人", 10, Some(&["ZZ".to_owned()]))
            .is_empty()
    );
    assert!(
        e.search_capabilities("巡检机器人", 10, Some(&[]))
            .is_empty()
    );
}

/// Whether two rankings agree: the same items in the same order, scores alike.
fn assert_same_ranking(a: &[Ranked], b: &[Ranked], what: &str) {
    let ids = |r: &[Ranked]| r.iter().map(|x| x.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(a), ids(b), "{what}");
    for (x, y) in a.iter().zip(b) {
        assert!(
            (x.score - y.score).abs() < 1e-4,
            "{what}: {} vs {}",
            x.score,
            y.score
        );
        assert!(
            x.degree.abs_diff(y.degree) <= 1,
            "{what}: {} vs {}",
            x.degree,
            y.degree
        );
    }
}

#[test]
fn an_indexed_query_item_ranks_as_its_texts_say_even_after_an_edit() {
    // A published scenario's recommendations reuse the terms the index holds for it, unless its
    // texts changed since: either way the ranking is the one its texts give.
    let caps = [
        capability("ROBOT", "矿用防爆巡检机器人", &["MT04"]),
        capability("PV", "光伏电站清洗机器人", &["XN01"]),
        capability("DRONE", "无人机输电线路巡检", &["XN01"]),
    ];
    let mut e = engine(&caps);
    let indexed = scenario();
    e.upsert_scenario(&indexed);
    let unindexed = ScenarioDoc {
        id: "S-NEW".into(),
        ..indexed.clone()
    };
    let ranked = e.rank_capabilities(&indexed, 10);
    assert_eq!(ranked[0].id, "ROBOT");
    assert_same_ranking(
        &ranked,
        &e.rank_capabilities(&unindexed, 10),
        "indexed terms and tokenized texts",
    );

    let mut edited = indexed.clone();
    edited.title = "光伏电站组件清洗".into();
    edited.summary = "山地光伏电站组件无水清洗".into();
    edited.description = "征集光伏板清洗机器人".into();
    edited.tags = vec!["光伏".into()];
    let ranked = e.rank_capabilities(&edited, 10);
    assert_eq!(ranked[0].id, "PV", "the edited texts, not the indexed ones");
    assert_same_ranking(
        &ranked,
        &e.rank_capabilities(
            &ScenarioDoc {
                id: "S-NEW".into(),
                ..edited
            },
            10,
        ),
        "an edit not yet indexed",
    );
}
