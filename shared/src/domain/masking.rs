//! Display forms of secrets, computed once at write time. Every form has a
//! fixed shape so that it never reveals how long the secret is.

/// What a hidden secret shows as.
pub const HIDDEN: &str = "***";

/// Identifiers shorter than this are hidden whole: showing four characters at
/// each end would give most of them away.
const MIN_CHARS_TO_SHOW_ENDS: usize = 12;

/// `AKIAIOSFODNN7EXAMPLE` → `AKIA...MPLE`. Works on characters, not bytes, so
/// any UTF-8 input is safe.
pub fn mask_identifier(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() < MIN_CHARS_TO_SHOW_ENDS {
        return HIDDEN.to_string();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}...{tail}")
}

/// `user@example.com` → `u***@example.com`; a long non-address identifier is
/// shown as [`mask_identifier`] does; anything else keeps its first character.
pub fn mask_username(value: &str) -> String {
    if let Some((local, domain)) = value.rsplit_once('@') {
        if let Some(first) = local.chars().next() {
            if !domain.is_empty() {
                return format!("{first}{HIDDEN}@{domain}");
            }
        }
    }
    if value.chars().count() >= MIN_CHARS_TO_SHOW_ENDS {
        return mask_identifier(value);
    }
    match value.chars().next() {
        Some(first) if value.chars().count() >= 4 => format!("{first}{HIDDEN}"),
        _ => HIDDEN.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_key_ids_show_both_ends() {
        assert_eq!(mask_identifier("AKIAIOSFODNN7EXAMPLE"), "AKIA...MPLE");
    }

    #[test]
    fn short_values_are_hidden_whole() {
        assert_eq!(mask_identifier("short"), HIDDEN);
        assert_eq!(mask_identifier(""), HIDDEN);
        assert_eq!(mask_username("bob"), HIDDEN);
        assert_eq!(mask_username(""), HIDDEN);
    }

    #[test]
    fn masks_are_char_safe() {
        assert_eq!(mask_identifier("ééééé🔑🔑🔑🔑🔑ßßßß"), "éééé...ßßßß");
        assert_eq!(mask_username("🔑user@exämple.com"), "🔑***@exämple.com");
    }

    #[test]
    fn usernames() {
        assert_eq!(mask_username("user@example.com"), "u***@example.com");
        assert_eq!(mask_username("AKIAIOSFODNN7EXAMPLE"), "AKIA...MPLE");
        assert_eq!(mask_username("mailer"), "m***");
        assert_eq!(mask_username("@example.com"), "@exa....com");
    }

    #[test]
    fn length_is_not_revealed() {
        assert_eq!(mask_identifier(&"a".repeat(12)).len(), mask_identifier(&"a".repeat(500)).len());
        assert_eq!(mask_username("abcd"), mask_username("abcdefghijk"));
    }
}
