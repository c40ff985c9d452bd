//! State machines as data: each aggregate has one table of (from, action, who) → to. The resolvers
//! look transitions up here, the tests walk the same table, and `docs` can print it.

/// Who may take a transition.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum By {
    /// A member of the owning organization, or an admin acting on its behalf (of a scenario,
    /// also a county manager of its region).
    Owner,
    /// An administrator of the platform.
    Admin,
    /// The service itself (deadlines, cascades), never a request.
    System,
    /// Of a match: the organization that started it.
    Initiator,
    /// Of a match: the party that did not start it.
    Counterparty,
    /// Of a match: the unit that owns its scenario.
    ScenarioOwner,
    /// Of a scenario: a county manager of its region (or an admin for the county).
    County,
    /// Of a scenario: whoever reviews it now: a county manager of its region where it has one
    /// (or an admin for the county), an admin elsewhere.
    Reviewer,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Rule<S, A> {
    pub from: S,
    pub action: A,
    pub by: By,
    pub to: S,
}

/// The rule for taking `action` from `from`, if there is one.
pub fn lookup<S: PartialEq + Copy, A: PartialEq + Copy>(
    rules: &[Rule<S, A>],
    from: S,
    action: A,
) -> Option<Rule<S, A>> {
    rules
        .iter()
        .find(|r| r.from == from && r.action == action)
        .copied()
}

impl By {
    pub fn label(self) -> &'static str {
        match self {
            By::Owner => "owner (or an admin on its behalf)",
            By::Admin => "admin",
            By::System => "the service",
            By::Initiator => "initiator",
            By::Counterparty => "the other party",
            By::ScenarioOwner => "scenario owner (or an admin on its behalf)",
            By::County => "county manager of its region (or an admin)",
            By::Reviewer => "the county manager where its region has one, else an admin",
        }
    }
}

/// The table as Markdown, for the README (a test keeps the two equal).
pub fn markdown<S: Copy, A: Copy>(
    rules: &[Rule<S, A>],
    status: impl Fn(S) -> &'static str,
    action: impl Fn(A) -> &'static str,
) -> String {
    let mut out = String::from("| from | action | by | to |\n|---|---|---|---|\n");
    for rule in rules {
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            status(rule.from),
            action(rule.action),
            rule.by.label(),
            status(rule.to)
        ));
    }
    out
}
