//! The mail channel's shell: parsing raw mail ([`parse`]).
//!
//! The rules (automatic mail, threading, sender policy, mailbox rules)
//! are the core's, `vigie_core::mail`; this module reads bytes and moves
//! data.

pub mod parse;
