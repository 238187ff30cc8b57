//! Progress of long command-line work (backup, restore, the data
//! generator) on standard error.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{HumanBytes, HumanDuration, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Progress of long work on standard error: a bar with counts and an
/// estimate when it is a terminal, otherwise a plain line every few seconds
/// (for logs and cron mail).
pub struct Progress {
    bar: ProgressBar,
    what: &'static str,
    unit: Option<&'static str>,
    last_line: Mutex<Instant>,
}

const PLAIN_EVERY: Duration = Duration::from_secs(5);

impl Progress {
    pub fn bytes(what: &'static str, total: u64) -> Self {
        Self::new(
            what,
            total,
            None,
            "{msg}: {bar:40} {bytes}/{total_bytes}, {binary_bytes_per_sec}, about {eta} left",
        )
    }

    pub fn count(what: &'static str, total: u64, unit: &'static str) -> Self {
        Self::new(
            what,
            total,
            Some(unit),
            &format!("{{msg}}: {{bar:40}} {{pos}}/{{len}} {unit}, about {{eta}} left"),
        )
    }

    fn new(what: &'static str, total: u64, unit: Option<&'static str>, template: &str) -> Self {
        let bar = ProgressBar::with_draw_target(Some(total.max(1)), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(what);
        Self {
            bar,
            what,
            unit,
            last_line: Mutex::new(Instant::now()),
        }
    }

    fn amount(&self, n: u64) -> String {
        match self.unit {
            Some(unit) => format!("{n} {unit}"),
            None => HumanBytes(n).to_string(),
        }
    }

    pub fn set(&self, done: u64) {
        let total = self.bar.length().unwrap_or(1);
        self.bar.set_position(done.min(total));
        if !self.bar.is_hidden() {
            return;
        }
        let Ok(mut last) = self.last_line.lock() else {
            return;
        };
        if last.elapsed() >= PLAIN_EVERY {
            *last = Instant::now();
            eprintln!(
                "{}: {} of {} ({} %), about {} left",
                self.what,
                self.amount(done.min(total)),
                self.amount(total),
                done.min(total) * 100 / total,
                HumanDuration(self.bar.eta())
            );
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
        eprintln!(
            "{}: {} in {}",
            self.what,
            self.amount(self.bar.position()),
            HumanDuration(self.bar.elapsed())
        );
    }
}

/// A step of long work that has no count of its own, told on standard error.
pub fn step(message: &str) {
    eprintln!("{message}");
}
