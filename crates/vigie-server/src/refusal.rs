//! A value refused by the checks the API and the web forms share (the
//! SLA calendars and targets, the change settings): the field at fault and
//! the sentence naming it. The API answers it as a 422 naming the field,
//! the web shows the sentence above the form.

use vigie_core::validate::InvalidValue;

/// A refused value: the field at fault and the sentence naming it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Refusal {
    /// The field, e.g. `weekly_hours.monday` or `escalations[1].action`.
    pub field: String,
    /// The whole sentence, starting with the field.
    pub message: String,
}

impl Refusal {
    /// A refusal of `field` saying `message` (which names the field).
    pub fn new(field: &str, message: impl Into<String>) -> Refusal {
        Refusal {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

impl From<InvalidValue> for Refusal {
    fn from(e: InvalidValue) -> Self {
        Refusal::new(e.field(), e.to_string())
    }
}
