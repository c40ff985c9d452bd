//! Relay connections (`first`/`after`, `edges { cursor node }`, `pageInfo`, `totalCount`) over
//! ordered queries. Cursors are opaque; inside they hold the position after which the next page
//! starts.

use async_graphql::SimpleObject;
use async_graphql::connection::{Connection, Edge};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::{AppError, AppResult};

pub const DEFAULT_PAGE: i64 = 20;
pub const MAX_PAGE: i64 = 100;

/// Fields every connection carries besides `edges` and `pageInfo`.
#[derive(SimpleObject)]
pub struct ConnectionFields {
    /// How many items match the filter, on all pages.
    pub total_count: i64,
}

pub type Page<T> = Connection<String, T, ConnectionFields>;

/// The window a `first`/`after` pair asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub offset: i64,
    pub limit: i64,
    /// Whether the total is wanted: a document that does not select `totalCount` spares the
    /// lists that honour this their count query.
    pub count: bool,
    /// Whether the document reads the items' long texts (`description`): the item lists leave
    /// them out of their query otherwise, for they are most of a row's bytes.
    pub long_texts: bool,
}

impl PageRequest {
    pub fn new(first: Option<i32>, after: Option<&str>) -> AppResult<PageRequest> {
        let limit = match first {
            None => DEFAULT_PAGE,
            Some(n) if n < 0 => {
                return Err(AppError::BadRequest("first 不能为负数".into()));
            }
            Some(n) if i64::from(n) > MAX_PAGE => {
                return Err(AppError::BadRequest(format!(
                    "每页最多返回{MAX_PAGE}条，请减小 first"
                )));
            }
            Some(n) => i64::from(n),
        };
        let offset = match after {
            None => 0,
            Some(cursor) => decode_cursor(cursor)
                .ok_or_else(|| AppError::BadRequest("分页游标无效".into()))?
                .checked_add(1)
                .ok_or_else(|| AppError::BadRequest("分页游标无效".into()))?,
        };
        Ok(PageRequest {
            offset,
            limit,
            count: true,
            long_texts: true,
        })
    }

    /// [`PageRequest::new`] for the connection field being resolved: it counts only when the
    /// document selects `totalCount`, and reads long texts only when it selects a node's
    /// `description` (through `nodes` or `edges { node }`, under any alias or fragment).
    pub fn of_field(
        ctx: &async_graphql::Context<'_>,
        first: Option<i32>,
        after: Option<&str>,
    ) -> AppResult<PageRequest> {
        let mut page = PageRequest::new(first, after)?;
        let ahead = ctx.look_ahead();
        page.count = ahead.field("totalCount").exists();
        page.long_texts = ahead.field("nodes").field("description").exists()
            || ahead
                .field("edges")
                .field("node")
                .field("description")
                .exists();
        Ok(page)
    }

    /// The first `n` items, for lists that are paged in memory afterwards.
    pub fn first(n: usize) -> PageRequest {
        PageRequest {
            offset: 0,
            limit: n as i64,
            count: true,
            long_texts: true,
        }
    }

    /// `LIMIT … OFFSET …` for the page plus one row, which tells whether another page follows.
    pub fn sql_suffix(&self) -> String {
        format!(" LIMIT {} OFFSET {}", self.limit + 1, self.offset)
    }

    /// The connection of what a service listed.
    pub fn connection_of<T, N>(&self, rows: Rows<T>, into_node: impl Fn(T) -> N) -> Page<N>
    where
        N: async_graphql::OutputType,
    {
        match rows {
            Rows::Page { rows, total } => self.connection(rows, total, into_node),
            Rows::All(all) => self.connection_from_all(all, into_node),
        }
    }

    /// The page of `all`, a complete list ordered in memory (e.g. by relevance).
    pub fn connection_from_all<T, N>(&self, all: Vec<T>, into_node: impl Fn(T) -> N) -> Page<N>
    where
        N: async_graphql::OutputType,
    {
        let total = all.len() as i64;
        let rows: Vec<T> = all
            .into_iter()
            .skip(self.offset as usize)
            .take(self.limit as usize + 1)
            .collect();
        self.connection(rows, total, into_node)
    }

    /// Builds the connection from the rows fetched with [`PageRequest::sql_suffix`].
    pub fn connection<T, N>(
        &self,
        mut rows: Vec<T>,
        total: i64,
        into_node: impl Fn(T) -> N,
    ) -> Page<N>
    where
        N: async_graphql::OutputType,
    {
        let has_next = rows.len() as i64 > self.limit;
        rows.truncate(self.limit as usize);
        let mut connection = Connection::with_additional_fields(
            self.offset > 0,
            has_next,
            ConnectionFields { total_count: total },
        );
        connection.edges.extend(
            rows.into_iter()
                .enumerate()
                .map(|(i, row)| Edge::new(encode_cursor(self.offset + i as i64), into_node(row))),
        );
        connection
    }
}

/// What a service answers for a list: the rows of one page fetched with
/// [`PageRequest::sql_suffix`] and the total, or every row, ordered in memory (by relevance), from
/// which the page is cut.
#[derive(Debug)]
pub enum Rows<T> {
    Page { rows: Vec<T>, total: i64 },
    All(Vec<T>),
}

impl<T> Rows<T> {
    pub fn page((rows, total): (Vec<T>, i64)) -> Rows<T> {
        Rows::Page { rows, total }
    }

    /// The rows of `page` and the total, from either form (for doors that number their pages).
    pub fn window(self, page: &PageRequest) -> (Vec<T>, i64) {
        match self {
            Rows::Page { mut rows, total } => {
                rows.truncate(page.limit as usize);
                (rows, total)
            }
            Rows::All(all) => {
                let total = all.len() as i64;
                let rows = all
                    .into_iter()
                    .skip(page.offset as usize)
                    .take(page.limit as usize)
                    .collect();
                (rows, total)
            }
        }
    }
}

fn encode_cursor(position: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("p:{position}"))
}

fn decode_cursor(cursor: &str) -> Option<i64> {
    let raw = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let text = std::str::from_utf8(&raw).ok()?;
    let position: i64 = text.strip_prefix("p:")?.parse().ok()?;
    (position >= 0).then_some(position)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let cursor = encode_cursor(41);
        let page = PageRequest::new(Some(10), Some(&cursor)).unwrap();
        assert_eq!(
            page,
            PageRequest {
                offset: 42,
                limit: 10,
                count: true,
                long_texts: true,
            }
        );
        assert_eq!(page.sql_suffix(), " LIMIT 11 OFFSET 42");
    }

    #[test]
    fn defaults_and_bounds() {
        assert_eq!(PageRequest::new(None, None).unwrap().limit, DEFAULT_PAGE);
        assert!(PageRequest::new(Some(101), None).is_err());
        assert!(PageRequest::new(Some(-1), None).is_err());
        assert_eq!(PageRequest::new(Some(0), None).unwrap().limit, 0);
    }

    #[test]
    fn forged_cursors_are_refused() {
        for bad in [
            "",
            "xyz",
            &URL_SAFE_NO_PAD.encode("p:-3"),
            &URL_SAFE_NO_PAD.encode("q:3"),
        ] {
            assert!(PageRequest::new(None, Some(bad)).is_err(), "{bad}");
        }
    }
}
