//! Watched words, as in Discourse: admins keep one list per action (block,
//! require approval, flag, replace), and every post is checked against all
//! four before it is stored.
//!
//! A list is what an admin typed into a textarea: one entry per line, blank
//! lines and `#` comments ignored. Entries match whole words only, ignoring
//! case in every script, so `Bank` never fires inside `Datenbank` (a word is a
//! run of letters, combining marks and digits; the boundary is checked only
//! next to a letter or digit, so `$$$` or `@everyone` match wherever they
//! stand). `*` stands for any run of letters or digits (`casino*`, `*pill*`);
//! the words of a phrase may be separated by any whitespace; typographic
//! apostrophes count as `'`; and `ß` and `ss` are the same letter, as German
//! readers expect. Accents are letters of their own (`cafe` is not `café`),
//! and text is not Unicode-normalised: an `é` typed as `e` plus a combining
//! accent does not match `é`. A list that does not parse is refused with its
//! line number and a reason a person can act on, so the caller can keep the
//! old list in force.
//!
//! Speed matters because this runs on every post: each list is compiled once
//! into a single regex that finds every entry in one pass, plus a set that
//! names the entry behind a match (consulted only when something matched).
//! The crisis check reuses the same matcher (`PhraseSet`), so both speak the
//! same list syntax.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock};

use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use serde::{Deserialize, Serialize};

/// The longest entry, in characters. Longer lines are almost always a pasted
/// paragraph, not a word to watch.
pub const MAX_ENTRY_CHARS: usize = 100;

/// The most entries one list may hold (the same limit Discourse uses).
pub const MAX_ENTRIES: usize = 2000;

/// The most characters one list's entries may add up to (ten per entry on
/// average at the full count). With [`MAX_ENTRIES`] and [`MAX_INNER_WILDCARDS`]
/// it bounds how large a compiled list grows, in memory (about 50 MB at worst)
/// and in time, so every list that parses also compiles and stays fast.
pub const MAX_LIST_CHARS: usize = 20_000;

/// The most `*` one list may use inside entries (as in `c*sino` or
/// `hang* myself`). Each costs the matcher a full table of the world's letters;
/// a `*` at the very start or end of an entry is handled outside the regex and
/// costs nothing, so it is not counted.
pub const MAX_INNER_WILDCARDS: usize = 100;

/// The largest list the limits above allow compiles to under 10 MB; this
/// leaves room for letters with wide case folding.
const REGEX_SIZE_LIMIT: usize = 32 << 20;
/// Room for the lazy DFA on large lists; without it the regex engine falls
/// back to a matcher that is a hundred times slower.
const DFA_SIZE_LIMIT: usize = 32 << 20;

/// What counts as part of a word: letters, combining marks and digits of any
/// script. Apostrophes, hyphens and underscores separate words.
const WORD_CLASS: &str = r"(?-i:[\p{L}\p{M}\p{N}])";
const NOT_WORD_CLASS: &str = r"(?-i:[^\p{L}\p{M}\p{N}])";

/// Characters people and keyboards use for an apostrophe.
const APOSTROPHES: [char; 4] = ['\'', '\u{2019}', '\u{2018}', '\u{02BC}'];

/// The action an admin attaches to a watched-words list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WordAction {
    Block,
    RequireApproval,
    Flag,
    Replace,
}

impl WordAction {
    pub const ALL: [WordAction; 4] = [
        WordAction::Block,
        WordAction::RequireApproval,
        WordAction::Flag,
        WordAction::Replace,
    ];

    /// The stable name used in storage and forms.
    pub fn as_str(self) -> &'static str {
        match self {
            WordAction::Block => "block",
            WordAction::RequireApproval => "require_approval",
            WordAction::Flag => "flag",
            WordAction::Replace => "replace",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            WordAction::Block => "Block",
            WordAction::RequireApproval => "Require approval",
            WordAction::Flag => "Flag",
            WordAction::Replace => "Replace",
        }
    }

    /// One sentence for the admin page, next to the list's textarea.
    pub fn explain(self) -> &'static str {
        match self {
            WordAction::Block => {
                "Posts containing these words are refused, and the author is told which word to change."
            }
            WordAction::RequireApproval => {
                "Posts containing these words wait for a moderator to approve them before anyone else sees them."
            }
            WordAction::Flag => {
                "Posts containing these words are published as usual and flagged for moderators to review."
            }
            WordAction::Replace => {
                "These words are swapped for your replacement before the post is published; write one \"word => replacement\" per line."
            }
        }
    }
}

/// The four lists exactly as the admin typed them, which is what is stored:
/// compiling is cheap enough to redo at start-up, and the admin sees their own
/// text, comments included, when they come back to edit it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WordLists {
    pub block: String,
    pub require_approval: String,
    pub flag: String,
    pub replace: String,
}

impl WordLists {
    /// The raw text of one action's list.
    pub fn text(&self, action: WordAction) -> &str {
        match action {
            WordAction::Block => &self.block,
            WordAction::RequireApproval => &self.require_approval,
            WordAction::Flag => &self.flag,
            WordAction::Replace => &self.replace,
        }
    }
}

/// Why a list was refused, pointing at the line to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{action_label} list, line {line}: {reason}", action_label = .action.label())]
pub struct WordListError {
    pub action: WordAction,
    /// 1-based, counting blank and comment lines, as a textarea shows them.
    pub line: usize,
    pub reason: String,
}

/// All four lists, compiled. The default matches nothing. Clones are cheap
/// and share the compiled matchers.
#[derive(Debug, Clone, Default)]
pub struct WatchedWords {
    block: PhraseSet,
    require_approval: PhraseSet,
    flag: PhraseSet,
    replace: PhraseSet,
    /// Indexed like the replace list's entries.
    replacements: Vec<String>,
}

/// What the watched words found in one text. Every list is checked, so a
/// moderator sees all the reasons at once; the caller decides which wins.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct WordCheck {
    pub blocked: Vec<WordHit>,
    pub require_approval: Vec<WordHit>,
    pub flagged: Vec<WordHit>,
    /// The text with every replacement applied; `None` if nothing was replaced.
    pub replaced: Option<String>,
}

/// One match: the list entry as the admin wrote it, and the byte span it
/// matched in the checked text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WordHit {
    pub entry: String,
    pub start: usize,
    pub end: usize,
}

impl WatchedWords {
    /// Compiles all four lists, refusing the first line that does not parse.
    pub fn compile(lists: &WordLists) -> Result<WatchedWords, WordListError> {
        let plain = |action: WordAction| {
            compile_list(lists.text(action), |_, line| {
                if line.contains("=>") {
                    return Err("\u{201c}=>\u{201d} only works in the Replace list; \
                         here it would be looked for as written"
                        .to_owned());
                }
                Phrase::parse(line).map(|phrase| (phrase, ()))
            })
            .map(|(set, _)| set)
            .map_err(|e| e.for_action(action))
        };
        let block = plain(WordAction::Block)?;
        let require_approval = plain(WordAction::RequireApproval)?;
        let flag = plain(WordAction::Flag)?;

        let mut replaced_on: HashMap<String, (usize, String)> = HashMap::new();
        let (replace, replacements) = compile_list(&lists.replace, |number, line| {
            let Some((entry, replacement)) = line.split_once("=>") else {
                return Err("write the replacement after \u{201c}=>\u{201d}, \
                     as in \u{201c}colour => color\u{201d}"
                    .to_owned());
            };
            let (entry, replacement) = (entry.trim(), replacement.trim());
            if entry.is_empty() {
                return Err(
                    "the entry before \u{201c}=>\u{201d} is empty; write the word to replace"
                        .to_owned(),
                );
            }
            if replacement.is_empty() {
                return Err(format!(
                    "nothing after \u{201c}=>\u{201d}; write what \u{201c}{entry}\u{201d} \
                     should become"
                ));
            }
            check_replacement(replacement)?;
            let phrase = Phrase::parse(entry)?;
            match replaced_on.get(&phrase.key) {
                Some((earlier, with)) if with != replacement => Err(format!(
                    "\u{201c}{entry}\u{201d} is already replaced with \u{201c}{with}\u{201d} \
                     on line {earlier}"
                )),
                _ => {
                    replaced_on.insert(phrase.key.clone(), (number, replacement.to_owned()));
                    Ok((phrase, replacement.to_owned()))
                }
            }
        })
        .map_err(|e| e.for_action(WordAction::Replace))?;

        Ok(WatchedWords {
            block,
            require_approval,
            flag,
            replace,
            replacements,
        })
    }

    /// Checks one text against every list.
    pub fn check(&self, text: &str) -> WordCheck {
        let hits = |set: &PhraseSet| -> Vec<WordHit> {
            set.find_iter(text)
                .map(|m| WordHit {
                    entry: set.entry(m.index).to_owned(),
                    start: m.start,
                    end: m.end,
                })
                .collect()
        };

        let mut replaced: Option<String> = None;
        let mut copied_up_to = 0;
        for m in self.replace.find_iter(text) {
            let out = replaced.get_or_insert_with(|| String::with_capacity(text.len()));
            out.push_str(&text[copied_up_to..m.start]);
            out.push_str(&self.replacements[m.index]);
            copied_up_to = m.end;
        }
        if let Some(out) = replaced.as_mut() {
            out.push_str(&text[copied_up_to..]);
        }

        WordCheck {
            blocked: hits(&self.block),
            require_approval: hits(&self.require_approval),
            flagged: hits(&self.flag),
            replaced,
        }
    }
}

/// Refuses replacements that would break a post's layout or hide text.
fn check_replacement(replacement: &str) -> Result<(), String> {
    for c in replacement.chars() {
        if matches!(
            c,
            '\r' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}'
        ) {
            return Err("the replacement contains a line break; it must stay on one line".into());
        }
        if c.is_control() && c != '\t' {
            return Err(format!("the replacement {}", invisible_character(c)));
        }
    }
    Ok(())
}

fn invisible_character(c: char) -> String {
    format!(
        "contains an invisible control character (U+{:04X}); retype the line",
        u32::from(c)
    )
}

// ---------------------------------------------------------------------------
// The phrase matcher shared with the crisis check.

/// A problem with one line of a list, before the caller names the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LineError {
    pub(crate) line: usize,
    pub(crate) reason: String,
}

impl LineError {
    fn for_action(self, action: WordAction) -> WordListError {
        WordListError {
            action,
            line: self.line,
            reason: self.reason,
        }
    }
}

/// The lines of a list that hold an entry, as (1-based line number, trimmed
/// text): blank lines and lines starting with `#` are skipped.
fn entry_lines(list: &str) -> impl Iterator<Item = (usize, &str)> {
    list.split('\n')
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
}

/// Reads a whole list: each entry line goes through `parse_line`, which may
/// attach something to the phrase (a replacement); then the list-wide limits
/// are checked and the list is compiled. A repeated entry is kept once, the
/// first time it appears. Returns the matcher and the attachments, indexed
/// like [`PhraseMatch::index`].
pub(crate) fn compile_list<T>(
    list: &str,
    mut parse_line: impl FnMut(usize, &str) -> Result<(Phrase, T), String>,
) -> Result<(PhraseSet, Vec<T>), LineError> {
    let mut phrases: Vec<(usize, Phrase)> = Vec::new();
    let mut attached = Vec::new();
    let mut seen = HashSet::new();
    let mut inner_wildcards = 0;
    let mut chars = 0;
    for (number, line) in entry_lines(list) {
        let (phrase, extra) = parse_line(number, line).map_err(|reason| LineError {
            line: number,
            reason,
        })?;
        if !seen.insert(phrase.key.clone()) {
            continue;
        }
        if phrases.len() == MAX_ENTRIES {
            return Err(LineError {
                line: number,
                reason: format!(
                    "the list is full: it may hold at most {MAX_ENTRIES} entries; \
                     a * wildcard can often stand for several"
                ),
            });
        }
        chars += phrase.entry.chars().count();
        if chars > MAX_LIST_CHARS {
            return Err(LineError {
                line: number,
                reason: format!(
                    "the list is full: its entries may add up to at most \
                     {MAX_LIST_CHARS} characters"
                ),
            });
        }
        inner_wildcards += phrase.inner_wildcards;
        if inner_wildcards > MAX_INNER_WILDCARDS {
            return Err(LineError {
                line: number,
                reason: format!(
                    "too many * inside entries: a list may use at most \
                     {MAX_INNER_WILDCARDS} (a * at the start or end of an entry does not count)"
                ),
            });
        }
        phrases.push((number, phrase));
        attached.push(extra);
    }
    let set = PhraseSet::new(&phrases)?;
    Ok((set, attached))
}

/// One checked entry, ready to compile.
#[derive(Debug, Clone)]
pub(crate) struct Phrase {
    /// As the admin wrote it (trimmed), for showing which entry matched.
    entry: String,
    /// The regex for the entry without its leading and trailing `*`.
    core: String,
    /// The entry began with `*`: any letters may come before the core.
    open_start: bool,
    /// The entry ended with `*`: any letters may follow the core.
    open_end: bool,
    bounds: Bounds,
    inner_wildcards: usize,
    /// Equal for entries that match exactly the same texts.
    key: String,
}

impl Phrase {
    /// Checks and translates one entry; the error is a reason for a person.
    pub(crate) fn parse(entry: &str) -> Result<Phrase, String> {
        let entry = entry.trim();
        if let Some(c) = entry.chars().find(|&c| c.is_control() && c != '\t') {
            return Err(format!("the entry {}", invisible_character(c)));
        }
        let length = entry.chars().count();
        if length > MAX_ENTRY_CHARS {
            return Err(format!(
                "the entry is {length} characters long; entries may be at most \
                 {MAX_ENTRY_CHARS} (one word or short phrase per line)"
            ));
        }
        if entry.chars().all(|c| c == '*' || c.is_whitespace()) {
            return Err(format!(
                "\u{201c}{entry}\u{201d} is only wildcards and would match every word; \
                 add the letters to look for"
            ));
        }

        // A `*` stuck to the first or last word is open-endedness, handled by
        // stretching the match over neighbouring letters after the regex ran.
        // A `*` standing alone (`buy * now`) or inside is a wildcard in the regex.
        let open_start = entry.starts_with('*')
            && !entry
                .trim_start_matches('*')
                .starts_with(char::is_whitespace);
        let open_end =
            entry.ends_with('*') && !entry.trim_end_matches('*').ends_with(char::is_whitespace);
        let mut body = entry;
        if open_start {
            body = body.trim_start_matches('*');
        }
        if open_end {
            body = body.trim_end_matches('*');
        }

        let bounds = Bounds {
            start: !open_start && body.chars().next().is_some_and(is_word_char),
            end: !open_end && body.chars().next_back().is_some_and(is_word_char),
        };
        let mut core = String::new();
        let mut inner_wildcards = 0;
        let mut chars = body.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                c if c.is_whitespace() => {
                    while chars.next_if(|c| c.is_whitespace()).is_some() {}
                    core.push_str(r"\s+");
                }
                '*' => {
                    while chars.next_if_eq(&'*').is_some() {}
                    core.push_str(WORD_CLASS);
                    core.push('*');
                    inner_wildcards += 1;
                }
                c if APOSTROPHES.contains(&c) => core.push_str("['\u{2019}\u{2018}\u{2BC}]"),
                'ß' | 'ẞ' => core.push_str("(?:ß|ss)"),
                's' | 'S' if chars.next_if(|c| matches!(c, 's' | 'S')).is_some() => {
                    core.push_str("(?:ss|ß)");
                }
                c => core.push_str(&regex::escape(c.encode_utf8(&mut [0; 4]))),
            }
        }
        let key = format!(
            "{}{}{}",
            u8::from(open_start),
            core.to_lowercase(),
            u8::from(open_end)
        );
        Ok(Phrase {
            entry: entry.to_owned(),
            core,
            open_start,
            open_end,
            bounds,
            inner_wildcards,
            key,
        })
    }
}

/// Which sides of a phrase the regex checks for a word boundary. A side is
/// checked only where the phrase begins (or ends) with a letter or digit and
/// has no `*` there: `$$$` or `@everyone` have no word edge to respect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Bounds {
    start: bool,
    end: bool,
}

impl Bounds {
    /// The order in which the find regex tries the kinds of phrase; the
    /// phrases of `Compiled::which` are grouped in the same order.
    const KINDS: [Bounds; 4] = [
        Bounds {
            start: true,
            end: true,
        },
        Bounds {
            start: true,
            end: false,
        },
        Bounds {
            start: false,
            end: true,
        },
        Bounds {
            start: false,
            end: false,
        },
    ];
}

/// A compiled list of phrases. The default (an empty list) matches nothing.
///
/// Cloning is cheap and shares the regexes: a cloned `Regex` would start with
/// empty caches, and warming them up costs a hundred times a search.
#[derive(Debug, Clone, Default)]
pub(crate) struct PhraseSet {
    compiled: Option<Arc<Compiled>>,
    /// The entries in the order they were given.
    entries: Arc<[String]>,
}

#[derive(Debug, Clone)]
struct Compiled {
    /// Finds every phrase in one pass, boundaries included, without capture
    /// groups: those make the regex engine's match step cost grow with the
    /// size of the list.
    find: Regex,
    /// Every phrase's core anchored at both ends, in the order `find` tries
    /// them, to name the phrase behind a match.
    which: RegexSet,
    /// For each pattern of `which`: its phrase's index in the order given.
    phrases: Vec<usize>,
    /// For each pattern of `which`: the boundaries it checks.
    bounds: Vec<Bounds>,
    /// For each pattern of `which`: whether the match stretches over the
    /// letters before and after it (`*` at the start or end).
    open: Vec<(bool, bool)>,
}

/// One phrase found in a text: which one (its index in the order given) and
/// its byte span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PhraseMatch {
    pub(crate) index: usize,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

impl PhraseSet {
    fn new(phrases: &[(usize, Phrase)]) -> Result<PhraseSet, LineError> {
        let entries: Arc<[String]> = phrases.iter().map(|(_, p)| p.entry.clone()).collect();
        let Some((last_line, _)) = phrases.last() else {
            return Ok(PhraseSet::default());
        };

        // Where several phrases could match at the same place, the regex takes
        // the first it tries: longer phrases go first, so `buy now` wins over
        // `buy`, within each kind of boundary.
        let mut order: Vec<usize> = (0..phrases.len()).collect();
        order.sort_by_key(|&i| {
            let phrase = &phrases[i].1;
            let kind = Bounds::KINDS.iter().position(|k| *k == phrase.bounds);
            let letters = phrase.entry.chars().filter(|&c| c != '*').count();
            (kind, std::cmp::Reverse(letters))
        });

        let alternation = |kind: Bounds| -> Option<String> {
            let cores: Vec<&str> = order
                .iter()
                .map(|&i| &phrases[i].1)
                .filter(|p| p.bounds == kind)
                .map(|p| p.core.as_str())
                .collect();
            (!cores.is_empty()).then(|| format!("(?:{})", cores.join("|")))
        };
        let mut after_boundary = Vec::new();
        let mut anywhere = Vec::new();
        for kind in Bounds::KINDS {
            let Some(alternation) = alternation(kind) else {
                continue;
            };
            let branch = if kind.end {
                format!("{alternation}(?:{NOT_WORD_CLASS}|$)")
            } else {
                alternation
            };
            if kind.start {
                after_boundary.push(branch);
            } else {
                anywhere.push(branch);
            }
        }
        if !after_boundary.is_empty() {
            let branches = after_boundary.join("|");
            anywhere.insert(0, format!("(?:^|{NOT_WORD_CLASS})(?:{branches})"));
        }

        let too_big = |_| LineError {
            line: *last_line,
            reason: "the list is too large to check quickly; remove some entries".to_owned(),
        };
        let find = RegexBuilder::new(&format!("(?i){}", anywhere.join("|")))
            .size_limit(REGEX_SIZE_LIMIT)
            .dfa_size_limit(DFA_SIZE_LIMIT)
            .build()
            .map_err(too_big)?;
        let which = RegexSetBuilder::new(
            order
                .iter()
                .map(|&i| format!(r"(?i)\A(?:{})\z", phrases[i].1.core)),
        )
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(DFA_SIZE_LIMIT)
        .build()
        .map_err(too_big)?;
        Ok(PhraseSet {
            compiled: Some(Arc::new(Compiled {
                find,
                which,
                bounds: order.iter().map(|&i| phrases[i].1.bounds).collect(),
                open: order
                    .iter()
                    .map(|&i| (phrases[i].1.open_start, phrases[i].1.open_end))
                    .collect(),
                phrases: order,
            })),
            entries,
        })
    }

    /// The entry behind [`PhraseMatch::index`], as the admin wrote it.
    pub(crate) fn entry(&self, index: usize) -> &str {
        &self.entries[index]
    }

    /// Every phrase in `text`, left to right, never overlapping.
    pub(crate) fn find_iter<'a>(&'a self, text: &'a str) -> impl Iterator<Item = PhraseMatch> + 'a {
        let mut at = 0;
        std::iter::from_fn(move || {
            let compiled = self.compiled.as_ref()?;
            while at < text.len() {
                let found = compiled.find.find_at(text, at)?;
                let identified = compiled.identify(text, found.start(), found.end());
                // Resume where the phrase ends, not where the match does: the
                // character after a word is also the boundary before the next.
                at = identified.map_or(found.end(), |(_, _, end)| end.max(found.start() + 1));
                while !text.is_char_boundary(at) {
                    at += 1;
                }
                let Some((pattern, start, end)) = identified else {
                    // Unreachable: `which` holds the very phrases `find` does.
                    continue;
                };
                let (open_start, open_end) = compiled.open[pattern];
                let start = if open_start {
                    word_run_before(text, start)
                } else {
                    start
                };
                let end = if open_end {
                    word_run_after(text, end)
                } else {
                    end
                };
                at = at.max(end);
                return Some(PhraseMatch {
                    index: compiled.phrases[pattern],
                    start,
                    end,
                });
            }
            None
        })
    }
}

impl Compiled {
    /// Names the phrase behind a match of `find` spanning `start..end`, and
    /// where the phrase itself sits once the boundary characters the match
    /// took in are left out: (pattern of `which`, start, end).
    ///
    /// A phrase that checks its start boundary begins with a letter or digit,
    /// so a match of it begins either with the boundary character before it
    /// or, at the very start of the text, with the phrase itself; likewise at
    /// its end. That gives each kind of phrase one candidate span. Among the
    /// phrases that match their kind's candidate exactly, the first in the
    /// order `find` tries them is the one it found: any phrase tried earlier
    /// that fits would have been taken instead.
    fn identify(&self, text: &str, start: usize, end: usize) -> Option<(usize, usize, usize)> {
        let first = text[start..end].chars().next()?;
        let last = text[start..end].chars().next_back()?;
        let after_boundary = if !is_word_char(first) {
            Some(start + first.len_utf8())
        } else if start == 0 {
            Some(start)
        } else {
            None
        };
        let before_boundary = if !is_word_char(last) {
            Some(end - last.len_utf8())
        } else if end == text.len() {
            Some(end)
        } else {
            None
        };
        let mut tried: Vec<((usize, usize), regex::SetMatches)> = Vec::with_capacity(4);
        for kind in Bounds::KINDS {
            let core_start = if kind.start {
                after_boundary
            } else {
                Some(start)
            };
            let core_end = if kind.end { before_boundary } else { Some(end) };
            let (Some(core_start), Some(core_end)) = (core_start, core_end) else {
                continue;
            };
            if core_start >= core_end {
                continue;
            }
            let span = (core_start, core_end);
            let matches = match tried.iter().position(|(s, _)| *s == span) {
                Some(i) => &tried[i].1,
                None => {
                    tried.push((span, self.which.matches(&text[core_start..core_end])));
                    &tried[tried.len() - 1].1
                }
            };
            if let Some(pattern) = matches.iter().find(|&p| self.bounds[p] == kind) {
                return Some((pattern, core_start, core_end));
            }
        }
        None
    }
}

/// Whether `c` is part of a word: a letter, combining mark or digit.
fn is_word_char(c: char) -> bool {
    static WORD: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\A[\p{L}\p{M}\p{N}]\z").expect("a constant, valid regex"));
    c.is_ascii_alphanumeric() || (!c.is_ascii() && WORD.is_match(c.encode_utf8(&mut [0; 4])))
}

/// Where the run of word characters ending at `at` begins.
fn word_run_before(text: &str, at: usize) -> usize {
    static RUN: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"[\p{L}\p{M}\p{N}]*\z").expect("a constant, valid regex"));
    RUN.find(&text[..at]).map_or(at, |m| m.start())
}

/// Where the run of word characters starting at `at` ends.
fn word_run_after(text: &str, at: usize) -> usize {
    static RUN: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\A[\p{L}\p{M}\p{N}]*").expect("a constant, valid regex"));
    at + RUN.find(&text[at..]).map_or(0, |m| m.end())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocking(list: &str) -> WatchedWords {
        WatchedWords::compile(&WordLists {
            block: list.to_owned(),
            ..WordLists::default()
        })
        .expect("list compiles")
    }

    /// The blocked entries and the text each matched.
    fn blocked<'t>(words: &WatchedWords, text: &'t str) -> Vec<(String, &'t str)> {
        words
            .check(text)
            .blocked
            .into_iter()
            .map(|hit| (hit.entry, &text[hit.start..hit.end]))
            .collect()
    }

    fn entries(words: &WatchedWords, text: &str) -> Vec<String> {
        blocked(words, text)
            .into_iter()
            .map(|(entry, _)| entry)
            .collect()
    }

    fn replacing(list: &str) -> WatchedWords {
        WatchedWords::compile(&WordLists {
            replace: list.to_owned(),
            ..WordLists::default()
        })
        .expect("list compiles")
    }

    fn refusal(lists: WordLists) -> WordListError {
        WatchedWords::compile(&lists).expect_err("list is refused")
    }

    #[test]
    fn entries_match_whole_words_only() {
        let words = blocking("Bank");
        assert_eq!(
            blocked(&words, "Die Bank, the BANK and a bank."),
            vec![
                ("Bank".to_owned(), "Bank"),
                ("Bank".to_owned(), "BANK"),
                ("Bank".to_owned(), "bank"),
            ]
        );
        assert!(blocked(&words, "Datenbank, banker, banks, bank2, 2bank").is_empty());
        // Apostrophes, hyphens and underscores separate words.
        assert_eq!(
            entries(&words, "the bank's, bank-holiday, my_bank").len(),
            3
        );
    }

    #[test]
    fn case_is_ignored_in_every_script() {
        let words = blocking("café\nStraße\nΑθήνα\nказино\nÄrger");
        assert_eq!(entries(&words, "CAFÉ"), ["café"]);
        assert_eq!(entries(&words, "ΑΘΉΝΑ and αθήνα"), ["Αθήνα", "Αθήνα"]);
        assert_eq!(entries(&words, "онлайн КАЗИНО"), ["казино"]);
        assert_eq!(entries(&words, "so ein ärger"), ["Ärger"]);
        // Accents are letters of their own, and a word boundary is a Unicode one.
        assert!(entries(&words, "cafe, cafés, Госказино, Ärgernis").is_empty());
    }

    #[test]
    fn sharp_s_and_double_s_are_the_same_letter() {
        let words = blocking("Straße\nSchluss");
        assert_eq!(
            entries(&words, "STRASSE, strasse, STRAẞE, Schluß, SCHLUSS"),
            ["Straße", "Straße", "Straße", "Schluss", "Schluss"]
        );
    }

    #[test]
    fn wildcards_stand_for_any_run_of_letters() {
        let words = blocking("casino*\n*pill*\nc*ster\nbuy * now");
        assert_eq!(
            blocked(
                &words,
                "Casinos! casino. sleepingpills, PILL, coaster, buy it now"
            ),
            vec![
                ("casino*".to_owned(), "Casinos"),
                ("casino*".to_owned(), "casino"),
                ("*pill*".to_owned(), "sleepingpills"),
                ("*pill*".to_owned(), "PILL"),
                ("c*ster".to_owned(), "coaster"),
                ("buy * now".to_owned(), "buy it now"),
            ]
        );
        // A wildcard stays inside the word; it never swallows punctuation.
        assert!(entries(&words, "megacasino, co-ster, buy, now").is_empty());
        assert_eq!(blocked(&words, "la casinoçà!")[0].1, "casinoçà");
    }

    #[test]
    fn boundaries_are_checked_only_next_to_letters_and_digits() {
        let words = blocking("$$$\n@everyone\nc++");
        assert_eq!(
            blocked(&words, "win$$$ now, hey@everyone, c++, abc++"),
            vec![
                ("$$$".to_owned(), "$$$"),
                ("@everyone".to_owned(), "@everyone"),
                ("c++".to_owned(), "c++"),
            ]
        );
    }

    #[test]
    fn the_entry_named_is_the_one_that_matched() {
        // "pill" and "*pill" share their letters; only one fits each place.
        let words = blocking("pill\n*pill\npill*");
        assert_eq!(
            blocked(&words, "sleepingpill pill pills"),
            vec![
                ("*pill".to_owned(), "sleepingpill"),
                ("pill".to_owned(), "pill"),
                ("pill*".to_owned(), "pills"),
            ]
        );
    }

    #[test]
    fn phrases_match_across_any_whitespace() {
        let words = blocking("buy now");
        assert_eq!(
            blocked(&words, "BUY\n  now, buy\u{a0}now, buy\tnow"),
            vec![
                ("buy now".to_owned(), "BUY\n  now"),
                ("buy now".to_owned(), "buy\u{a0}now"),
                ("buy now".to_owned(), "buy\tnow"),
            ]
        );
        assert!(entries(&words, "buynow, buy nowhere, buy-now").is_empty());
    }

    #[test]
    fn typographic_apostrophes_count_as_plain_ones() {
        let words = blocking("don't\ncan’t");
        assert_eq!(
            entries(&words, "I don’t, I can't, I DON'T, I can‘t"),
            ["don't", "can’t", "don't", "can’t"]
        );
        assert!(entries(&words, "dont, cant").is_empty());
    }

    #[test]
    fn hits_are_byte_spans_in_the_text() {
        let words = blocking("casino");
        let text = "Grüße aus dem Casino 🎰";
        let hits = words.check(text).blocked;
        assert_eq!(
            hits,
            vec![WordHit {
                entry: "casino".to_owned(),
                start: 16,
                end: 22
            }]
        );
        assert_eq!(&text[16..22], "Casino");
    }

    #[test]
    fn every_occurrence_is_found_even_side_by_side() {
        let words = blocking("spam");
        assert_eq!(entries(&words, "spam spam,spam").len(), 3);
    }

    #[test]
    fn the_longer_entry_wins_where_two_start_together() {
        let words = blocking("buy\nbuy now");
        assert_eq!(entries(&words, "buy now"), ["buy now"]);
        assert_eq!(entries(&words, "buy nowhere"), ["buy"]);
    }

    #[test]
    fn lists_typed_on_windows_read_the_same() {
        let words = blocking("# comment\r\ncasino\r\n\r\nbuy now\r\n");
        assert_eq!(entries(&words, "casino, buy now"), ["casino", "buy now"]);
        let error = refusal(WordLists {
            block: "ok\r\n*\r\n".to_owned(),
            ..WordLists::default()
        });
        assert_eq!(error.line, 2);
    }

    #[test]
    fn repeated_entries_are_kept_once() {
        let words = blocking("casino\nCasino\ncasino");
        assert_eq!(entries(&words, "casino"), ["casino"]);
    }

    #[test]
    fn every_list_is_checked() {
        let words = WatchedWords::compile(&WordLists {
            block: "scam".to_owned(),
            require_approval: "http*".to_owned(),
            flag: "idiot".to_owned(),
            replace: "colour => color".to_owned(),
        })
        .expect("lists compile");
        let check = words.check("What a scam, idiot: https colour");
        assert_eq!(check.blocked.len(), 1);
        assert_eq!(check.require_approval[0].entry, "http*");
        assert_eq!(check.flagged[0].entry, "idiot");
        assert_eq!(
            check.replaced.as_deref(),
            Some("What a scam, idiot: https color")
        );
    }

    #[test]
    fn replacements_apply_to_every_occurrence() {
        let words = replacing("# spelling\ncolour => color\n*pill* => [medicine]");
        let check = words.check("Colour, COLOUR and colour of sleepingpills.");
        assert_eq!(
            check.replaced.as_deref(),
            Some("color, color and color of [medicine].")
        );
        assert!(check.blocked.is_empty());
    }

    #[test]
    fn a_text_without_replacements_is_left_alone() {
        let words = replacing("colour => color");
        assert_eq!(words.check("colours and colourful").replaced, None);
    }

    #[test]
    fn empty_lists_match_nothing() {
        let text = "casino spam buy now";
        assert_eq!(WatchedWords::default().check(text), WordCheck::default());
        let comments_only = WordLists {
            block: "# nothing yet\n\n   \n".to_owned(),
            require_approval: String::new(),
            flag: "\n".to_owned(),
            replace: "# colour => color".to_owned(),
        };
        let words = WatchedWords::compile(&comments_only).expect("lists compile");
        assert_eq!(words.check(text), WordCheck::default());
        assert_eq!(words.check(""), WordCheck::default());
    }

    #[test]
    fn an_entry_of_only_wildcards_is_refused_with_its_line() {
        let error = refusal(WordLists {
            flag: "# comment\n\ncasino\n * * ".to_owned(),
            ..WordLists::default()
        });
        assert_eq!(error.action, WordAction::Flag);
        assert_eq!(error.line, 4);
        assert!(error.reason.contains("only wildcards"), "{error}");
    }

    #[test]
    fn an_overlong_entry_is_refused_with_its_line() {
        let error = refusal(WordLists {
            require_approval: format!("ok\n{}", "é".repeat(MAX_ENTRY_CHARS + 1)),
            ..WordLists::default()
        });
        assert_eq!((error.action, error.line), (WordAction::RequireApproval, 2));
        assert!(error.reason.contains("101 characters"), "{error}");
        assert!(
            error
                .to_string()
                .starts_with("Require approval list, line 2: ")
        );
        // Exactly at the limit is fine, counted in characters, not bytes.
        assert!(
            blocking(&"é".repeat(MAX_ENTRY_CHARS))
                .check("")
                .blocked
                .is_empty()
        );
    }

    #[test]
    fn a_replace_line_without_arrow_is_refused_with_its_line() {
        let error = refusal(WordLists {
            replace: "colour => color\ncentre -> center".to_owned(),
            ..WordLists::default()
        });
        assert_eq!((error.action, error.line), (WordAction::Replace, 2));
        assert_eq!(
            error.to_string(),
            "Replace list, line 2: write the replacement after “=>”, as in “colour => color”"
        );
    }

    #[test]
    fn a_replace_line_must_have_both_sides() {
        let error = refusal(WordLists {
            replace: "=> color".to_owned(),
            ..WordLists::default()
        });
        assert_eq!(error.line, 1);
        assert!(error.reason.contains("empty"), "{error}");

        let error = refusal(WordLists {
            replace: "\ncolour =>  ".to_owned(),
            ..WordLists::default()
        });
        assert_eq!(error.line, 2);
        assert!(error.reason.contains("nothing after"), "{error}");
    }

    #[test]
    fn a_replacement_with_a_line_break_is_refused() {
        for line_break in ['\r', '\u{2028}', '\u{85}'] {
            let error = refusal(WordLists {
                replace: format!("a => b\ncolour => col{line_break}or"),
                ..WordLists::default()
            });
            assert_eq!(error.line, 2);
            assert!(error.reason.contains("line break"), "{error}");
        }
    }

    #[test]
    fn control_characters_are_refused() {
        let error = refusal(WordLists {
            block: "cas\u{7}ino".to_owned(),
            ..WordLists::default()
        });
        assert_eq!((error.action, error.line), (WordAction::Block, 1));
        assert!(error.reason.contains("U+0007"), "{error}");

        let error = refusal(WordLists {
            replace: "a => b\u{1b}".to_owned(),
            ..WordLists::default()
        });
        assert_eq!(
            error.reason,
            "the replacement contains an invisible control character (U+001B); retype the line"
        );
    }

    #[test]
    fn an_arrow_outside_the_replace_list_is_refused() {
        let error = refusal(WordLists {
            flag: "fine\ncolour => color".to_owned(),
            ..WordLists::default()
        });
        assert_eq!((error.action, error.line), (WordAction::Flag, 2));
        assert!(error.reason.contains("Replace list"), "{error}");
    }

    #[test]
    fn one_entry_cannot_have_two_replacements() {
        let error = refusal(WordLists {
            replace: "colour => color\n\nCOLOUR => hue".to_owned(),
            ..WordLists::default()
        });
        assert_eq!(error.line, 3);
        assert!(error.reason.contains("line 1"), "{error}");
        // The same replacement twice is harmless.
        replacing("colour => color\ncolour => color");
    }

    #[test]
    fn the_first_list_with_a_problem_is_named() {
        let error = refusal(WordLists {
            block: "fine".to_owned(),
            require_approval: "*".to_owned(),
            flag: "**".to_owned(),
            replace: String::new(),
        });
        assert_eq!(error.action, WordAction::RequireApproval);
    }

    #[test]
    fn a_list_may_not_grow_past_its_limits() {
        let full: String = (0..MAX_ENTRIES).map(|i| format!("word{i}\n")).collect();
        let error = refusal(WordLists {
            block: format!("{full}\none more"),
            ..WordLists::default()
        });
        assert_eq!(error.line, MAX_ENTRIES + 2);
        assert!(error.reason.contains("at most 2000 entries"), "{error}");

        let long = format!("{}\n", "x".repeat(MAX_ENTRY_CHARS));
        let long: String = (0..=MAX_LIST_CHARS / MAX_ENTRY_CHARS)
            .map(|i| format!("{i:03}{}", &long[3..]))
            .collect();
        let error = refusal(WordLists {
            block: long,
            ..WordLists::default()
        });
        assert_eq!(error.line, MAX_LIST_CHARS / MAX_ENTRY_CHARS + 1);
        assert!(error.reason.contains("20000 characters"), "{error}");

        let wild: String = (0..=MAX_INNER_WILDCARDS)
            .map(|i| format!("w*rd{i}\n"))
            .collect();
        let error = refusal(WordLists {
            flag: wild,
            ..WordLists::default()
        });
        assert_eq!(error.line, MAX_INNER_WILDCARDS + 1);
        // Wildcards at the ends of entries cost nothing and are not counted.
        let open: String = (0..=MAX_INNER_WILDCARDS)
            .map(|i| format!("*word{i}*\n"))
            .collect();
        assert_eq!(entries(&blocking(&open), "xword7x").len(), 1);
    }

    #[test]
    fn the_largest_list_the_limits_allow_compiles_and_matches() {
        // Long entries in several scripts using every inner wildcard allowed,
        // then short ones up to the entry count: every limit at once.
        let letters: Vec<char> = "abcdefghijklmnopqrstuvwxyzäöüßéçαβγδжзий".chars().collect();
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut letter = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            letters[(seed % letters.len() as u64) as usize]
        };
        let mut list = String::new();
        let mut chars = 0;
        for i in 0..MAX_ENTRIES {
            let length = if i < MAX_INNER_WILDCARDS {
                MAX_ENTRY_CHARS
            } else {
                (MAX_LIST_CHARS - chars) / (MAX_ENTRIES - i)
            };
            let mut entry: String = (0..length).map(|_| letter()).collect();
            if i < MAX_INNER_WILDCARDS {
                let middle = entry.char_indices().nth(length / 2).map_or(0, |(b, _)| b);
                entry.replace_range(
                    middle..middle + entry[middle..].chars().next().map_or(0, char::len_utf8),
                    "*",
                );
            }
            chars += length;
            list.push_str(&entry);
            list.push('\n');
        }
        let words = blocking(&list);
        assert_eq!(words.block.entries.len(), MAX_ENTRIES);
        let first = list.lines().next().expect("a first entry");
        let last = list.lines().last().expect("a last entry");
        let text = format!("so {} it is, {last}", first.replace('*', "middle"));
        assert_eq!(entries(&words, &text), [first, last]);
        assert!(entries(&words, "nothing to see here").is_empty());
    }

    #[test]
    fn actions_have_stable_names_labels_and_explanations() {
        for action in WordAction::ALL {
            let json = serde_json::to_string(&action).expect("serialises");
            assert_eq!(json, format!("\"{}\"", action.as_str()));
            assert!(!action.label().is_empty());
            assert!(action.explain().ends_with('.'));
        }
        assert_eq!(WordAction::RequireApproval.label(), "Require approval");
    }
}
