//! The rooms of `src/` and the order of their imports (ARCHITECTURE.md): a room may import only
//! rooms below it, never one above or beside it, so that no circle can form. This test reads
//! every `crate::…` path in `src/` (in `use` lines, grouped imports and inline paths) and fails,
//! naming the file and the import, on any that points up or sideways, on a room the order does
//! not know, on a circle between rooms, and on a domain file that imports a GraphQL module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The rooms, top to bottom. A room is a folder of `src/` or a file directly in it.
const ORDER: &[&[&str]] = &[
    // Entry.
    &["main"],
    // Assembly: start-up, the router, the HTTP server, the schema, the demo data.
    &["app", "server"],
    // The scheduled jobs run the slices' services.
    &["background"],
    // The synthetic city for load benchmarks draws its texts from the demo content.
    &["synthetic"],
    &["graphql", "demo"],
    // Doors that are rooms of their own (the GraphQL door is the `graphql.rs` of each slice).
    &["web", "import"],
    // The import writes its template with the exports' sheet writer.
    &["exports"],
    // The slices, highest first: the statistics read every list.
    &["stats"],
    // Events gather scenarios and capabilities (and, after them, matches).
    &["activities"],
    // Proposals become scenarios and, once published, matches.
    &["proposals"],
    &["matches"],
    &["lists", "alerts"],
    &["scenarios", "capabilities", "thesaurus"],
    // What the two lists share.
    &["items"],
    &["auth"],
    &["orgs"],
    // What every slice uses to tell of changes.
    &["notifications"],
    &["events", "mail", "audit"],
    // The live index and the reference data.
    &["search", "taxonomy"],
    // The kernel.
    &[
        "loaders",
        "pagination",
        "viewer",
        "machine",
        "config",
        "telemetry",
        "jobs",
    ],
    &["error"],
    &["db", "matching", "memory", "clock"],
];

/// Files that adapt the domain to GraphQL; only they (and the assembly) may import a GraphQL
/// module.
const ADAPTER_FILES: &[&str] = &["graphql.rs", "mutations.rs"];

/// The highest slice: the rooms above it are the entry, the assembly and the doors.
const FIRST_SLICE: &str = "stats";

/// The crate's own name, as the binary's files spell the library.
const CRATE: &str = "twolists";

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Import {
    file: String,
    /// The path as written, from its first segment after `crate::`.
    path: String,
    room: String,
}

/// The room of a file: `src/scenarios/store.rs` → `scenarios`, `src/events.rs` → `events`.
fn room_of(file: &str) -> String {
    let rest = file.strip_prefix("src/").unwrap_or(file);
    let first = rest.split('/').next().unwrap_or(rest);
    first.trim_end_matches(".rs").to_owned()
}

/// The code of a file: comments dropped, and string and character literals emptied (raw
/// strings too), so that neither a comment nor a text that mentions `crate::…` counts as an
/// import.
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let after_ident = i > 0 && is_ident(chars[i - 1]);
        match c {
            '/' if next == Some('/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            '/' if next == Some('*') => {
                i += 2;
                while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                    i += 1;
                }
                i += 2;
                continue;
            }
            'r' if !after_ident && matches!(next, Some('"' | '#')) => {
                let hashes = chars[i + 1..].iter().take_while(|&&c| c == '#').count();
                if chars.get(i + 1 + hashes) == Some(&'"') {
                    // A raw string: up to a quote followed by as many hashes.
                    let mut j = i + 2 + hashes;
                    while j < chars.len()
                        && !(chars[j] == '"'
                            && chars[j + 1..].iter().take_while(|&&c| c == '#').count() >= hashes)
                    {
                        j += 1;
                    }
                    out.push_str("\"\"");
                    i = j + 1 + hashes;
                    continue;
                }
                out.push(c);
            }
            '"' => {
                let mut j = i + 1;
                while j < chars.len() && chars[j] != '"' {
                    j += if chars[j] == '\\' { 2 } else { 1 };
                }
                out.push_str("\"\"");
                i = j + 1;
                continue;
            }
            '\'' => {
                // A character literal ('x', '\n', '\u{…}', '"'); anything else is a lifetime.
                let end = if next == Some('\\') {
                    chars[i + 2..]
                        .iter()
                        .position(|&c| c == '\'')
                        .map(|p| i + 2 + p)
                } else {
                    (chars.get(i + 2) == Some(&'\'')).then_some(i + 2)
                };
                if let Some(end) = end {
                    out.push_str("' '");
                    i = end + 1;
                    continue;
                }
                out.push(c);
            }
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Every path after `prefix::` in `code`, with grouped imports (`prefix::{a, b::c}`) split into
/// their members.
fn paths_after(code: &str, prefix: &str) -> Vec<String> {
    let needle = format!("{prefix}::");
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = code[from..].find(&needle) {
        let start = from + at;
        from = start + needle.len();
        // `crate::` must start a path, not end another identifier (`my_crate::`).
        if code[..start].chars().next_back().is_some_and(is_ident) {
            continue;
        }
        let rest = &code[from..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0usize;
            let mut member = String::new();
            for c in group.chars() {
                match c {
                    '{' => {
                        depth += 1;
                        member.push(c);
                    }
                    '}' if depth == 0 => break,
                    '}' => {
                        depth -= 1;
                        member.push(c);
                    }
                    ',' if depth == 0 => {
                        out.push(std::mem::take(&mut member));
                    }
                    _ => member.push(c),
                }
            }
            out.push(member);
        } else {
            let mut path: String = rest
                .chars()
                .take_while(|c| is_ident(*c) || *c == ':')
                .collect();
            // A nested group (`crate::auth::{User, UserLoader}`) belongs to the path.
            if let Some(group) = rest[path.len()..].strip_prefix('{') {
                let mut depth = 1usize;
                path.push('{');
                for c in group.chars() {
                    path.push(c);
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        _ => {}
                    }
                    if depth == 0 {
                        break;
                    }
                }
            }
            out.push(path);
        }
    }
    out.into_iter()
        .map(|p| p.split_whitespace().collect::<String>())
        .filter(|p| !p.is_empty())
        .collect()
}

/// The imports of one file's text, each with the room it names.
fn imports_of(file: &str, text: &str) -> Vec<Import> {
    let code = code_only(text);
    let mut prefixes = vec!["crate"];
    if room_of(file) == "main" {
        prefixes.push(CRATE);
    }
    let mut out = Vec::new();
    for prefix in prefixes {
        for path in paths_after(&code, prefix) {
            let room: String = path.chars().take_while(|c| is_ident(*c)).collect();
            if room.is_empty()
                || room == "self"
                || room.chars().next().is_some_and(char::is_uppercase)
            {
                // `crate::{self, …}` and re-exports at the root (`twolists::AppState`) name no room.
                continue;
            }
            out.push(Import {
                file: file.to_owned(),
                path,
                room,
            });
        }
    }
    out
}

/// The names each room re-exports from its GraphQL modules (`pub use graphql::{…}` in its
/// `mod.rs`), so that `crate::auth::User` counts as the GraphQL import it is.
fn graphql_names(files: &[(String, String)]) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, text) in files.iter().filter(|(f, _)| f.ends_with("/mod.rs")) {
        for prefix in ADAPTER_FILES.iter().map(|f| f.trim_end_matches(".rs")) {
            for path in paths_after(&code_only(text), &format!("pub use {prefix}")) {
                out.entry(room_of(file))
                    .or_default()
                    .extend(identifiers(&path).into_iter().map(str::to_owned));
            }
        }
    }
    out
}

fn identifiers(path: &str) -> Vec<&str> {
    path.split(|c: char| !is_ident(c))
        .filter(|s| !s.is_empty())
        .collect()
}

fn level(order: &[&[&str]], room: &str) -> Option<usize> {
    order.iter().position(|rooms| rooms.contains(&room))
}

/// Everything wrong with `files` (path and text) under `order`, one line each.
fn violations(order: &[&[&str]], files: &[(String, String)]) -> Vec<String> {
    let mut problems = BTreeSet::new();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let graphql = graphql_names(files);
    for (file, text) in files {
        let from = room_of(file);
        let Some(from_level) = level(order, &from) else {
            problems.insert(format!("{file}: the room `{from}` is not in the order"));
            continue;
        };
        // The entry, the assembly and the doors sit above the first slice: all of them adapt.
        let first_slice = level(order, FIRST_SLICE).unwrap_or(0);
        let is_adapter =
            ADAPTER_FILES.iter().any(|name| file.ends_with(name)) || from_level < first_slice;
        for import in imports_of(file, text) {
            let to = &import.room;
            let names_graphql = |segment: &str| {
                segment == "graphql" || graphql.get(to).is_some_and(|names| names.contains(segment))
            };
            if !is_adapter
                && identifiers(&import.path)
                    .into_iter()
                    .skip(1)
                    .any(names_graphql)
            {
                problems.insert(format!(
                    "{file}: imports `crate::{}`, which is GraphQL, into a domain file",
                    import.path
                ));
            }
            if *to == from {
                continue;
            }
            edges.entry(from.clone()).or_default().insert(to.clone());
            match level(order, to) {
                None => {
                    problems.insert(format!(
                        "{file}: imports `crate::{}` from the room `{to}`, which is not in the order",
                        import.path
                    ));
                }
                Some(to_level) if to_level == from_level => {
                    problems.insert(format!(
                        "{file}: imports `crate::{}` sideways (`{from}` and `{to}` are on one level)",
                        import.path
                    ));
                }
                Some(to_level) if to_level < from_level => {
                    problems.insert(format!(
                        "{file}: imports `crate::{}` up (`{to}` is above `{from}`)",
                        import.path
                    ));
                }
                Some(_) => {}
            }
        }
    }
    if let Some(circle) = find_circle(&edges) {
        problems.insert(format!("a circle between rooms: {}", circle.join(" → ")));
    }
    problems.into_iter().collect()
}

/// A circle in the room graph, if there is one, as the rooms along it (first = last).
fn find_circle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        room: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|r| r == room) {
            let mut circle = path[at..].to_vec();
            circle.push(room.to_owned());
            return Some(circle);
        }
        if done.contains(room) {
            return None;
        }
        path.push(room.to_owned());
        for next in edges.get(room).into_iter().flatten() {
            if let Some(circle) = visit(next, edges, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        done.insert(room.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|room| visit(room, edges, &mut Vec::new(), &mut done))
}

fn source_files(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            source_files(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let name = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.push((name, std::fs::read_to_string(&path).unwrap()));
        }
    }
}

#[test]
fn imports_point_only_down_the_order_of_rooms() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    source_files(&root.join("src"), root, &mut files);
    // lib.rs declares the rooms; it imports none.
    files.retain(|(file, _)| file != "src/lib.rs");
    assert!(files.len() > 50, "read only {} files", files.len());
    let imports: usize = files.iter().map(|(f, t)| imports_of(f, t).len()).sum();
    assert!(imports > 200, "found only {imports} imports");
    let problems = violations(ORDER, &files);
    assert!(
        problems.is_empty(),
        "imports against the order of rooms (tests/layers.rs, ARCHITECTURE.md):\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_room_of_src_is_in_the_order_once() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for entry in std::fs::read_dir(&root).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let room = name.trim_end_matches(".rs");
        if room == "lib" {
            continue;
        }
        let count = ORDER.iter().filter(|rooms| rooms.contains(&room)).count();
        assert_eq!(
            count, 1,
            "src/{name}: the room `{room}` is in the order {count} times"
        );
    }
}

fn file(path: &str, text: &str) -> (String, String) {
    (path.to_owned(), text.to_owned())
}

#[test]
fn the_checker_refuses_imports_up_and_sideways_and_names_them() {
    let files = [
        // Up: the event log reaching into a slice, in a grouped import.
        file(
            "src/events.rs",
            "use crate::{db::Tx, scenarios::ScenarioRow};\n",
        ),
        // Sideways: the two lists import each other only through what is below them.
        file(
            "src/scenarios/service.rs",
            "fn f() { let _ = crate::capabilities::store::find; }\n",
        ),
        // Down: fine.
        file(
            "src/matches/service.rs",
            "use crate::scenarios::ScenarioRow;\n",
        ),
    ];
    let problems = violations(ORDER, &files);
    assert_eq!(
        problems,
        vec![
            "src/events.rs: imports `crate::scenarios::ScenarioRow` up (`scenarios` is above `events`)"
                .to_owned(),
            "src/scenarios/service.rs: imports `crate::capabilities::store::find` sideways \
             (`scenarios` and `capabilities` are on one level)"
                .to_owned(),
        ]
    );
}

#[test]
fn the_checker_ignores_comments_and_strings_but_not_nested_groups() {
    let files = [
        file(
            "src/orgs/mod.rs",
            "//! See [`crate::matches`].\n/* crate::lists */\nconst S: &str = \"crate::lists\";\n\
             const R: &str = r#\"a \"quoted\" crate::lists\"#;\n",
        ),
        // A quote in a character literal opens no string: the import after it still counts.
        file(
            "src/items/rules.rs",
            "fn f<'a>(c: char) -> bool { c == '\"' || c == '\\'' }\nuse crate::lists::Edition;\n",
        ),
        file(
            "src/auth/service.rs",
            "use crate::{\n    db::{self, Db},\n    matches::{service, store::MatchRow},\n};\n",
        ),
    ];
    let problems = violations(ORDER, &files);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].starts_with(
        "src/auth/service.rs: imports `crate::matches::{service,store::MatchRow}` up"
    ));
    assert!(problems[1].starts_with("src/items/rules.rs: imports `crate::lists::Edition` up"));
}

#[test]
fn the_checker_refuses_unknown_rooms_and_graphql_in_domain_files() {
    let files = [
        file("src/reports/mod.rs", "use crate::db::Db;\n"),
        file(
            "src/orgs/service.rs",
            "use crate::taxonomy::graphql::Region;\n",
        ),
        file(
            "src/orgs/graphql.rs",
            "use crate::taxonomy::graphql::Region;\n",
        ),
    ];
    let problems = violations(ORDER, &files);
    assert_eq!(
        problems,
        vec![
            "src/orgs/service.rs: imports `crate::taxonomy::graphql::Region`, which is GraphQL, \
             into a domain file"
                .to_owned(),
            "src/reports/mod.rs: the room `reports` is not in the order".to_owned(),
        ]
    );
}

#[test]
fn the_checker_sees_graphql_types_through_re_exports() {
    let files = [
        file(
            "src/auth/mod.rs",
            "pub mod graphql;\npub use graphql::{AuthQuery, User};\n",
        ),
        file(
            "src/items/timeline.rs",
            "use crate::auth::{User, UserLoader};\n",
        ),
        file("src/items/rules.rs", "use crate::auth::UserLoader;\n"),
    ];
    let problems = violations(ORDER, &files);
    assert_eq!(
        problems,
        vec![
            "src/items/timeline.rs: imports `crate::auth::{User,UserLoader}`, which is GraphQL, \
             into a domain file"
                .to_owned()
        ]
    );
}

#[test]
fn the_checker_finds_circles() {
    // With one level for everything, every import is sideways; the circle is reported too.
    let flat: &[&[&str]] = &[&["a", "b", "c"]];
    let files = [
        file("src/a.rs", "use crate::b::X;\n"),
        file("src/b/mod.rs", "use crate::c::Y;\n"),
        file("src/c.rs", "fn f() { crate::a::z(); }\n"),
    ];
    let problems = violations(flat, &files);
    assert!(
        problems.contains(&"a circle between rooms: a → b → c → a".to_owned()),
        "{problems:?}"
    );
    let mut edges = BTreeMap::new();
    edges.insert("a".to_owned(), BTreeSet::from(["b".to_owned()]));
    edges.insert("b".to_owned(), BTreeSet::from(["c".to_owned()]));
    assert_eq!(find_circle(&edges), None);
}
