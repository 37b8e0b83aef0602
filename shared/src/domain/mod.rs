//! Types that are valid by construction, the masking rules and the
//! permission model. Nothing here talks to AWS.

pub mod allowed_cidrs;
pub mod connectivity;
pub mod email_provider;
pub mod host;
pub mod ids;
pub mod key;
pub mod masking;
pub mod permission;
pub mod provider_credential;
pub mod resolve;
pub mod secret;
pub mod smtp_relay;
pub mod timestamp;
pub mod webhook;

use std::fmt;

/// Input that breaks a rule. The message is shown to the caller as is, so it
/// names fields and rules, never submitted values; `field`, when the rule is
/// about one request field, is its wire name (`name`, `smtp_credentials.port`),
/// which the error body carries beside the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    message: String,
    field: Option<String>,
}

impl Invalid {
    /// A broken rule that is about no one field (or about several).
    pub fn new(message: impl Into<String>) -> Self {
        Invalid { message: message.into(), field: None }
    }

    /// A broken rule of the request field `field`.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Invalid { message: message.into(), field: Some(field.into()) }
    }

    /// The same error, about the request field `field`.
    pub fn at(self, field: impl Into<String>) -> Self {
        Invalid { field: Some(field.into()), ..self }
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn field_name(&self) -> Option<&str> {
        self.field.as_deref()
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Invalid {}

/// Checks text that people will read back (names, device ids): at most
/// `max_chars` characters, no control characters, and none of the invisible
/// or direction-changing ones (Unicode format characters such as U+202E,
/// U+2066, U+200B or U+FEFF, and line or paragraph separators) that can make
/// a name show as something it is not. `field` starts the message.
pub fn check_display_text(field: &str, text: &str, max_chars: usize) -> Result<(), Invalid> {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    if text.chars().count() > max_chars || text.chars().any(char::is_control) {
        return Err(Invalid::field(
            field,
            format!("{field} must be at most {max_chars} characters, without control characters"),
        ));
    }
    let hidden = |c: char| {
        matches!(
            c.general_category(),
            GeneralCategory::Format | GeneralCategory::LineSeparator | GeneralCategory::ParagraphSeparator
        )
    };
    if text.chars().any(hidden) {
        return Err(Invalid::field(
            field,
            format!("{field} must not contain invisible or direction-changing characters"),
        ));
    }
    Ok(())
}

/// Checks text that is kept as given but shown in part (the visible ends of
/// a masked username or access key id, a project id): no C0 or C1 control
/// characters, which a terminal would run as commands. `field` starts the
/// message.
pub fn check_no_control_characters(field: &str, text: &str) -> Result<(), Invalid> {
    match text.chars().any(char::is_control) {
        true => Err(Invalid::field(field, format!("{field} must not contain control characters"))),
        false => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::{check_display_text, check_no_control_characters};

    #[test]
    fn c0_and_c1_control_characters_are_refused() {
        for c in ['\u{1b}', '\u{7}', '\u{0}', '\u{7f}', '\u{9b}', '\u{85}', '\n'] {
            let err = check_no_control_characters("username", &format!("ada{c}[31m")).unwrap_err();
            assert_eq!(err.message(), "username must not contain control characters", "{c:?}");
        }
        assert!(check_no_control_characters("username", "ädä@exämple.com").is_ok());
    }

    #[test]
    fn display_text_refuses_hidden_characters() {
        assert!(check_display_text("name", "Ada's phone 📱 – Zürich", 255).is_ok());
        for c in ['\u{202E}', '\u{2066}', '\u{200B}', '\u{FEFF}', '\u{2028}', '\u{00AD}'] {
            let err = check_display_text("name", &format!("invoice{c}fdp.exe"), 255).unwrap_err();
            assert_eq!(err.message(), "name must not contain invisible or direction-changing characters", "{c:?}");
        }
        assert_eq!(
            check_display_text("name", "a\u{7}b", 255).unwrap_err().message(),
            "name must be at most 255 characters, without control characters"
        );
        assert!(check_display_text("name", &"é".repeat(256), 255).is_err());
    }
}
