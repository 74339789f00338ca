//! Annotations: messages packed into `google.protobuf.Any` (`type.googleapis.com/<full name>`),
//! with baton-sdk's `Pick`, `Contains` and `Update`.

use prost::{DecodeError, Message};
use prost_types::Any;

/// A message that can travel as an annotation `Any`: every generated message.
pub trait Annotation: Message + Default + Sized {
    /// `type.googleapis.com/<package>.<Name>`.
    fn type_url() -> String;

    /// Whether `url` names this message. Only the full name after the last `/` counts, as anypb
    /// matches, so other URL prefixes still match.
    fn is_type_url(url: &str) -> bool;

    /// Packs this message into an `Any`.
    fn to_any(&self) -> Any {
        Any {
            type_url: Self::type_url(),
            value: self.encode_to_vec(),
        }
    }

    /// Unpacks an `Any` of this type; `None` when the type URL differs.
    fn from_any(any: &Any) -> Option<Result<Self, DecodeError>> {
        Self::is_type_url(&any.type_url).then(|| Self::decode(any.value.as_slice()))
    }
}

impl<T: prost::Name + Default> Annotation for T {
    fn type_url() -> String {
        <T as prost::Name>::type_url()
    }

    fn is_type_url(url: &str) -> bool {
        let full = url.rsplit('/').next().unwrap_or(url);
        // The full name, not PACKAGE + NAME: NAME is the innermost name of a nested message.
        full == T::full_name()
    }
}

/// The first annotation of type `T` (decode errors are treated as absent: annotations are advisory).
pub fn pick<T: Annotation>(annotations: &[Any]) -> Option<T> {
    annotations
        .iter()
        .find_map(|a| T::from_any(a))
        .and_then(Result::ok)
}

/// Whether an annotation of type `T` is present.
pub fn contains<T: Annotation>(annotations: &[Any]) -> bool {
    annotations.iter().any(|a| T::is_type_url(&a.type_url))
}

/// Replaces the annotation of `T`'s type, or appends it (baton-sdk's `Update`).
pub fn update<T: Annotation>(annotations: &mut Vec<Any>, value: &T) {
    let any = value.to_any();
    match annotations.iter_mut().find(|a| T::is_type_url(&a.type_url)) {
        Some(slot) => *slot = any,
        None => annotations.push(any),
    }
}

/// Removes every annotation of type `T`, returning the first one (decoded).
pub fn take<T: Annotation>(annotations: &mut Vec<Any>) -> Option<Result<T, DecodeError>> {
    let mut first = None;
    annotations.retain(|a| {
        if T::is_type_url(&a.type_url) {
            if first.is_none() {
                first = Some(T::decode(a.value.as_slice()));
            }
            false
        } else {
            true
        }
    });
    first
}
