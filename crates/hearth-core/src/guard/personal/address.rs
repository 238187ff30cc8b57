//! Postal addresses: UK postcodes on their own, and a house number with a
//! street in English, German or French, with the town and postcode that
//! follow it. A German or French five-digit postcode alone is not reported:
//! without a street it is as likely a count or a price.

use std::sync::LazyLock;

use regex::Regex;

use super::{DetailKind, Hit, char_at, char_before, context, pattern};

/// A full UK postcode (outward and inward code). Upper case only: "m1 1ae"
/// in running text is far more often something else.
const UK_POSTCODE: &str = r"[A-PR-UWYZ](?:[0-9][0-9A-HJKPSTUW]?|[A-HK-Y][0-9][0-9ABEHMNPRVWXY]?)\x20?[0-9][ABD-HJLNP-UW-Z]{2}";

static POSTCODE: LazyLock<Regex> = LazyLock::new(|| pattern(&format!(r"\b{UK_POSTCODE}\b")));

/// "12 Acacia Avenue", "flat 3, 45 High Street", "4410 Oak Ridge Dr, Austin,
/// TX 78745", "7 Church Lane, Bury BL9 0SW".
static ENGLISH_STREET: LazyLock<Regex> = LazyLock::new(|| {
    pattern(&format!(
        r"(?x)
        (?:\b(?i:flat|apartment|apt\.?|unit)\s+\d{{1,4}}[A-Za-z]?,?\s+)?
        \b\d{{1,5}}[A-Za-z]?,?\s+
        (?:[A-Z][a-z'’\-]+\s+){{1,3}}
        (?P<suffix>Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Close|Way|Crescent|Cres|Grove|Gardens
          |Gdns|Place|Pl|Terrace|Court|Ct|Boulevard|Blvd|Square|Sq|Mews|Parade|Villas|Highway|Hwy
          |Parkway|Pkwy)\b\.?
        (?P<town>,\s*[A-Z][a-z]+(?:[\ \-][A-Z][a-z]+)?)?
        (?P<code>,?\s+(?:[A-Z]{{2}}\s+\d{{5}}(?:-\d{{4}})?|{UK_POSTCODE})\b)?"
    ))
});

/// "Hauptstraße 5, 10115 Berlin", "Bahnhofstr. 22", "Berliner Straße 12".
static GERMAN_STREET: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r"(?x)
        (?:[A-ZÄÖÜ][a-zäöüß]+\s(?:Straße|Strasse|Str\.|Weg|Allee|Platz|Ring|Damm|Ufer|Gasse)
            |[A-ZÄÖÜ][a-zäöüß\-]*(?P<ending>straße|strasse|str\.|weg|gasse|allee|platz|ring|damm|ufer|chaussee|steig|pfad|markt))
        \s*\d{1,4}(?:\s?[a-zA-Z]\b)?
        (?P<code>,?\s+\d{5}\s+[A-ZÄÖÜ][\wäöüß\-]+)?",
    )
});

/// "12 rue de la Paix, 75002 Paris", "8 avenue Jean Jaurès".
static FRENCH_STREET: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r"(?x)
        \b\d{1,4}(?:\s?(?:bis|ter))?,?\s+
        (?i:rue|avenue|av\.|bd|boulevard|chemin|allée|impasse|place|quai|route|cours|square|passage|résidence)\s+
        (?:(?i:de|du|des|la|le|l['’]|d['’])\s*){0,2}
        [A-ZÉÈÊ][\w'’\-]*
        (?:\s+(?:(?:de|du|des|la|le|l['’]|d['’])\s*){0,2}[A-ZÉÈÊ][\w'’\-]*){0,3}
        (?P<code>,?\s+\d{5}\s+[A-ZÉÈÊ][\w\-]+)?",
    )
});

/// "Ich wohne im Birkenweg 4", "Adresse: Am Ring 3", "schickt es an …".
static LIVING_AT: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"\b(?:wohne\w*|adresse|anschrift|schick\w*|send\w*|post)\b[^.!?]*$"));

pub(super) fn find_addresses(text: &str, hits: &mut Vec<Hit>) {
    for m in POSTCODE.find_iter(text) {
        let spaced = m.as_str().contains(' ');
        hits.push(address(m.start(), m.end(), if spaced { 0.85 } else { 0.7 }));
    }
    for caps in ENGLISH_STREET.captures_iter(text) {
        let (Some(whole), Some(suffix)) = (caps.get(0), caps.name("suffix")) else {
            continue;
        };
        // "St Thomas'" and "Dr Patel" are a saint and a doctor, not a street.
        let after_suffix = text[suffix.end()..].trim_start_matches('.');
        let titled = matches!(suffix.as_str(), "St" | "Dr")
            && caps.name("town").is_none()
            && after_suffix
                .strip_prefix(' ')
                .and_then(|rest| rest.chars().next())
                .is_some_and(char::is_uppercase);
        if titled {
            continue;
        }
        let placed = caps.name("town").is_some() || caps.name("code").is_some();
        let end = whole.end() - trailing_dot(whole.as_str(), caps.name("code").is_some());
        hits.push(address(whole.start(), end, if placed { 0.9 } else { 0.8 }));
    }
    for caps in GERMAN_STREET.captures_iter(text) {
        let Some(whole) = caps.get(0) else { continue };
        let coded = caps.name("code").is_some();
        // "Parkplatz 3" or "auf dem Heimweg 2 Stunden" is no street: these
        // endings are too common in ordinary words to count without a
        // postcode or a word about living or sending.
        let ambiguous = caps
            .name("ending")
            .is_some_and(|e| matches!(e.as_str(), "platz" | "ring" | "markt" | "weg" | "damm"));
        if ambiguous
            && !coded
            && !LIVING_AT.is_match(&context(text, whole.start(), whole.end(), 40).0)
        {
            continue;
        }
        let inside_word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
        if inside_word(char_before(text, whole.start())) || inside_word(char_at(text, whole.end()))
        {
            continue;
        }
        hits.push(address(
            whole.start(),
            whole.end(),
            if coded { 0.9 } else { 0.75 },
        ));
    }
    for caps in FRENCH_STREET.captures_iter(text) {
        let Some(whole) = caps.get(0) else { continue };
        let coded = caps.name("code").is_some();
        hits.push(address(
            whole.start(),
            whole.end(),
            if coded { 0.9 } else { 0.8 },
        ));
    }
}

/// A street ending "St." keeps its dot only when nothing follows it.
fn trailing_dot(matched: &str, coded: bool) -> usize {
    usize::from(!coded && matched.ends_with('.'))
}

fn address(start: usize, end: usize, confidence: f32) -> Hit {
    Hit {
        kind: DetailKind::PostalAddress,
        start,
        end,
        confidence,
    }
}
