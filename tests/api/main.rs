//! Integration tests: the real router, GraphQL documents as a client sends them, on SQLite and on
//! PostgreSQL.

mod util;

mod accounts;
mod authorization;
mod capabilities;
mod cli;
mod counties;
mod demo;
mod editions;
mod exports;
mod fixtures;
mod hardening;
mod harness;
mod http;
mod import;
mod lifecycles;
mod live;
mod matches;
mod matching;
mod members;
mod notifications;
mod operations;
mod organizations;
mod pages;
mod portal;
mod proposals;
mod reads;
mod reference_data;
mod scenarios;
mod schema;
mod services;
mod stats;
mod synthetic;
mod thesaurus;
mod verification;
