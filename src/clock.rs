//! The time scheduled work reads: the system's, or one a test sets and moves on, so that a
//! reminder "three days before" is tested on the day it is due without waiting for it.
//!
//! Requests stamp their rows with the system time as before; the clock governs what the service
//! does by itself (the scheduled jobs and the days they count).

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};

/// China Standard Time (Asia/Shanghai): UTC+8 all year, no daylight saving.
pub fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("a valid offset")
}

#[derive(Clone, Debug, Default)]
pub struct Clock(Option<Arc<Mutex<DateTime<Utc>>>>);

impl Clock {
    /// The system's clock.
    pub fn system() -> Clock {
        Clock(None)
    }

    /// A clock that stands at `at` until it is set or moved.
    pub fn manual(at: DateTime<Utc>) -> Clock {
        Clock(Some(Arc::new(Mutex::new(at))))
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &self.0 {
            None => Utc::now(),
            Some(at) => *at.lock().expect("clock lock"),
        }
    }

    /// Today in China, the calendar deadlines are written in.
    pub fn today_in_china(&self) -> NaiveDate {
        self.now().with_timezone(&china()).date_naive()
    }

    /// Sets a manual clock; a system clock is left alone.
    pub fn set(&self, at: DateTime<Utc>) {
        if let Some(now) = &self.0 {
            *now.lock().expect("clock lock") = at;
        }
    }

    /// Moves a manual clock on by `by`.
    pub fn advance(&self, by: Duration) {
        if let Some(now) = &self.0 {
            *now.lock().expect("clock lock") += by;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_stands_until_moved() {
        let start = DateTime::parse_from_rfc3339("2026-12-01T15:59:00Z")
            .unwrap()
            .to_utc();
        let clock = Clock::manual(start);
        assert_eq!(clock.now(), start);
        assert_eq!(clock.today_in_china().to_string(), "2026-12-01");
        clock.advance(Duration::minutes(1));
        // 16:00 UTC is midnight in Shanghai.
        assert_eq!(clock.today_in_china().to_string(), "2026-12-02");
        let system = Clock::system();
        system.set(start);
        assert!(system.now() > start);
    }
}
