//! Chinese-aware tokenization: jieba in search mode (compound words and their parts), a domain
//! dictionary, stop words and synonyms folded to one form. ASCII is folded to lower case.

use foldhash::{HashMap, HashSet, HashSetExt as _};

use jieba_rs::Jieba;

/// jieba's dictionary without its rarest words (see `THIRD_PARTY.md`). Its own, whole, is used
/// only by the BM25 baseline of `match-eval`.
const DICTIONARY: &str = include_str!("dictionary.txt");
const DOMAIN_WORDS: &str = include_str!("domain_words.txt");
const STOP_WORDS: &str = include_str!("stopwords.txt");
const SYNONYMS: &str = include_str!("synonyms.txt");
const GENERIC_MODIFIERS: &str = include_str!("generic_modifiers.txt");

/// A frequency high enough that jieba keeps an added word whole.
const WHOLE: usize = 20_000;

#[derive(Clone)]
pub struct Tokenizer {
    jieba: Jieba,
    stop: HashSet<String>,
    synonyms: HashMap<String, String>,
    /// The words added to jieba's dictionary, which it keeps whole.
    added: HashSet<String>,
    generic: HashSet<String>,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer")
            .field("stop_words", &self.stop.len())
            .field("synonyms", &self.synonyms.len())
            .field("added_words", &self.added.len())
            .finish()
    }
}

impl Tokenizer {
    /// A tokenizer that knows the built-in domain words and `extra_words` (industry and region
    /// names, for instance).
    pub fn new<'a>(extra_words: impl IntoIterator<Item = &'a str>) -> Tokenizer {
        let jieba = Jieba::with_dict(&mut DICTIONARY.as_bytes())
            .expect("the bundled dictionary is well formed");
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
        let stop = STOP_WORDS
            .lines()
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect();
        let generic = GENERIC_MODIFIERS
            .lines()
            .filter(|l| !l.starts_with('#'))
            .flat_map(str::split_whitespace)
            .map(str::to_owned)
            .collect();
        let mut tokenizer = Tokenizer {
            jieba,
            stop,
            synonyms,
            added: HashSet::new(),
            generic,
        };
        tokenizer.add_words(words.iter().map(String::as_str));
        tokenizer
    }

    fn add_words<'a>(&mut self, words: impl IntoIterator<Item = &'a str>) {
        for word in words {
            let word = word.trim().to_lowercase();
            if word.chars().count() >= 2 && !self.added.contains(&word) {
                self.jieba.add_word(&word, Some(WHOLE), None);
                self.added.insert(word);
            }
        }
    }

    /// Whether `word` comes out of this tokenizer whole: added to the dictionary, or a word of
    /// jieba's own that it does not cut.
    pub fn keeps_whole(&self, word: &str) -> bool {
        let word = word.trim().to_lowercase();
        self.added.contains(&word)
            || matches!(self.jieba.cut(&word, false).as_slice(), [only] if only.word == word)
    }

    /// A tokenizer that also keeps `words` whole, or `None` when this one already does (a copy
    /// of the dictionary is made only when something is new).
    pub fn knowing<'a>(&self, words: impl IntoIterator<Item = &'a str>) -> Option<Tokenizer> {
        let new: Vec<&str> = words
            .into_iter()
            .filter(|w| w.trim().chars().count() >= 2 && !self.keeps_whole(w))
            .collect();
        if new.is_empty() {
            return None;
        }
        let mut tokenizer = self.clone();
        tokenizer.add_words(new);
        Some(tokenizer)
    }

    /// Whether `word` is a generic modifier (智慧, 智能化, 数字化): said of everything, it tells
    /// little when it is part of a longer word.
    pub fn is_generic_modifier(&self, word: &str) -> bool {
        self.generic.contains(word)
    }

    /// The form in which the index knows a word: lower case, synonyms merged.
    pub fn folded(&self, word: &str) -> String {
        let word = word.trim().to_lowercase();
        self.synonyms.get(&word).cloned().unwrap_or(word)
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

    /// The pieces of a query as a text may spell them, for highlighting what a search matched:
    /// search-mode words in lower case (no synonyms merged, no stop words), each once, longest
    /// first, at most `limit`.
    pub fn marks(&self, text: &str, limit: usize) -> Vec<String> {
        let lower = text.to_lowercase();
        let mut words: Vec<String> = Vec::new();
        for token in self.jieba.cut_for_search(&lower, true) {
            let word = token.word.trim();
            if self.is_term(word) && !words.iter().any(|w| w == word) {
                words.push(word.to_owned());
            }
        }
        words.sort_by_key(|w| std::cmp::Reverse(w.len()));
        words.truncate(limit);
        words
    }

    /// Whether a piece of text is a term: not blank, not punctuation, not a stop word, not a
    /// number.
    fn is_term(&self, word: &str) -> bool {
        !(word.is_empty()
            || word.chars().all(|c| !c.is_alphanumeric())
            || self.stop.contains(word)
            || word.chars().all(|c| c.is_ascii_digit() || c == '.'))
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
                if !self.is_term(word) {
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
    fn marks_are_the_query_as_written_longest_first() {
        let marks = tokenizer().marks("煤矿智能化 的 AI", 16);
        assert_eq!(
            marks.first().map(String::as_str),
            Some("煤矿智能化"),
            "{marks:?}"
        );
        assert!(marks.contains(&"煤矿".to_owned()), "{marks:?}");
        assert!(marks.contains(&"ai".to_owned()), "{marks:?}");
        assert!(!marks.contains(&"的".to_owned()), "{marks:?}");
        assert_eq!(tokenizer().marks("煤矿智能化", 1).len(), 1);
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
    fn new_words_make_a_new_tokenizer_only_when_they_are_new() {
        let t = tokenizer();
        assert!(t.knowing(["煤矿智能化", "巡检", "x"]).is_none());
        assert!(!t.keeps_whole("氢冶金示范"));
        let knowing = t.knowing(["氢冶金示范"]).expect("a new word");
        assert!(knowing.keeps_whole("氢冶金示范"));
        assert!(
            knowing
                .tokens("建设氢冶金示范线")
                .contains(&"氢冶金示范".to_owned())
        );
        assert!(
            !t.tokens("建设氢冶金示范线")
                .contains(&"氢冶金示范".to_owned())
        );
    }
}
