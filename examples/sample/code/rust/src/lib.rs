// SPDX-License-Identifier: Apache-2.0
//! A Unicode-aware word tokenizer and frequency counter.

use std::collections::HashMap;

/// Splits `text` into lower-cased words: runs of alphanumeric characters,
/// keeping apostrophes that sit between two letters ("don't").
pub fn words(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let inner_apostrophe = (c == '\'' || c == '’')
            && !current.is_empty()
            && chars.get(i + 1).is_some_and(|n| n.is_alphabetic());
        if c.is_alphanumeric() || inner_apostrophe {
            current.extend(c.to_lowercase());
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Counts words and returns them sorted by descending count, then alphabetically.
pub fn frequencies(text: &str) -> Vec<(String, usize)> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for w in words(text) {
        *counts.entry(w).or_insert(0) += 1;
    }
    let mut sorted: Vec<_> = counts.into_iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    sorted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_punctuation_and_keeps_contractions() {
        assert_eq!(words("Don't panic, it's FINE!"), vec!["don't", "panic", "it's", "fine"]);
    }

    #[test]
    fn handles_non_latin_scripts() {
        assert_eq!(words("Habari, dunia! Привет мир"), vec!["habari", "dunia", "привет", "мир"]);
    }

    #[test]
    fn counts_in_order() {
        let f = frequencies("b a b c a b");
        assert_eq!(f[0], ("b".to_string(), 3));
        assert_eq!(f[1], ("a".to_string(), 2));
    }
}
