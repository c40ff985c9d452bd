//! The long text of an item, which a list may leave unread.

/// An item's description. It is most of a row's bytes, so the item lists read it only when the
/// document asks for it ([`crate::pagination::PageRequest::long_texts`]). A row read without it
/// holds `Unread`; the GraphQL field then loads the item by id. Every other reader (the engine's
/// documents, an update merging its input over the stored row) gets its rows from single-row
/// reads and writes, which read it whole.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum LongText {
    Read(String),
    #[default]
    Unread,
}

impl From<String> for LongText {
    fn from(text: String) -> Self {
        LongText::Read(text)
    }
}

impl LongText {
    /// The text, if the row was read with it.
    pub fn read(&self) -> Option<&str> {
        match self {
            LongText::Read(text) => Some(text),
            LongText::Unread => None,
        }
    }

    /// The text of a row read whole.
    ///
    /// # Panics
    /// On a row a list read without it: only the GraphQL field sees such rows, and it loads the
    /// item. Anything else reading it would silently lose the text (an update would erase it).
    pub fn whole(&self) -> &str {
        self.read()
            .expect("the description of a row read whole (a single-row read or write)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_read_without_its_text_says_so() {
        assert_eq!(
            LongText::from("场景描述".to_owned()).read(),
            Some("场景描述")
        );
        assert_eq!(LongText::default().read(), None);
    }

    #[test]
    #[should_panic(expected = "read whole")]
    fn the_whole_text_of_an_unread_row_is_a_bug() {
        LongText::Unread.whole();
    }
}
