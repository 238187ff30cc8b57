//! Full names in a self-introduction: "my name is Jane Smith", "ich heiße
//! Anna Müller", "je m'appelle Marie Dubois". Only a first and a last name
//! count (a first name alone is how members often sign off), and the span is
//! the name itself, without the cue or a title.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

use super::{DetailKind, Hit, ceil_boundary, pattern};

/// Cues that introduce a name and nothing else.
static STRONG_CUE: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r"(?ix)\b(?: my\s+(?:full\s+|real\s+)?name\s+is | my\s+name['’]s
                | ich\s+hei(?:ß|ss)e | mein\s+(?:richtiger\s+)?name\s+ist
                | je\s+m['’]appelle | mon\s+(?:vrai\s+)?nom\s+(?:est|c['’]est) )\s+",
    )
});

/// Cues that introduce a name or anything else ("I'm tired", "je suis
/// fatiguée"), so the name after them must look unmistakably like one.
/// German "ich bin" is left out: German capitalises every noun.
static WEAK_CUE: LazyLock<Regex> = LazyLock::new(|| pattern(r"(?i)\b(?:i['’]m|i\s+am)\s+"));

/// "Je suis" introduces a name less often still than "I'm" does.
static WEAKER_CUE: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"(?i)\b(?:je\s+suis|moi\s*,?\s*c['’]est)\s+"));

/// First name, an optional middle name, last name; particles such as "van"
/// or "de" may sit before the last name. A title before it is skipped.
static NAME: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r"(?x)^
        (?:(?:Mr|Mrs|Ms|Miss|Dr|Frau|Herr|Madame|Mme|Monsieur)\.?\s+)?
        (?P<name>
          (?:[OD]['’]|Mc|Mac)?\p{Lu}\p{Ll}+(?:-\p{Lu}\p{Ll}+)?
          (?:\s+(?:(?:van|von|de|du|der|den|di|da|le|la|del|della|ter|zu|bin|al|el)\s+){0,2}
             (?:[OD]['’]|Mc|Mac)?\p{Lu}\p{Ll}+(?:-\p{Lu}\p{Ll}+)?){1,2}
        )",
    )
});

/// Capitalised words that follow "I'm" without being a name: members
/// write in Title Case for emphasis ("I'm Grateful Every Day"), and name
/// their stage, their family role or their nationality.
const ORDINARY_WORDS: &str = "\
    Grateful Every Day Today Time Always Never Forever Great Good Better Best Well Strong \
    Brave Blessed Thankful Proud Sick Ill Bald Survivor Warrior Fighter Hope Love Life \
    One Two Three Infirmière Infirmier Libérale Libéral Aide Soignante Mamie Retraitée \
    Retraité Not Of And For To With From Post Pre Church So Really Just Still Stage Very \
    Also Now Here Back Sorry Fine Ok Okay The My Your A An In On At Grade Triple Negative \
    Positive Happy Glad Lucky Scared Worried Tired Ready Done Married Single Retired \
    British English Irish Scottish Welsh French German American Canadian Australian \
    Française Français Allemand Allemande Anglaise Anglais Belge Suisse Catholic \
    Christian Muslim Jewish Mum Mom Dad Nan Mother Father Wife Husband Daughter Son \
    Sister Brother Carer Patient Nurse Doctor Hi Hello Bonjour Hallo Thanks Thank New \
    Newly Home Off Over Through Under Terrified Exhausted Stable Clear Cancer Chemo Free \
    Her His Stade Maman Papa Malade Enceinte Veuve Veuf Sie Dich Euch Ihnen Monday \
    Tuesday Wednesday Thursday Friday Saturday Sunday Feeling Going Getting Doing Having \
    Trying Struggling Waiting Hoping Praying Living Being Coping Dealing Finding Starting \
    Finishing";

static NOT_NAMES: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| ORDINARY_WORDS.split_whitespace().collect());

pub(super) fn find_full_names(text: &str, hits: &mut Vec<Hit>) {
    introduced(text, &STRONG_CUE, 0.9, hits);
    introduced(text, &WEAK_CUE, 0.7, hits);
    introduced(text, &WEAKER_CUE, 0.6, hits);
}

fn introduced(text: &str, cue: &Regex, confidence: f32, hits: &mut Vec<Hit>) {
    for m in cue.find_iter(text) {
        // A name is short; a long haystack only makes the capture search
        // allocate more.
        let rest = &text[m.end()..ceil_boundary(text, m.end() + 80)];
        let Some(name) = NAME.captures(rest).and_then(|c| c.name("name")) else {
            continue;
        };
        let words: Vec<&str> = name.as_str().split_whitespace().collect();
        // "I'm Feeling Great": gerunds open sentences, rarely first names.
        let first_is_verb = words.first().is_some_and(|w| w.ends_with("ing"));
        let ordinary = |w: &&str| NOT_NAMES.contains(w);
        if first_is_verb || words.iter().any(ordinary) {
            continue;
        }
        hits.push(Hit {
            kind: DetailKind::FullName,
            start: m.end() + name.start(),
            end: m.end() + name.end(),
            confidence,
        });
    }
}
