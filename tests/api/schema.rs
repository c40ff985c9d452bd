//! `schema/schema.graphql` is what the code exports; regenerate it with
//! `cargo run -- export-schema > schema/schema.graphql`.

#[test]
fn committed_schema_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema/schema.graphql");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let exported = twolists::graphql::sdl();
    if committed != exported {
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(path, &exported).unwrap();
            return;
        }
        panic!(
            "schema/schema.graphql is out of date: run `cargo run -- export-schema > schema/schema.graphql` \
             (or UPDATE_SCHEMA=1 cargo test schema)"
        );
    }
}

#[test]
fn schema_names_the_operations_of_the_contract() {
    let sdl = twolists::graphql::sdl();
    for operation in [
        "me:",
        "regions(",
        "industries(",
        "scenarioCategories:",
        "organization(id:",
        "organizations(",
        "register(input:",
        "login(input:",
        "refreshSession(input:",
        "logout(input:",
        "changePassword(input:",
        "verifyOrganization(input:",
        "updateOrganization(input:",
    ] {
        assert!(sdl.contains(operation), "missing {operation}");
    }
}

/// The README's lifecycle tables are the ones the resolvers use.
#[test]
fn readme_lifecycle_tables_match_the_code() {
    use twolists::machine::markdown;
    use twolists::{capabilities, scenarios};
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let scenario = markdown(scenarios::RULES, |s| s.as_str(), |a| a.as_str());
    let capability = markdown(capabilities::RULES, |s| s.as_str(), |a| a.as_str());
    let matching = markdown(twolists::matches::RULES, |s| s.as_str(), |a| a.as_str());
    let organization = markdown(twolists::orgs::RULES, |s| s.as_str(), |a| a.as_str());
    let event = markdown(
        twolists::activities::EVENT_RULES,
        |s| s.as_str(),
        |a| a.as_str(),
    );
    let registration = markdown(
        twolists::activities::REGISTRATION_RULES,
        |s| s.as_str(),
        |a| a.as_str(),
    );
    for (name, table) in [
        ("scenario", scenario),
        ("capability", capability),
        ("match", matching),
        ("organization", organization),
        ("event", event),
        ("event registration", registration),
    ] {
        assert!(
            readme.contains(&table),
            "README.md lacks the current {name} lifecycle table:\n{table}"
        );
    }
}

// Each contact field says once who sees it, the same for both lists, as the README does.
#[test]
fn contact_fields_say_once_who_sees_them() {
    let sdl = twolists::graphql::sdl();
    let rule =
        "Shown to the owner and admins, and to the other party of a match from CONNECTED on.";
    for item in ["type Scenario {", "type Capability {"] {
        let body = &sdl[sdl.find(item).unwrap()..];
        let body = &body[..body.find("\n}").unwrap()];
        let contact = body.find("\tcontact: Contact").unwrap();
        let closing = body[..contact].rfind("\"\"\"").unwrap();
        let opening = body[..closing].rfind("\"\"\"").unwrap();
        let doc = body[opening + 3..closing].trim();
        assert_eq!(doc, rule, "{item}");
    }
}
