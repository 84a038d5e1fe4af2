//! The mail channel's shell: parsing raw mail ([`parse`]), the rules as
//! JSON ([`rules_wire`]), a mailbox's settings checked ([`settings`]), one
//! mail from bytes to what it became ([`intake`], shared by the IMAP poller
//! and `vigie ingest mail`), the rule tester ([`tester`], shared by the API
//! and the web page), and the mails Vigie sends ([`notify`]), written from
//! the notifications of ticket changes by [`notifier`] and sent by
//! [`send`].
//!
//! The rules (automatic mail, threading, sender policy, mailbox rules)
//! are the core's, `vigie_core::mail`; this module reads bytes and moves
//! data.

pub mod imap;
pub mod intake;
pub mod notifier;
pub mod notify;
pub mod parse;
pub mod poll;
pub mod rules_wire;
pub mod send;
pub mod settings;
pub mod tester;
pub mod testing;
