//! HTTP-level tests of the whole application, one binary for fast linking.

mod attachments;
mod auth;
mod bad_input;
mod browser;
mod browser_cmdb;
mod browser_support;
mod browser_tickets;
mod cmdb;
mod events_console;
mod events_support;
mod isolation;
mod jobs;
mod openapi;
mod sla;
mod support;
mod surveys;
mod ticket_batches;
mod tickets;
mod web_attachments;
mod web_cmdb;
mod web_desk;
mod web_events;
mod web_pages;
mod web_queues;
mod web_tickets;
