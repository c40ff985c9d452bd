//! Chinese-aware tokenization: jieba in search mode (compound words and their parts), a domain
//! dictionary, stop words, synonyms folded to one form, and a thesaurus of terms that name the
//! same function (`related.txt`). ASCII is folded to lower case.

use std::collections::{HashMap, HashSet};

use jieba_rs::Jieba;

const DOMAIN_WORDS: &str = include_str!("domain_words.txt");
const STOP_WORDS: &str = include_str!("stopwords.txt");
const SYNONYMS: &str = include_str!("synonyms.txt");
const RELATED: &str = include_str!("related.txt");

pub struct Tokenizer {
    jieba: Jieba,
    stop: HashSet<String>,
    synonyms: HashMap<String, String>,
    /// Term → the other terms of its group in the domain thesaurus.
    related: HashMap<String, Vec<String>>,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer")
            .field("stop_words", &self.stop.len())
            .field("synonyms", &self.synonyms.len())
            .field("related", &self.related.len())
            .finish()
    }
}

impl Tokenizer {
    /// A tokenizer that knows the built-in domain words and `extra_words` (industry and region
    /// names, for instance).
    pub fn new<'a>(extra_words: impl IntoIterator<Item = &'a str>) -> Tokenizer {
        let mut jieba = Jieba::new();
        let synonyms: HashMap<String, String> = SYNONYMS
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let mut parts = l.split_whitespace();
                Some((parts.next()?.to_owned(), parts.next()?.to_owned()))
            })
            .collect();
        let mut words: Vec<String> = DOMAIN_WORDS
            .lines()
            .chain(extra_words)
            .map(|w| w.trim().to_owned())
            .collect();
        words.extend(synonyms.iter().flat_map(|(a, b)| [a.clone(), b.clone()]));
        let groups: Vec<Vec<String>> = RELATED
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| {
                let mut group: Vec<String> = l
                    .split_whitespace()
                    .map(|w| {
                        let w = w.to_lowercase();
                        synonyms.get(&w).cloned().unwrap_or(w)
                    })
                    .collect();
                group.dedup();
                group
            })
            .filter(|g| g.len() > 1)
            .collect();
        words.extend(groups.iter().flatten().cloned());
        let mut related: HashMap<String, Vec<String>> = HashMap::new();
        for group in &groups {
            for term in group {
                let others = related.entry(term.clone()).or_default();
                others.extend(group.iter().filter(|t| *t != term).cloned());
                others.sort();
                others.dedup();
            }
        }
        for word in words.iter().filter(|w| w.chars().count() >= 2) {
            // A frequency high enough that jieba keeps the word whole.
            jieba.add_word(word, Some(20_000), None);
        }
        let stop = STOP_WORDS
            .lines()
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect();
        Tokenizer {
            jieba,
            stop,
            synonyms,
            related,
        }
    }

    /// The terms the domain thesaurus relates to `term` (same need, other words).
    pub fn related(&self, term: &str) -> &[String] {
        self.related.get(term).map_or(&[], Vec::as_slice)
    }

    /// Whether the dictionary knows `word` as a whole and as a place name (汾河, 太原).
    pub fn is_place_name(&self, word: &str) -> bool {
        matches!(self.jieba.tag(word, false).as_slice(), [tag] if tag.tag == "ns")
    }

    /// The terms of `text`, in order, with repeats (search mode: compounds and their parts).
    pub fn tokens(&self, text: &str) -> Vec<String> {
        self.terms(text, true)
    }

    /// The words of a short phrase, without the parts of compounds.
    pub fn words(&self, text: &str) -> Vec<String> {
        self.terms(text, false)
    }

    fn terms(&self, text: &str, search: bool) -> Vec<String> {
        let lower = text.to_lowercase();
        let cut = if search {
            self.jieba.cut_for_search(&lower, true)
        } else {
            self.jieba.cut(&lower, true)
        };
        cut.into_iter()
            .filter_map(|token| {
                let word = token.word.trim();
                if word.is_empty()
                    || word.chars().all(|c| !c.is_alphanumeric())
                    || self.stop.contains(word)
                    || word.chars().all(|c| c.is_ascii_digit() || c == '.')
                {
                    return None;
                }
                Some(
                    self.synonyms
                        .get(word)
                        .cloned()
                        .unwrap_or_else(|| word.to_owned()),
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokenizer() -> Tokenizer {
        Tokenizer::new(["煤矿智能化"])
    }

    #[test]
    fn domain_words_stay_whole() {
        let t = tokenizer();
        for (text, word) in [
            ("推广醇氢电动公交车", "醇氢"),
            ("低浓度瓦斯提纯发电", "瓦斯"),
            ("有机旱作农业示范区", "有机旱作"),
            ("发展低空经济", "低空经济"),
            ("古城数字孪生平台", "数字孪生"),
            ("加快煤矿智能化建设", "煤矿智能化"),
        ] {
            let tokens = t.tokens(text);
            assert!(tokens.iter().any(|w| w == word), "{text}: {tokens:?}");
        }
    }

    #[test]
    fn search_mode_also_yields_the_parts() {
        let tokens = tokenizer().tokens("煤矿智能化");
        assert!(tokens.contains(&"煤矿".to_owned()), "{tokens:?}");
        assert!(tokens.contains(&"智能化".to_owned()), "{tokens:?}");
    }

    #[test]
    fn stop_words_punctuation_and_numbers_are_dropped() {
        let tokens = tokenizer().tokens("拟建设一套系统，预算200万元。");
        for dropped in ["拟", "建设", "系统", "，", "200", "万元", "。"] {
            assert!(
                !tokens.iter().any(|w| w == dropped),
                "{dropped} in {tokens:?}"
            );
        }
    }

    #[test]
    fn ascii_is_folded_and_synonyms_are_merged() {
        let t = tokenizer();
        assert!(t.tokens("5G专网与AOI检测").contains(&"aoi".to_owned()));
        assert!(t.tokens("井下巡视").contains(&"巡检".to_owned()));
        assert!(t.tokens("带式输送机").contains(&"皮带".to_owned()));
        assert!(t.tokens("太阳能电站").contains(&"光伏".to_owned()));
    }

    #[test]
    fn thesaurus_groups_relate_both_ways_in_folded_form() {
        let t = tokenizer();
        assert!(t.related("立体库").contains(&"密集库".to_owned()));
        assert!(t.related("密集库").contains(&"立体库".to_owned()));
        assert!(!t.related("立体库").contains(&"立体库".to_owned()));
        // 巡视 is folded to 巡检 before it is looked up, so the group speaks of 巡检.
        assert!(t.related("巡检").contains(&"点检".to_owned()));
        assert!(t.related("巡视").is_empty());
        assert!(t.related("瓦斯").is_empty(), "an object, not a function");
    }

    #[test]
    fn every_thesaurus_term_is_a_term_the_tokenizer_yields() {
        let t = tokenizer();
        for term in t.related.keys() {
            let words = t.words(term);
            assert_eq!(words, vec![term.clone()], "{term} is cut into {words:?}");
        }
    }
}
