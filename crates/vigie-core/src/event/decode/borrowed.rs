//! The quick way through a body: serde reads it straight into the few
//! values a decoder needs, borrowing strings from the body where they hold
//! no escapes, without building a `serde_json::Value` tree first.
//!
//! It only ever answers "these events" or "I cannot tell": a decoder tries
//! it first and, on any doubt (a refusal, a duplicate member, a type it did
//! not expect), walks the body again the slow way (`json.rs`), which names
//! the offending field. So the quick way must accept exactly the bodies the
//! slow way accepts, and give the same events: everything it does not read
//! is still parsed as `serde_json::Value` would parse it ([`Skip`]), and the
//! checks are the slow way's own functions. A property test compares the
//! two ways on random bodies.

use super::json;
use crate::event::limits;
use jiff::Timestamp;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

/// A JSON string, borrowed from the body when it holds no escapes.
#[derive(Debug)]
pub(crate) struct Text<'a>(pub(crate) Cow<'a, str>);

impl Text<'_> {
    /// The text.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text<'a>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// Any JSON value, parsed as `serde_json::Value` parses it (numbers out of
/// range, bad escapes and bad UTF-8 are refused alike) but not kept.
#[derive(Debug)]
pub(crate) struct Skip;

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Skip, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Skip;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_none<E: serde::de::Error>(self) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Skip, D::Error> {
                Skip::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
                while seq.next_element::<Skip>()?.is_some() {}
                Ok(Skip)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
                while map.next_entry::<Skip, Skip>()?.is_some() {}
                Ok(Skip)
            }
        }
        d.deserialize_any(V)
    }
}

/// A JSON object, whatever its members (parsed, not kept).
#[derive(Debug)]
pub(crate) struct AnyObject;

impl<'de> Deserialize<'de> for AnyObject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<AnyObject, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AnyObject;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AnyObject, A::Error> {
                while map.next_entry::<Skip, Skip>()?.is_some() {}
                Ok(AnyObject)
            }
        }
        d.deserialize_map(V)
    }
}

/// A JSON object of strings, in key order, a repeated key keeping its last
/// value (as `serde_json::Map` does).
#[derive(Debug)]
pub(crate) struct Strings<'a>(pub(crate) BTreeMap<Cow<'a, str>, Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for Strings<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Strings<'a>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Strings<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of strings")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Strings<'de>, A::Error> {
                let mut out = BTreeMap::new();
                while let Some((k, v)) = map.next_entry::<Text<'de>, Text<'de>>()? {
                    out.insert(k.0, v.0);
                }
                Ok(Strings(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// Labels as the slow way checks them (at most [`limits::MAX_LABELS`],
/// names trimmed and within their limits, values within theirs); empty
/// when missing, `None` when the slow way would refuse them.
pub(crate) fn labels(map: Option<&Strings<'_>>) -> Option<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let Some(map) = map else {
        return Some(out);
    };
    if map.0.len() > limits::MAX_LABELS {
        return None;
    }
    for (name, value) in &map.0 {
        out.insert(
            json::label_name(name, "").ok()?,
            json::label_value(value, "").ok()?,
        );
    }
    Some(out)
}

/// A time member as the slow way reads it: `Some(None)` when missing or
/// blank, `None` when it is not an RFC 3339 time.
pub(crate) fn time(text: Option<&Text<'_>>) -> Option<Option<Timestamp>> {
    match text {
        None => Some(None),
        Some(t) if t.as_str().trim().is_empty() => Some(None),
        Some(t) => json::rfc3339(t.as_str(), "").ok().map(Some),
    }
}

/// A name member as the slow way reads it: `Some(None)` when missing or
/// blank, `None` when refused.
pub(crate) fn name(text: Option<&Text<'_>>) -> Option<Option<String>> {
    match text {
        None => Some(None),
        Some(t) => json::name(t.as_str(), "").ok(),
    }
}

/// Reads a JSON object into a struct of `Option` members (`$ty<'a>`, with
/// `Default`): each listed member into its field, `None` when missing or
/// `null`, a repeated one keeping its last value; the `drop` members parsed
/// as the given type and dropped; any other parsed as a value would be
/// ([`Skip`]) and dropped. Writes `$read`, which reads the members from a
/// map (for visitors that also take arrays), and the `Deserialize` impl.
macro_rules! object_of_members {
    ($ty:ident, $what:literal, $read:ident {
        $($name:literal => $field:ident),* $(,)?
    } $(drop { $($dropped:literal : $dty:ty),* $(,)? })?) => {
        /// Reads the object's members from `map`.
        fn $read<'de, A: serde::de::MapAccess<'de>>(mut map: A) -> Result<$ty<'de>, A::Error> {
            let mut out = $ty::default();
            while let Some(key) = map.next_key::<super::borrowed::Text<'de>>()? {
                match key.as_str() {
                    $($name => out.$field = map.next_value()?,)*
                    $($($dropped => {
                        map.next_value::<$dty>()?;
                    })*)?
                    _ => {
                        map.next_value::<super::borrowed::Skip>()?;
                    }
                }
            }
            Ok(out)
        }

        impl<'de: 'a, 'a> serde::Deserialize<'de> for $ty<'a> {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$ty<'a>, D::Error> {
                struct V;
                impl<'de> serde::de::Visitor<'de> for V {
                    type Value = $ty<'de>;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str($what)
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        map: A,
                    ) -> Result<$ty<'de>, A::Error> {
                        $read(map)
                    }
                }
                d.deserialize_map(V)
            }
        }
    };
}
pub(crate) use object_of_members;
