//! 晋中市场景创新“两张清单”平台: the opportunity list (机会清单) of scenarios published by
//! government units, the capability list (能力清单) of what enterprises and research institutes
//! can deliver, and the matching between them. See `README.md`.

pub mod activities;
pub mod alerts;
pub mod app;
pub mod audit;
pub mod auth;
pub mod background;
pub mod capabilities;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod error;
pub mod events;
pub mod exports;
pub mod graphql;
pub mod import;
pub mod items;
pub mod jobs;
pub mod lists;
pub mod loaders;
pub mod machine;
pub mod mail;
pub mod matches;
pub mod matching;
pub mod memory;
pub mod notifications;
pub mod orgs;
pub mod pagination;
pub mod proposals;
pub mod scenarios;
pub mod search;
pub mod server;
pub mod stats;
pub mod synthetic;
pub mod taxonomy;
pub mod telemetry;
pub mod thesaurus;
pub mod viewer;
pub mod web;

pub use app::AppState;
pub use config::Config;
