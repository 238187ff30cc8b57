//! Opening hours: a room's weekly sessions ("Tuesday 18:00–19:00") in the
//! organization's time zone, and whether the room is open at an instant.
//!
//! Sessions follow the wall clock of the time zone, so a session at 18:00
//! in London starts at 17:00 UTC in summer and 18:00 UTC in winter. On the
//! day the clocks change, a start or end that falls in the skipped hour
//! moves forward by the gap, and one in the repeated hour takes its first
//! occurrence (the usual "compatible" rule); a session wholly inside the
//! skipped hour does not happen that week. A session ends on the day it
//! starts (24:00 at the latest): one past midnight is written as two.
//!
//! The time zone database is built into the program (jiff's bundled copy of
//! the IANA database), so the hours do not depend on the server's files.

use std::fmt;
use std::sync::LazyLock;

use jiff::Timestamp;
use jiff::ToSpan;
use jiff::civil::{Date, DateTime, Weekday};
use jiff::tz::{TimeZone, TimeZoneDatabase};

static TZDB: LazyLock<TimeZoneDatabase> = LazyLock::new(TimeZoneDatabase::bundled);

/// Most sessions a room may have in a week.
pub const MAX_SESSIONS: usize = 50;

/// An IANA time zone (`Europe/London`, `UTC`), known to the built-in
/// database. Only `parse` makes one, so one that exists is usable.
#[derive(Clone, Debug)]
pub struct Zone {
    name: String,
    tz: TimeZone,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZoneError {
    #[error("Enter a time zone, such as Europe/London or UTC.")]
    Empty,
    #[error(
        "“{0}” is not a time zone we know. Use a name from the IANA time zone database, such as Europe/London, America/New_York or UTC."
    )]
    Unknown(String),
}

impl Zone {
    /// Parses a zone name in any letter case; the zone keeps its proper
    /// spelling (`europe/london` becomes `Europe/London`).
    pub fn parse(input: &str) -> Result<Self, ZoneError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(ZoneError::Empty);
        }
        let unknown = || ZoneError::Unknown(input.chars().take(80).collect());
        let tz = TZDB.get(input).map_err(|_| unknown())?;
        if tz.is_unknown() {
            return Err(unknown());
        }
        let name = tz.iana_name().unwrap_or(input).to_owned();
        Ok(Self { name, tz })
    }

    pub fn utc() -> Self {
        Self {
            name: "UTC".into(),
            tz: TimeZone::UTC,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Default for Zone {
    fn default() -> Self {
        Self::utc()
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// A time of day in minutes after midnight; 24:00 (1440) only as an end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ClockTime(u16);

const END_OF_DAY: u16 = 24 * 60;

impl ClockTime {
    fn parse(text: &str) -> Option<Self> {
        let (h, m) = text.split_once([':', '.'])?;
        if h.is_empty() || h.len() > 2 || m.len() != 2 {
            return None;
        }
        let h: u16 = h.parse().ok()?;
        let m: u16 = m.parse().ok()?;
        (m < 60 && h * 60 + m <= END_OF_DAY).then_some(Self(h * 60 + m))
    }

    fn hour(self) -> i8 {
        (self.0 / 60) as i8
    }

    fn minute(self) -> i8 {
        (self.0 % 60) as i8
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

/// One weekly session, in local time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Session {
    pub day: Weekday,
    pub start: ClockTime,
    pub end: ClockTime,
}

impl fmt::Display for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}–{}", day_name(self.day), self.start, self.end)
    }
}

const DAYS: [Weekday; 7] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
    Weekday::Saturday,
    Weekday::Sunday,
];

fn day_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Monday => "Monday",
        Weekday::Tuesday => "Tuesday",
        Weekday::Wednesday => "Wednesday",
        Weekday::Thursday => "Thursday",
        Weekday::Friday => "Friday",
        Weekday::Saturday => "Saturday",
        Weekday::Sunday => "Sunday",
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// "tue", "Tues", "Tuesday" and "tuesdays" are all Tuesday.
fn parse_day(word: &str) -> Option<Weekday> {
    let word = word.to_lowercase();
    let word = word.trim_end_matches(',');
    if word.len() < 3 {
        return None;
    }
    DAYS.into_iter().find(|d| {
        let name = day_name(*d).to_lowercase();
        name.starts_with(word) || word.strip_suffix('s') == Some(name.as_str())
    })
}

/// Why a schedule was refused, with the line it is on (0: the whole text).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", if *line > 0 { format!("Line {line}: ") } else { String::new() })]
pub struct HoursError {
    pub line: usize,
    pub message: String,
}

/// A room's weekly sessions, in order through the week and not
/// overlapping. None: always open.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hours {
    sessions: Vec<Session>,
}

impl Hours {
    /// One session a line, a day and its hours: `Tuesday 18:00–19:00`
    /// (a hyphen or "to" does as well as the dash). Empty lines are skipped;
    /// an empty text means always open.
    pub fn parse(text: &str) -> Result<Self, HoursError> {
        let mut sessions: Vec<(usize, Session)> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let number = i + 1;
            let fail = |message: String| HoursError {
                line: number,
                message,
            };
            let example = "such as “Tuesday 18:00–19:00”";
            let (day, times) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            let day = parse_day(day)
                .ok_or_else(|| fail(format!("start with a day of the week, {example}.")))?;
            let times: String = times
                .replace(['–', '—'], "-")
                .to_lowercase()
                .replace(" to ", "-")
                .split_whitespace()
                .collect();
            let (start, end) = times
                .split_once('-')
                .ok_or_else(|| fail(format!("give the hours after the day, {example}.")))?;
            let time = |t: &str| {
                ClockTime::parse(t).ok_or_else(|| {
                    fail(format!(
                        "“{t}” is not a time of day; write hours on the 24-hour clock, {example}."
                    ))
                })
            };
            let (start, end) = (time(start)?, time(end)?);
            if start.0 == END_OF_DAY {
                return Err(fail("a session cannot start at 24:00.".into()));
            }
            if end <= start {
                return Err(fail(format!(
                    "a session must end after it starts ({start}–{end}). For one that goes past midnight, write two lines."
                )));
            }
            sessions.push((number, Session { day, start, end }));
        }
        if sessions.len() > MAX_SESSIONS {
            return Err(HoursError {
                line: 0,
                message: format!("Keep to {MAX_SESSIONS} sessions a week."),
            });
        }
        sessions.sort_by_key(|(_, s)| (s.day.to_monday_zero_offset(), s.start));
        for pair in sessions.windows(2) {
            let ((la, a), (lb, b)) = (pair[0], pair[1]);
            if a.day == b.day && b.start < a.end {
                let (first, second) = (la.min(lb), la.max(lb));
                return Err(HoursError {
                    line: second,
                    message: format!("{b} overlaps {a} (line {first}); join them or change one."),
                });
            }
        }
        Ok(Self {
            sessions: sessions.into_iter().map(|(_, s)| s).collect(),
        })
    }

    /// No hours: the room is always open.
    pub fn always_open(&self) -> bool {
        self.sessions.is_empty()
    }

    pub fn sessions(&self) -> &[Session] {
        &self.sessions
    }

    /// Whether the room is open at `now_ms` (milliseconds since the Unix
    /// epoch), with the session under way or the next one to come.
    pub fn at(&self, now_ms: i64, zone: &Zone) -> Openness {
        if self.sessions.is_empty() {
            return Openness::Always;
        }
        let Ok(now) = Timestamp::from_millisecond(now_ms) else {
            return Openness::Closed { next: None };
        };
        let today = zone.tz.to_datetime(now).date();
        // Two weeks: a session may be skipped one week by a DST change.
        for days in 0..15 {
            let Ok(date) = today.checked_add(days.days()) else {
                break;
            };
            for session in self.sessions.iter().filter(|s| s.day == date.weekday()) {
                let (Some(start), Some(end)) = (
                    instant(date, session.start, &zone.tz),
                    instant(date, session.end, &zone.tz),
                ) else {
                    continue;
                };
                if end <= start {
                    continue; // inside the hour the clocks skipped
                }
                let sitting = Sitting {
                    start_ms: start.as_millisecond(),
                    end_ms: end.as_millisecond(),
                    date,
                    session: *session,
                    zone: zone.name.clone(),
                };
                if now < start {
                    return Openness::Closed {
                        next: Some(sitting),
                    };
                }
                if now < end {
                    return Openness::Open { now: sitting };
                }
            }
        }
        Openness::Closed { next: None }
    }
}

/// The instant a local date and time of day happen in `tz`.
fn instant(date: Date, time: ClockTime, tz: &TimeZone) -> Option<Timestamp> {
    let dt: DateTime = if time.0 == END_OF_DAY {
        date.tomorrow().ok()?.at(0, 0, 0, 0)
    } else {
        date.at(time.hour(), time.minute(), 0, 0)
    };
    tz.to_ambiguous_timestamp(dt).compatible().ok()
}

/// One week's sessions as text, one a line: what `parse` reads back.
impl fmt::Display for Hours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.sessions.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{s}")?;
        }
        Ok(())
    }
}

/// Whether a room is open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Openness {
    /// The room has no hours.
    Always,
    /// A session is under way.
    Open { now: Sitting },
    /// Between sessions; `next` is None only when no session can happen in
    /// the next two weeks.
    Closed { next: Option<Sitting> },
}

impl Openness {
    pub fn is_open(&self) -> bool {
        !matches!(self, Openness::Closed { .. })
    }

    /// The session under way, or else the next one.
    pub fn sitting(&self) -> Option<&Sitting> {
        match self {
            Openness::Always => None,
            Openness::Open { now } => Some(now),
            Openness::Closed { next } => next.as_ref(),
        }
    }
}

/// One session on one date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sitting {
    pub start_ms: i64,
    pub end_ms: i64,
    date: Date,
    session: Session,
    zone: String,
}

impl Sitting {
    /// "19:00 (Europe/London)": when the session ends.
    pub fn ends(&self) -> String {
        format!("{} ({})", self.session.end, self.zone)
    }
}

/// "Tuesday 24 November, 18:00–19:00 (Europe/London)".
impl fmt::Display for Sitting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let month = MONTHS[usize::from(self.date.month().unsigned_abs()).saturating_sub(1) % 12];
        write!(
            f,
            "{} {} {month}, {}–{} ({})",
            day_name(self.date.weekday()),
            self.date.day(),
            self.session.start,
            self.session.end,
            self.zone
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(rfc3339: &str) -> i64 {
        rfc3339
            .parse::<Timestamp>()
            .expect("a timestamp")
            .as_millisecond()
    }

    fn london() -> Zone {
        Zone::parse("Europe/London").unwrap()
    }

    fn closed_next(o: &Openness) -> &Sitting {
        match o {
            Openness::Closed { next: Some(s) } => s,
            other => panic!("expected closed with a next session, got {other:?}"),
        }
    }

    #[test]
    fn time_zones_are_checked_and_spelled_properly() {
        assert_eq!(
            Zone::parse("europe/london").unwrap().name(),
            "Europe/London"
        );
        assert_eq!(Zone::parse(" UTC ").unwrap().name(), "UTC");
        assert_eq!(Zone::parse("").unwrap_err(), ZoneError::Empty);
        let e = Zone::parse("Mars/Olympus_Mons").unwrap_err();
        assert!(
            e.to_string()
                .contains("“Mars/Olympus_Mons” is not a time zone we know")
        );
        assert!(Zone::parse("Etc/Unknown").is_err());
        assert!(Zone::parse("+01:00").is_err(), "an offset is not a zone");
    }

    #[test]
    fn a_schedule_reads_back_in_order_in_one_spelling() {
        let h = Hours::parse("thursdays 9:30 to 11:00\n\n  Tue 18:00-19:00\nTuesday 20.00 – 24:00")
            .unwrap();
        assert_eq!(
            h.to_string(),
            "Tuesday 18:00–19:00\nTuesday 20:00–24:00\nThursday 09:30–11:00"
        );
        assert_eq!(Hours::parse(&h.to_string()).unwrap(), h);
        assert!(Hours::parse("  \n ").unwrap().always_open());
    }

    #[test]
    fn a_bad_schedule_says_which_line_and_why() {
        let err = |text: &str| Hours::parse(text).unwrap_err().to_string();
        assert_eq!(
            err("Tuesday 18:00-19:00\nTusday 18:00-19:00"),
            "Line 2: start with a day of the week, such as “Tuesday 18:00–19:00”."
        );
        assert!(err("Tuesday").starts_with("Line 1: give the hours after the day"));
        assert!(err("Tuesday 18:00-25:00").contains("“25:00” is not a time of day"));
        assert!(err("Tuesday 6pm-7pm").contains("“6pm” is not a time of day"));
        assert!(err("Tuesday 19:00-18:00").contains("must end after it starts (19:00–18:00)"));
        assert!(err("Tuesday 18:00-18:00").contains("must end after it starts"));
        assert!(err("Tuesday 24:00-24:00").contains("cannot start at 24:00"));
        assert_eq!(
            err("Tuesday 18:00-19:00\nMonday 10:00-11:00\nTuesday 18:30-20:00"),
            "Line 3: Tuesday 18:30–20:00 overlaps Tuesday 18:00–19:00 (line 1); join them or change one."
        );
        let many = "Monday 10:00-10:01\n".repeat(MAX_SESSIONS + 1);
        assert!(err(&many).contains("Keep to 50 sessions a week"));
    }

    #[test]
    fn no_hours_means_always_open() {
        assert_eq!(Hours::default().at(0, &london()), Openness::Always);
        assert!(Openness::Always.is_open());
    }

    #[test]
    fn closed_before_a_session_open_during_it_closed_at_its_end() {
        let h = Hours::parse("Tuesday 18:00–19:00").unwrap();
        // Sunday 22 November 2026, London is on GMT.
        let before = h.at(ms("2026-11-22T13:13:00Z"), &london());
        let next = closed_next(&before);
        assert_eq!(
            next.to_string(),
            "Tuesday 24 November, 18:00–19:00 (Europe/London)"
        );
        assert_eq!(next.start_ms, ms("2026-11-24T18:00:00Z"));
        assert_eq!(next.end_ms, ms("2026-11-24T19:00:00Z"));
        assert!(!before.is_open());

        let during = h.at(ms("2026-11-24T18:30:00Z"), &london());
        assert!(during.is_open());
        assert_eq!(during.sitting().unwrap().ends(), "19:00 (Europe/London)");
        assert!(
            h.at(ms("2026-11-24T18:00:00Z"), &london()).is_open(),
            "opens on the minute"
        );

        let after = h.at(ms("2026-11-24T19:00:00Z"), &london());
        assert_eq!(
            closed_next(&after).to_string(),
            "Tuesday 1 December, 18:00–19:00 (Europe/London)",
            "closes on the minute; next week's follows"
        );
    }

    #[test]
    fn sessions_keep_to_the_local_clock_across_a_change_to_winter_time() {
        let h = Hours::parse("Tuesday 18:00–19:00").unwrap();
        // Tuesday 20 October 2026: summer time, 18:00 in London is 17:00 UTC.
        assert!(h.at(ms("2026-10-20T17:30:00Z"), &london()).is_open());
        // The clocks go back on Sunday 25 October. From the Wednesday before,
        // the next session is at 18:00 GMT, not a week of hours after the last.
        let next = h.at(ms("2026-10-21T12:00:00Z"), &london());
        assert_eq!(closed_next(&next).start_ms, ms("2026-10-27T18:00:00Z"));
        // So at 17:30 UTC on the 27th it is still closed, opening at 18:00 UTC.
        let early = h.at(ms("2026-10-27T17:30:00Z"), &london());
        assert_eq!(closed_next(&early).start_ms, ms("2026-10-27T18:00:00Z"));
    }

    #[test]
    fn a_session_in_the_skipped_hour_does_not_happen_that_week() {
        // Sunday 29 March 2026: London's clocks go from 01:00 to 02:00.
        let h = Hours::parse("Sunday 01:00–02:00").unwrap();
        let next = h.at(ms("2026-03-28T12:00:00Z"), &london());
        let next = closed_next(&next);
        assert_eq!(
            next.to_string(),
            "Sunday 5 April, 01:00–02:00 (Europe/London)"
        );
        assert_eq!(next.start_ms, ms("2026-04-05T00:00:00Z"), "01:00 BST");

        // One that ends in the skipped hour ends when the clocks say it.
        let h = Hours::parse("Sunday 00:30–01:30").unwrap();
        let s = h.at(ms("2026-03-29T00:45:00Z"), &london());
        assert!(s.is_open());
        assert_eq!(s.sitting().unwrap().end_ms, ms("2026-03-29T01:30:00Z"));
    }

    #[test]
    fn a_session_in_the_repeated_hour_runs_until_the_second_ending() {
        // Sunday 25 October 2026: 01:00–02:00 happens twice in London.
        let h = Hours::parse("Sunday 01:00–02:00").unwrap();
        let s = h.at(ms("2026-10-25T01:30:00Z"), &london());
        assert!(s.is_open(), "01:30 GMT, the second time round");
        let s = s.sitting().unwrap();
        assert_eq!(s.start_ms, ms("2026-10-25T00:00:00Z"), "01:00 BST");
        assert_eq!(s.end_ms, ms("2026-10-25T02:00:00Z"), "02:00 GMT");
    }

    #[test]
    fn the_day_is_the_local_day_east_of_greenwich() {
        // Monday 08:00 in Auckland (UTC+13 in November) is Sunday 19:00 UTC.
        let h = Hours::parse("Monday 08:00–09:00").unwrap();
        let auckland = Zone::parse("Pacific/Auckland").unwrap();
        assert!(h.at(ms("2026-11-22T19:30:00Z"), &auckland).is_open());
        assert!(!h.at(ms("2026-11-22T19:30:00Z"), &london()).is_open());
    }

    #[test]
    fn a_session_to_midnight_ends_at_the_next_day_start() {
        let h = Hours::parse("Saturday 23:00–24:00").unwrap();
        let s = h.at(ms("2026-11-28T23:59:00Z"), &london());
        assert_eq!(s.sitting().unwrap().end_ms, ms("2026-11-29T00:00:00Z"));
        assert!(!h.at(ms("2026-11-29T00:00:00Z"), &london()).is_open());
    }
}
