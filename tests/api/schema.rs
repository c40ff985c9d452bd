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
