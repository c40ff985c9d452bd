//! The edition's own vocabulary: which list it publishes and whether it is frozen, and which
//! queue an admin reviews.

use async_graphql::Enum;

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum EditionKind {
    /// 场景机会清单
    Opportunity,
    /// 能力清单
    Capability,
}

impl EditionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EditionKind::Opportunity => "OPPORTUNITY",
            EditionKind::Capability => "CAPABILITY",
        }
    }

    pub fn parse(s: &str) -> Self {
        if s == "CAPABILITY" {
            EditionKind::Capability
        } else {
            EditionKind::Opportunity
        }
    }
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum EditionStatus {
    Draft,
    /// Frozen: membership and order never change.
    Published,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ReviewKind {
    Scenario,
    Capability,
}

/// Which level of the scenarios' review (README, "Two-level review").
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ReviewLevel {
    /// 县级初审: PENDING_REVIEW in a region with a county manager.
    County,
    /// 市级终审: PENDING_CITY_REVIEW, and PENDING_REVIEW in a region without a county manager.
    City,
}
