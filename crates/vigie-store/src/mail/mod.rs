//! The mail channel's records: mailboxes ([`mailboxes`]), the mails
//! received and what each became ([`received`], written in one transaction
//! with the ticket, reply or event it made: [`write`]), and the outbox of
//! notifications ([`outbox`], claimed under a lease). Mails arriving
//! together are stored by batches ([`batch`]), one transaction each.

mod batch;
mod mailboxes;
mod outbox;
mod received;
mod write;

pub use batch::{MailBatch, MailSender};
pub use mailboxes::{MailboxInput, MailboxRecord};
pub(crate) use outbox::enqueue_in;
pub use outbox::{OutboxRecord, OutgoingMail};
pub use received::{ReceivedMail, ReceivedMailRecord};
pub use write::{
    MailAuthor, MailStored, MailWrite, NewContact, Notify, PlannedMail, ReplyTo, SenderUser,
};
