//! Progress of long command-line work (the data generator): a bar with
//! counts, rate and time left on a terminal, and a plain line every few
//! seconds otherwise (a log file or a pipe gets no escape codes).

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How often a plain line is written when standard error is not a terminal.
const LINE_EVERY: Duration = Duration::from_secs(10);

pub struct Progress {
    bar: Option<ProgressBar>,
    noun: &'static str,
    total: u64,
    done: u64,
    started: Instant,
    last_line: Instant,
}

impl Progress {
    /// Counts `total` things called `noun` (plural), on standard error.
    pub fn new(total: u64, noun: &'static str) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            let template = format!(
                "{{bar:40}} {{human_pos}} of {{human_len}} {noun}, {{per_sec}}, about {{eta}} left"
            );
            bar.set_style(
                ProgressStyle::with_template(&template)
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        });
        let now = Instant::now();
        Self {
            bar,
            noun,
            total,
            done: 0,
            started: now,
            last_line: now,
        }
    }

    pub fn set(&mut self, done: u64) {
        self.done = done;
        match &self.bar {
            Some(bar) => bar.set_position(done),
            None if self.last_line.elapsed() >= LINE_EVERY => {
                self.last_line = Instant::now();
                eprintln!("{}", self.line());
            }
            None => {}
        }
    }

    /// "1200000 of 10000000 posts (12.0 %), 15300 a second, about 9 min 35 s left"
    fn line(&self) -> String {
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        let rate = self.done as f64 / secs;
        let left = if rate > 0.0 {
            format!(
                ", about {} left",
                human_duration((self.total - self.done.min(self.total)) as f64 / rate)
            )
        } else {
            String::new()
        };
        format!(
            "{} of {} {} ({:.1} %), {:.0} a second{left}",
            self.done,
            self.total,
            self.noun,
            100.0 * self.done as f64 / self.total.max(1) as f64,
            rate,
        )
    }

    pub fn finish(self) {
        match self.bar {
            Some(bar) => bar.finish(),
            None => eprintln!("{}", self.line()),
        }
    }
}

/// A step of long work that has no count, told on standard error.
pub fn step(message: &str) {
    eprintln!("{message}");
}

pub fn human_duration(secs: f64) -> String {
    let secs = secs.max(0.0).round() as u64;
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min {} s", secs / 60, secs % 60),
        _ => format!("{} h {} min", secs / 3600, (secs % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(human_duration(4.4), "4 s");
        assert_eq!(human_duration(575.0), "9 min 35 s");
        assert_eq!(human_duration(7260.0), "2 h 1 min");
    }

    #[test]
    fn a_plain_line_gives_counts_rate_and_time_left() {
        let mut p = Progress {
            bar: None,
            noun: "posts",
            total: 1000,
            done: 0,
            started: Instant::now() - Duration::from_secs(10),
            last_line: Instant::now(),
        };
        p.set(250);
        let line = p.line();
        assert!(
            line.starts_with("250 of 1000 posts (25.0 %), 25 a second"),
            "{line}"
        );
        assert!(line.ends_with("about 30 s left"), "{line}");
    }
}
