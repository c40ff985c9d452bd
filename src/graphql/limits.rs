//! Limits on what one GraphQL document may ask, checked once it is parsed and before anything
//! runs, for HTTP and WebSocket alike (SECURITY.md lists them):
//!
//! - no string, in the document or its variables, carries NUL or another control character
//!   (newline, carriage return and tab aside), a bidirectional override or a byte-order mark:
//!   PostgreSQL refuses NUL, and the others disguise text;
//! - no list argument holds more than [`MAX_LIST`] items;
//! - at most [`MAX_ALIASES`] aliased fields;
//! - a sensitive mutation ([`ONCE_PER_REQUEST`]) at most once, so that one request cannot try many
//!   passwords or send many e-mails.
//!
//! Each check is one pass over the document and the variables.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ErrorExtensions, ServerError, ServerResult, Value, Variables};

use crate::error::text_problem;

/// Most items in any list argument.
pub const MAX_LIST: usize = 100;
/// Most aliased fields in one document.
pub const MAX_ALIASES: usize = 30;
/// Mutations a request may name only once.
pub const ONCE_PER_REQUEST: &[&str] = &[
    "login",
    "register",
    "requestPasswordReset",
    "resetPassword",
    "verifyEmail",
    "acceptInvitation",
    "refreshSession",
];

/// The schema extension that applies the limits.
pub struct RequestLimits;

impl ExtensionFactory for RequestLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(RequestLimits)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for RequestLimits {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        check(&document, variables).map_err(refusal)?;
        Ok(document)
    }
}

fn refusal(message: String) -> ServerError {
    let mut error = ServerError::new(message, None);
    error.extensions = async_graphql::Error::new("")
        .extend_with(|_, e| e.set("code", "BAD_REQUEST"))
        .extensions;
    error
}

/// The first limit the document or its variables break, as the message the client reads.
pub fn check(document: &ExecutableDocument, variables: &Variables) -> Result<(), String> {
    for (_, value) in variables.iter() {
        check_value(value)?;
    }
    let mut counts = Counts::default();
    for (_, operation) in document.operations.iter() {
        counts.walk(&operation.node.selection_set.node)?;
    }
    for fragment in document.fragments.values() {
        counts.walk(&fragment.node.selection_set.node)?;
    }
    if counts.aliases > MAX_ALIASES {
        return Err(format!("一个请求最多使用{MAX_ALIASES}个字段别名"));
    }
    if let Some(name) = ONCE_PER_REQUEST
        .iter()
        .zip(&counts.sensitive)
        .find_map(|(name, &n)| (n > 1).then_some(name))
    {
        return Err(format!("{name} 在一个请求中只能调用一次"));
    }
    Ok(())
}

#[derive(Default)]
struct Counts {
    aliases: usize,
    sensitive: [usize; ONCE_PER_REQUEST.len()],
}

impl Counts {
    fn walk(&mut self, set: &SelectionSet) -> Result<(), String> {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    if field.alias.is_some() {
                        self.aliases += 1;
                    }
                    if let Some(i) = ONCE_PER_REQUEST
                        .iter()
                        .position(|name| *name == field.name.node.as_str())
                    {
                        self.sensitive[i] += 1;
                    }
                    for (_, value) in &field.arguments {
                        check_value(
                            &value
                                .node
                                .clone()
                                .into_const_with(|_| Ok::<_, std::convert::Infallible>(Value::Null))
                                .unwrap_or(Value::Null),
                        )?;
                    }
                    self.walk(&field.selection_set.node)?;
                }
                Selection::InlineFragment(fragment) => {
                    self.walk(&fragment.node.selection_set.node)?;
                }
                Selection::FragmentSpread(_) => {}
            }
        }
        Ok(())
    }
}

fn check_value(value: &Value) -> Result<(), String> {
    match value {
        Value::String(text) => check_text(text),
        Value::List(items) => {
            if items.len() > MAX_LIST {
                return Err(format!("列表参数最多{MAX_LIST}项"));
            }
            items.iter().try_for_each(check_value)
        }
        Value::Object(fields) => fields.values().try_for_each(check_value),
        _ => Ok(()),
    }
}

fn check_text(text: &str) -> Result<(), String> {
    match text_problem(text, false) {
        Some(_) => {
            Err("输入中含有不允许的控制字符（如 NUL、方向控制符或 BOM），请删除后重试".to_owned())
        }
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(query: &str, variables: serde_json::Value) -> Result<(), String> {
        let document = async_graphql::parser::parse_query(query).unwrap();
        check(&document, &Variables::from_json(variables))
    }

    #[test]
    fn forbidden_characters_are_refused_wherever_they_are() {
        for bad in ["a\u{0}b", "\u{7}", "x\u{202E}y", "\u{FEFF}标题", "\u{2067}"] {
            assert!(
                checked(
                    "query($t: String) { a(t: $t) }",
                    serde_json::json!({ "t": bad })
                )
                .is_err(),
                "{bad:?} in a variable"
            );
            let inline = format!("{{ a(t: {}) }}", serde_json::to_string(bad).unwrap());
            assert!(
                checked(&inline, serde_json::json!({})).is_err(),
                "{bad:?} inline"
            );
            assert!(
                checked(
                    "query($i: I) { a(i: $i) }",
                    serde_json::json!({ "i": { "deep": [bad] } })
                )
                .is_err(),
                "{bad:?} nested"
            );
        }
        for good in ["第一行\n第二行", "a\tb", "a\r\nb", "晋中 · 榆次"] {
            assert!(
                checked(
                    "query($t: String) { a(t: $t) }",
                    serde_json::json!({ "t": good })
                )
                .is_ok(),
                "{good:?}"
            );
        }
    }

    #[test]
    fn lists_aliases_and_sensitive_mutations_are_bounded() {
        let list: Vec<String> = (0..=MAX_LIST).map(|i| i.to_string()).collect();
        assert!(
            checked(
                "query($l: [String]) { a(l: $l) }",
                serde_json::json!({ "l": list })
            )
            .is_err()
        );
        assert!(
            checked(
                "query($l: [String]) { a(l: $l) }",
                serde_json::json!({ "l": &list[..MAX_LIST] })
            )
            .is_ok()
        );

        let aliases = |n: usize| -> String {
            let fields: Vec<String> = (0..n).map(|i| format!("f{i}: a")).collect();
            format!("{{ {} }}", fields.join(" "))
        };
        assert!(checked(&aliases(MAX_ALIASES), serde_json::json!({})).is_ok());
        assert!(checked(&aliases(MAX_ALIASES + 1), serde_json::json!({})).is_err());

        let twice = "mutation { a: login(input: {}) { errors { code } } \
                     b: login(input: {}) { errors { code } } }";
        assert_eq!(
            checked(twice, serde_json::json!({})).unwrap_err(),
            "login 在一个请求中只能调用一次"
        );
        let in_fragment = "mutation { login(input: {}) { x } ...F } \
                           fragment F on MutationRoot { login(input: {}) { x } }";
        assert!(checked(in_fragment, serde_json::json!({})).is_err());
        assert!(checked("mutation { login(input: {}) { x } }", serde_json::json!({})).is_ok());
    }
}
