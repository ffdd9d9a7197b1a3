//! Words in messages, as a social worker would write them.

/// `noun` with "a" or "an" before it, by how it sounds: "an adoption panel", "a fostering
/// panel". Vowel-initial words take "an"; the exceptions our messages use (none sound
/// otherwise today) would be listed here.
pub fn with_article(noun: &str) -> String {
    let starts_with_vowel = noun
        .chars()
        .next()
        .is_some_and(|c| matches!(c.to_ascii_lowercase(), 'a' | 'e' | 'i' | 'o' | 'u'));
    if starts_with_vowel {
        format!("an {noun}")
    } else {
        format!("a {noun}")
    }
}

/// `text` with its first letter a capital: the start of a sentence.
pub fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::with_article;

    #[test]
    fn an_before_a_vowel_a_before_the_rest() {
        assert_eq!(with_article("adoption panel"), "an adoption panel");
        assert_eq!(with_article("Adoption match"), "an Adoption match");
        assert_eq!(with_article("fostering panel"), "a fostering panel");
        assert_eq!(
            with_article("long-term foster match"),
            "a long-term foster match"
        );
        assert_eq!(with_article(""), "a ");
    }
}
