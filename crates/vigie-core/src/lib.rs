//! The ITIL rules of Vigie as plain functions of plain values.
//!
//! This crate does no IO: no database, no network, no clock, no async. Every
//! function that depends on time receives `now` as an argument, so the rules
//! can be tested exactly and replayed. The shells (`vigie-store`,
//! `vigie-server`, the `vigie` binary) move data in and out; this crate decides.

pub mod audit;
pub mod auth;
pub mod calendar;
pub mod change;
pub mod cmdb;
pub mod environment;
pub mod event;
pub mod ids;
pub mod mail;
pub mod notification;
pub mod release;
pub mod role;
pub mod sla;
pub mod tenancy;
pub mod ticket;
pub mod validate;

pub use jiff::Timestamp;
