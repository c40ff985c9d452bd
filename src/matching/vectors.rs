//! Chinese word vectors: the meaning signal of the engine. The file format is written by
//! `tools/export_vectors.py` (see there and `THIRD_PARTY.md`): a header with version and
//! dimension, the vocabulary, one scale per word and int8 components of unit vectors. The
//! bundled file is embedded in the binary; a deployment may load its own with `--vectors FILE`.

use std::borrow::Cow;
use std::hash::BuildHasher as _;

use foldhash::fast::FixedState;
use hashbrown::HashTable;
use std::sync::{Arc, OnceLock};

const MAGIC: &[u8; 8] = b"TLVEC\0\0\0";
const VERSION: u32 = 1;
/// Dimensions this engine accepts (the bundled vectors have 200).
const MAX_DIMENSION: usize = 1024;

/// The bundled vectors: 55,455 common Chinese words × 200 dimensions (`THIRD_PARTY.md`).
static BUNDLED: &[u8] = include_bytes!("vectors/words.vec");

/// Word vectors, read-only once loaded.
pub struct WordVectors {
    dimension: usize,
    /// The vocabulary as the file holds it: each word its length in one byte, then its UTF-8.
    vocabulary: Cow<'static, [u8]>,
    /// Row → where its word starts in `vocabulary` (at its length byte).
    starts: Vec<u32>,
    /// Word → row (the first row of each word), as rows hashed by their words: the words stay
    /// where the vocabulary holds them, not one allocation each.
    rows: HashTable<u32>,
    scales: Vec<f32>,
    /// `count × dimension` components, each an `i8` stored as its byte; word `i`'s vector is
    /// `data[i*dim..(i+1)*dim] × scales[i]`. The bundled vectors are read where the binary holds
    /// them: only the pages of words in use are ever brought into memory.
    data: Cow<'static, [u8]>,
}

impl std::fmt::Debug for WordVectors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WordVectors")
            .field("words", &self.rows.len())
            .field("dimension", &self.dimension)
            .finish()
    }
}

/// Why a vector file could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VectorFileError {
    #[error("not a word-vector file (the header is missing)")]
    NotVectors,
    #[error("word-vector file version {0} is not supported (expected {VERSION})")]
    Version(u32),
    #[error("the word-vector file is truncated or malformed: {0}")]
    Malformed(&'static str),
}

/// Reads `n` bytes at `*at`, moving past them.
fn take<'a>(bytes: &'a [u8], at: &mut usize, n: usize) -> Result<&'a [u8], VectorFileError> {
    let end = at
        .checked_add(n)
        .filter(|&e| e <= bytes.len())
        .ok_or(VectorFileError::Malformed("shorter than its header says"))?;
    let slice = &bytes[*at..end];
    *at = end;
    Ok(slice)
}

fn u32_at(bytes: &[u8], at: &mut usize) -> Result<u32, VectorFileError> {
    let raw = take(bytes, at, 4)?;
    Ok(u32::from_le_bytes(raw.try_into().expect("four bytes")))
}

impl WordVectors {
    /// The vectors bundled with the binary, parsed once per process.
    pub fn bundled() -> Arc<WordVectors> {
        static PARSED: OnceLock<Arc<WordVectors>> = OnceLock::new();
        PARSED
            .get_or_init(|| {
                Arc::new(
                    WordVectors::read(BUNDLED, Cow::Borrowed)
                        .expect("the bundled word vectors are valid"),
                )
            })
            .clone()
    }

    /// Parses a vector file, checking every size against the bytes there are.
    pub fn parse(bytes: &[u8]) -> Result<WordVectors, VectorFileError> {
        WordVectors::read(bytes, |data| Cow::Owned(data.to_vec()))
    }

    /// Parses `bytes`, keeping the vocabulary and the components as `keep` gives them (copied,
    /// or borrowed from a static).
    fn read<'b>(
        bytes: &'b [u8],
        keep: impl Fn(&'b [u8]) -> Cow<'static, [u8]>,
    ) -> Result<WordVectors, VectorFileError> {
        let mut at = 0;
        if take(bytes, &mut at, MAGIC.len()).ok() != Some(&MAGIC[..]) {
            return Err(VectorFileError::NotVectors);
        }
        let version = u32_at(bytes, &mut at)?;
        if version != VERSION {
            return Err(VectorFileError::Version(version));
        }
        let dimension = u32_at(bytes, &mut at)? as usize;
        let count = u32_at(bytes, &mut at)? as usize;
        let vocab_len = u32_at(bytes, &mut at)? as usize;
        if dimension == 0 || dimension > MAX_DIMENSION {
            return Err(VectorFileError::Malformed("dimension out of range"));
        }
        // Every size is checked against the file before anything is allocated for it.
        let needed = count
            .checked_mul(4 + dimension)
            .and_then(|n| n.checked_add(vocab_len))
            .ok_or(VectorFileError::Malformed("sizes overflow"))?;
        if bytes.len() - at != needed {
            return Err(VectorFileError::Malformed("sizes disagree with the length"));
        }
        let vocab = take(bytes, &mut at, vocab_len)?;
        let mut starts = Vec::with_capacity(count);
        let mut v = 0;
        for _ in 0..count {
            starts.push(v as u32);
            let len = *take(vocab, &mut v, 1)?.first().expect("one byte") as usize;
            std::str::from_utf8(take(vocab, &mut v, len)?)
                .map_err(|_| VectorFileError::Malformed("a word is not UTF-8"))?;
        }
        if v != vocab.len() {
            return Err(VectorFileError::Malformed(
                "vocabulary longer than its words",
            ));
        }
        let mut vectors = WordVectors {
            dimension,
            vocabulary: keep(vocab),
            starts,
            rows: HashTable::with_capacity(count),
            scales: Vec::new(),
            data: Cow::Borrowed(&[]),
        };
        for row in 0..count as u32 {
            let word = vectors.word(row);
            let hash = hash_word(word);
            // The first occurrence (the more frequent) wins.
            if vectors
                .rows
                .find(hash, |&r| vectors.word(r) == word)
                .is_none()
            {
                let starts = &vectors.starts;
                let vocabulary = &vectors.vocabulary;
                vectors.rows.insert_unique(hash, row, |&r| {
                    hash_word(word_at(vocabulary, starts[r as usize]))
                });
            }
        }
        let scales = take(bytes, &mut at, count * 4)?
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().expect("four bytes")))
            .collect::<Vec<_>>();
        if scales.iter().any(|s| !s.is_finite() || *s < 0.0) {
            return Err(VectorFileError::Malformed(
                "a scale is not a finite positive number",
            ));
        }
        vectors.data = keep(take(bytes, &mut at, count * dimension)?);
        vectors.scales = scales;
        Ok(vectors)
    }

    pub fn dimension(&self) -> usize {
        self.dimension
    }

    pub fn len(&self) -> usize {
        self.scales.len()
    }

    pub fn is_empty(&self) -> bool {
        self.scales.is_empty()
    }

    /// The word of row `i`.
    pub fn word(&self, i: u32) -> &str {
        word_at(&self.vocabulary, self.starts[i as usize])
    }

    /// The row of `word`, if it has a vector.
    pub fn row_of(&self, word: &str) -> Option<u32> {
        self.rows
            .find(hash_word(word), |&r| self.word(r) == word)
            .copied()
    }

    /// Adds `weight` × the unit vector of `word` to `sum`; whether the word has a vector.
    pub fn add_to(&self, sum: &mut [f32], word: &str, weight: f32) -> bool {
        match self.row_of(word) {
            Some(row) => {
                self.add_row(sum, row, weight);
                true
            }
            None => false,
        }
    }

    /// Adds `weight` × the unit vector of row `i` to `sum`.
    pub fn add_row(&self, sum: &mut [f32], i: u32, weight: f32) {
        let i = i as usize;
        let scale = self.scales[i] * weight;
        let row = &self.data[i * self.dimension..(i + 1) * self.dimension];
        for (s, &x) in sum.iter_mut().zip(row) {
            *s += scale * f32::from(x as i8);
        }
    }

    /// The cosine between the vectors of rows `i` and `j` (both unit length).
    pub fn row_cosine(&self, i: u32, j: u32) -> f32 {
        let (i, j) = (i as usize, j as usize);
        let d = self.dimension;
        let dot: i32 = self.data[i * d..(i + 1) * d]
            .iter()
            .zip(&self.data[j * d..(j + 1) * d])
            .map(|(&a, &b)| i32::from(a as i8) * i32::from(b as i8))
            .sum();
        dot as f32 * self.scales[i] * self.scales[j]
    }

    /// The cosine between two words' vectors, if both have one.
    pub fn similarity(&self, a: &str, b: &str) -> Option<f32> {
        let mut va = vec![0.0; self.dimension];
        let mut vb = vec![0.0; self.dimension];
        (self.add_to(&mut va, a, 1.0) && self.add_to(&mut vb, b, 1.0)).then(|| cosine(&va, &vb))
    }

    /// Approximate heap memory, in bytes (the bundled components are in the binary, not here).
    pub fn memory_bytes(&self) -> usize {
        let data = match &self.data {
            Cow::Owned(data) => data.len(),
            Cow::Borrowed(_) => 0,
        };
        let vocabulary = match &self.vocabulary {
            Cow::Owned(vocabulary) => vocabulary.len(),
            Cow::Borrowed(_) => 0,
        };
        data + vocabulary + self.scales.len() * 4 + self.starts.len() * 4 + self.rows.capacity() * 5
    }
}

/// The word whose length byte is at `start` (checked when the file was read).
fn word_at(vocabulary: &[u8], start: u32) -> &str {
    let start = start as usize;
    let len = usize::from(vocabulary[start]);
    std::str::from_utf8(&vocabulary[start + 1..start + 1 + len]).expect("checked when read")
}

fn hash_word(word: &str) -> u64 {
    FixedState::default().hash_one(word)
}

/// The cosine of two vectors (0 when either is zero).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let (mut dot, mut na, mut nb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na > 0.0 && nb > 0.0 {
        dot / (na.sqrt() * nb.sqrt())
    } else {
        0.0
    }
}

/// An item's meaning vector, quantised: unit length, int8 components with one scale.
#[derive(Debug, Clone, Default)]
pub struct ItemVector {
    scale: f32,
    data: Box<[i8]>,
}

impl ItemVector {
    /// Quantises a sum of word vectors; the empty vector when the sum is zero.
    pub fn from_sum(sum: &[f32]) -> ItemVector {
        let norm = sum.iter().map(|x| x * x).sum::<f32>().sqrt();
        let largest = sum.iter().fold(0.0_f32, |m, x| m.max(x.abs()));
        if norm == 0.0 || largest == 0.0 {
            return ItemVector::default();
        }
        let step = largest / 127.0;
        ItemVector {
            scale: step / norm,
            data: sum.iter().map(|x| (x / step).round() as i8).collect(),
        }
    }

    /// The cosine with another item vector (0 when either is empty): an integer dot product,
    /// which the compiler turns into wide vector instructions.
    pub fn cosine(&self, other: &ItemVector) -> f32 {
        if self.data.is_empty() || other.data.is_empty() {
            return 0.0;
        }
        let dot: i32 = self
            .data
            .iter()
            .zip(other.data.iter())
            .map(|(&x, &y)| i32::from(i16::from(x) * i16::from(y)))
            .sum();
        dot as f32 * self.scale * other.scale
    }

    pub fn memory_bytes(&self) -> usize {
        self.data.len() + 24
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(dimension: u32, words: &[(&str, f32, &[i8])]) -> Vec<u8> {
        let vocab: Vec<u8> = words
            .iter()
            .flat_map(|(w, _, _)| std::iter::once(w.len() as u8).chain(w.bytes()))
            .collect();
        let mut out = MAGIC.to_vec();
        for n in [VERSION, dimension, words.len() as u32, vocab.len() as u32] {
            out.extend(n.to_le_bytes());
        }
        out.extend(&vocab);
        for (_, scale, _) in words {
            out.extend(scale.to_le_bytes());
        }
        for (_, _, v) in words {
            out.extend(v.iter().map(|&x| x as u8));
        }
        out
    }

    #[test]
    fn the_bundled_vectors_load_and_know_common_words() {
        let vectors = WordVectors::bundled();
        assert_eq!(vectors.dimension(), 200);
        assert_eq!(vectors.len(), 55_455);
        // Related words are nearer than unrelated ones.
        let near = vectors.similarity("煤矿", "矿井").unwrap();
        let far = vectors.similarity("煤矿", "旅游").unwrap();
        assert!(near > far + 0.2, "煤矿~矿井 {near}, 煤矿~旅游 {far}");
        assert!(vectors.similarity("煤矿", "不存在的词语组合").is_none());
    }

    #[test]
    fn a_small_file_parses_and_a_damaged_one_is_refused() {
        let good = file(
            2,
            &[
                ("甲", 1.0 / 127.0, &[127, 0]),
                ("乙", 1.0 / 127.0, &[0, 127]),
            ],
        );
        let vectors = WordVectors::parse(&good).unwrap();
        assert_eq!(vectors.similarity("甲", "甲"), Some(1.0));
        assert_eq!(vectors.similarity("甲", "乙"), Some(0.0));

        assert_eq!(
            WordVectors::parse(b"GIF89a").unwrap_err(),
            VectorFileError::NotVectors
        );
        let mut version = good.clone();
        version[8] = 9;
        assert_eq!(
            WordVectors::parse(&version).unwrap_err(),
            VectorFileError::Version(9)
        );
        // Truncated, one byte too many, or a count that claims more than there is.
        for bad in [
            good[..good.len() - 1].to_vec(),
            [good.as_slice(), &[0]].concat(),
            {
                let mut lying = good.clone();
                lying[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
                lying
            },
        ] {
            assert!(matches!(
                WordVectors::parse(&bad),
                Err(VectorFileError::Malformed(_))
            ));
        }
    }

    #[test]
    fn item_vectors_keep_the_cosine() {
        let a = [0.3, -0.2, 0.9, 0.1];
        let b = [0.25, -0.1, 0.8, 0.3];
        let exact = cosine(&a, &b);
        let quantised = ItemVector::from_sum(&a).cosine(&ItemVector::from_sum(&b));
        assert!((exact - quantised).abs() < 0.01, "{exact} vs {quantised}");
        assert_eq!(
            ItemVector::from_sum(&[0.0; 4]).cosine(&ItemVector::from_sum(&b)),
            0.0
        );
    }
}
