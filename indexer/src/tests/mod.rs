//! Tests against both backends: every scenario runs on a fresh SQLite file and on a fresh
//! PostgreSQL schema (127.0.0.1:5432, database `test`, dropped afterwards).

mod api;
mod challenges;
mod fixtures;
mod ingest;
mod openapi;
mod quilts;
