//! iCalendar (RFC 5545) entries for events: the `.ics` file attached to an accepted
//! registration's e-mail and offered for download on the event's public page. Times are written in
//! the events' own zone, Asia/Shanghai (with its VTIMEZONE: UTC+8 all year), so that calendars
//! show them as the organiser wrote them wherever the reader is.

use chrono::{DateTime, Utc};

use crate::clock::china;

/// One event as a calendar shows it.
#[derive(Clone, Debug)]
pub struct CalendarEvent<'a> {
    /// Stable across versions of the same event (calendars update the entry they hold).
    pub uid: &'a str,
    /// Bumped with each change, so that a newer entry replaces an older one.
    pub sequence: i64,
    pub title: &'a str,
    pub description: &'a str,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub location: Option<&'a str>,
    /// The event's public page (or its online meeting).
    pub url: Option<&'a str>,
    pub cancelled: bool,
}

/// The content type of a calendar file.
pub const CONTENT_TYPE: &str = "text/calendar; charset=utf-8; method=PUBLISH";

/// A calendar holding `events`, stamped `now`.
pub fn calendar(events: &[CalendarEvent<'_>], now: DateTime<Utc>) -> String {
    let mut lines: Vec<String> = vec![
        "BEGIN:VCALENDAR".into(),
        "VERSION:2.0".into(),
        "PRODID:-//Jinzhong//twolists//ZH".into(),
        "CALSCALE:GREGORIAN".into(),
        "METHOD:PUBLISH".into(),
        "BEGIN:VTIMEZONE".into(),
        "TZID:Asia/Shanghai".into(),
        "BEGIN:STANDARD".into(),
        "DTSTART:19700101T000000".into(),
        "TZOFFSETFROM:+0800".into(),
        "TZOFFSETTO:+0800".into(),
        "TZNAME:CST".into(),
        "END:STANDARD".into(),
        "END:VTIMEZONE".into(),
    ];
    for e in events {
        lines.push("BEGIN:VEVENT".into());
        lines.push(format!("UID:{}@jzcx.cn", escape(e.uid)));
        lines.push(format!("SEQUENCE:{}", e.sequence.max(0)));
        lines.push(format!("DTSTAMP:{}", now.format("%Y%m%dT%H%M%SZ")));
        lines.push(format!("DTSTART;TZID=Asia/Shanghai:{}", local(e.starts_at)));
        lines.push(format!("DTEND;TZID=Asia/Shanghai:{}", local(e.ends_at)));
        lines.push(format!("SUMMARY:{}", escape(e.title)));
        if !e.description.is_empty() {
            lines.push(format!("DESCRIPTION:{}", escape(e.description)));
        }
        if let Some(location) = e.location {
            lines.push(format!("LOCATION:{}", escape(location)));
        }
        if let Some(url) = e.url {
            lines.push(format!("URL:{url}"));
        }
        lines.push(format!(
            "STATUS:{}",
            if e.cancelled {
                "CANCELLED"
            } else {
                "CONFIRMED"
            }
        ));
        lines.push("END:VEVENT".into());
    }
    lines.push("END:VCALENDAR".into());
    let mut out = String::new();
    for line in lines {
        fold(&line, &mut out);
    }
    out
}

/// A time as the local time of Asia/Shanghai, in iCalendar's form.
fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&china())
        .format("%Y%m%dT%H%M%S")
        .to_string()
}

/// Escapes a TEXT value: backslash, semicolon, comma and line breaks.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends `line` folded at 75 octets (never inside a character), each line ended by CRLF.
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_fold_at_character_boundaries_and_text_is_escaped() {
        let start = DateTime::parse_from_rfc3339("2026-12-22T01:30:00Z")
            .unwrap()
            .to_utc();
        let title = "晋中市煤矿智能化场景路演,第一场;".repeat(4);
        let ics = calendar(
            &[CalendarEvent {
                uid: "e1",
                sequence: 2,
                title: &title,
                description: "第一行\n第二行",
                starts_at: start,
                ends_at: start + chrono::Duration::hours(3),
                location: Some("榆次区"),
                url: None,
                cancelled: false,
            }],
            start,
        );
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "{line}");
        }
        assert!(ics.contains("DTSTART;TZID=Asia/Shanghai:20261222T093000\r\n"));
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.contains("场景路演\\,第一场\\;"));
        assert!(unfolded.contains("DESCRIPTION:第一行\\n第二行"));
    }
}
