//! The domain thesaurus: groups of words that name the same need or the same kind of solution in
//! other words (巡检 点检 智能巡检). A word of a query also looks for the other words of its
//! groups, at a fraction of its weight.
//!
//! The groups shipped with the engine are `related.txt`; a service keeps its own in its database,
//! seeded from that file and edited by administrators, and hands them to the engine as a new
//! [`Thesaurus`] whenever they change. Words are compared in the tokenizer's folded form (lower
//! case, synonyms merged), so a group speaks the index's language whatever was typed.

use foldhash::{HashMap, HashMapExt as _};

use super::text::Tokenizer;

const BUNDLED: &str = include_str!("related.txt");

/// A group as `related.txt` ships it: the topic it is listed under and its words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundledGroup {
    pub topic: String,
    pub words: Vec<String>,
}

/// The groups shipped with the engine, in file order.
pub fn bundled_groups() -> Vec<BundledGroup> {
    let mut topic = String::new();
    let mut groups = Vec::new();
    for line in BUNDLED.lines().map(str::trim) {
        if let Some(heading) = line.strip_prefix("## ") {
            topic = heading.trim().to_owned();
        } else if !line.starts_with('#') && !line.is_empty() {
            groups.push(BundledGroup {
                topic: topic.clone(),
                words: line.split_whitespace().map(str::to_owned).collect(),
            });
        }
    }
    groups
}

/// Every word of the shipped groups (the tokenizer keeps them whole).
pub fn bundled_words() -> impl Iterator<Item = &'static str> {
    BUNDLED
        .lines()
        .filter(|l| !l.starts_with('#'))
        .flat_map(str::split_whitespace)
}

/// Word → the other words of its groups, in folded form.
#[derive(Clone, Debug, Default)]
pub struct Thesaurus {
    related: HashMap<String, Vec<String>>,
}

impl Thesaurus {
    /// The thesaurus of `groups`, folded by `tokenizer`. A group of fewer than two different
    /// folded words relates nothing.
    pub fn new<G, W>(groups: G, tokenizer: &Tokenizer) -> Thesaurus
    where
        G: IntoIterator,
        G::Item: IntoIterator<Item = W>,
        W: AsRef<str>,
    {
        let mut related: HashMap<String, Vec<String>> = HashMap::new();
        for group in groups {
            let mut words: Vec<String> = group
                .into_iter()
                .map(|w| tokenizer.folded(w.as_ref()))
                .collect();
            words.sort();
            words.dedup();
            if words.len() < 2 {
                continue;
            }
            for word in &words {
                related
                    .entry(word.clone())
                    .or_default()
                    .extend(words.iter().filter(|w| *w != word).cloned());
            }
        }
        for others in related.values_mut() {
            others.sort();
            others.dedup();
        }
        Thesaurus { related }
    }

    /// The shipped groups.
    pub fn bundled(tokenizer: &Tokenizer) -> Thesaurus {
        Thesaurus::new(bundled_groups().into_iter().map(|g| g.words), tokenizer)
    }

    /// The words related to `term` (same need, other words), never `term` itself.
    pub fn related(&self, term: &str) -> &[String] {
        self.related.get(term).map_or(&[], Vec::as_slice)
    }

    /// Every word that has relatives.
    pub fn words(&self) -> impl Iterator<Item = &str> {
        self.related.keys().map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.related.len()
    }

    pub fn is_empty(&self) -> bool {
        self.related.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokenizer() -> Tokenizer {
        Tokenizer::new(bundled_words())
    }

    #[test]
    fn groups_relate_both_ways_in_folded_form() {
        let t = tokenizer();
        let thesaurus = Thesaurus::bundled(&t);
        assert!(thesaurus.related("立体库").contains(&"密集库".to_owned()));
        assert!(thesaurus.related("密集库").contains(&"立体库".to_owned()));
        assert!(!thesaurus.related("立体库").contains(&"立体库".to_owned()));
        // 巡视 is folded to 巡检 before it is looked up, so the group speaks of 巡检.
        assert!(thesaurus.related("巡检").contains(&"点检".to_owned()));
        assert!(thesaurus.related("巡视").is_empty());
        assert!(
            thesaurus.related("瓦斯").is_empty(),
            "an object, not a function"
        );
    }

    #[test]
    fn every_shipped_word_is_a_term_the_tokenizer_yields() {
        let t = tokenizer();
        let thesaurus = Thesaurus::bundled(&t);
        assert!(thesaurus.len() > 300, "{}", thesaurus.len());
        for term in thesaurus.words() {
            let words = t.words(term);
            assert_eq!(words, vec![term.to_owned()], "{term} is cut into {words:?}");
        }
    }

    #[test]
    fn the_shipped_groups_carry_their_topics() {
        let groups = bundled_groups();
        assert_eq!(groups[0].topic, "煤矿智能化、洗选");
        assert_eq!(groups[0].words[0], "巡检");
        assert!(
            groups
                .iter()
                .all(|g| !g.topic.is_empty() && g.words.len() > 1)
        );
        assert!(groups.iter().any(|g| g.words.contains(&"文旅".to_owned())));
    }

    #[test]
    fn a_group_folded_to_one_word_relates_nothing() {
        let t = tokenizer();
        // 巡视 folds to 巡检: after folding the group holds one word.
        let thesaurus = Thesaurus::new([["巡视", "巡检"]], &t);
        assert!(thesaurus.is_empty());
        let thesaurus = Thesaurus::new([vec!["AOI", "视觉检测"]], &t);
        assert_eq!(thesaurus.related("aoi"), ["视觉检测".to_owned()]);
    }
}
