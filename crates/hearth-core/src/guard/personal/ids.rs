//! Health and identity numbers (NHS number, US Social Security number,
//! French NIR, German Krankenversichertennummer) and hospital or record
//! numbers.
//!
//! Where a number carries a checksum, a number that passes it is reported on
//! its shape alone; one that fails is reported, less surely, only when a
//! strong context word names it (members mistype their own numbers). Record
//! numbers have no common shape at all, so they are only ever reported after
//! a word such as "MRN" or "Patientennummer".

use std::sync::LazyLock;

use regex::Regex;

use super::{DetailKind, Hit, char_at, context, pattern};

/// How far either side of a number a naming word may sit.
const CONTEXT_REACH: usize = 60;

static NHS_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"\b(\d{3})([ \-]?)(\d{3})([ \-]?)(\d{4})\b"));
/// Scotland's CHI and Northern Ireland's H&C numbers share the NHS checksum.
static NHS_CONTEXT: LazyLock<Regex> = LazyLock::new(|| pattern(r"\bnhs\b|\bchi\b|\bh\s?&\s?c\b"));

static SSN: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"\b(\d{3})([ \-]?)(\d{2})([ \-]?)(\d{4})\b"));
static SSN_CONTEXT: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"\bssn\b|\bsocial\s+security\b|\bss#"));

/// 15 characters: sex, year, month, department (2A/2B for Corsica), commune,
/// order, key; people group them with spaces or dots.
static NIR: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"\b[1-478](?:[ .]?\d){4}[ .]?(?:\d[ .]?\d|2[ABab])(?:[ .]?\d){8}\b"));
static NIR_CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    pattern(r"\bs[ée]cu\b|s[ée]curit[ée]\s+sociale|\bnir\b|carte\s+vitale|\binsee\b")
});

static KVNR: LazyLock<Regex> = LazyLock::new(|| pattern(r"\b[A-Z]\d{9}\b"));
static KVNR_CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r"versicherten-?\s?nummer|versicherungsnummer|\bkvnr\b|gesundheitskarte|versichertenkarte|krankenkasse|\bkasse\b|\begk\b",
    )
});

pub(super) fn find_national_ids(text: &str, hits: &mut Vec<Hit>) {
    if !has_digit_cluster(text) {
        return;
    }
    for caps in NHS_NUMBER.captures_iter(text) {
        let Some(m) = caps.get(0) else { continue };
        let (sep1, sep2) = (&caps[2], &caps[4]);
        if sep1 != sep2 {
            continue;
        }
        let named = named_nearby(text, m.start(), m.end(), &NHS_CONTEXT);
        let confidence = match (nhs_checksum_ok(m.as_str()), named) {
            (true, true) => 0.95,
            // One random ten-digit number in eleven passes mod 11, so the
            // bare shape is only worth a warning when written 3-3-4.
            (true, false) if !sep1.is_empty() => 0.6,
            (false, true) => 0.7,
            _ => continue,
        };
        hits.push(id(m.start(), m.end(), confidence));
    }
    for caps in SSN.captures_iter(text) {
        let Some(m) = caps.get(0) else { continue };
        let (sep1, sep2) = (&caps[2], &caps[4]);
        if sep1 != sep2 || !clear_after(text, m.end()) {
            continue;
        }
        let named = named_nearby(text, m.start(), m.end(), &SSN_CONTEXT);
        let valid = ssn_ranges_ok(&caps[1], &caps[3], &caps[5]);
        let confidence = match (valid, named) {
            (true, true) => 0.95,
            // 123-45-6789 is the shape everyone knows; with spaces or none it
            // could be anything.
            (true, false) if sep1 == "-" => 0.8,
            (false, true) => 0.6,
            _ => continue,
        };
        hits.push(id(m.start(), m.end(), confidence));
    }
    for m in NIR.find_iter(text) {
        let named = named_nearby(text, m.start(), m.end(), &NIR_CONTEXT);
        let confidence = match (nir_key_ok(m.as_str()), named) {
            (true, true) => 0.97,
            (true, false) => 0.9,
            (false, true) => 0.65,
            (false, false) => continue,
        };
        hits.push(id(m.start(), m.end(), confidence));
    }
    for m in KVNR.find_iter(text) {
        let named = named_nearby(text, m.start(), m.end(), &KVNR_CONTEXT);
        let confidence = match (kvnr_check_ok(m.as_str()), named) {
            (true, true) => 0.95,
            (true, false) => 0.75,
            (false, true) => 0.65,
            (false, false) => continue,
        };
        hits.push(id(m.start(), m.end(), confidence));
    }
}

/// Whether some 16 bytes of `text` hold nine digits or more, as every
/// number above does however it is grouped. Most posts have no such run, and
/// this scan costs far less than the four patterns.
fn has_digit_cluster(text: &str) -> bool {
    const WINDOW: usize = 16;
    const DIGITS: usize = 9;
    let bytes = text.as_bytes();
    let mut in_window = 0;
    for (i, b) in bytes.iter().enumerate() {
        in_window += usize::from(b.is_ascii_digit());
        if i >= WINDOW {
            in_window -= usize::from(bytes[i - WINDOW].is_ascii_digit());
        }
        if in_window >= DIGITS {
            return true;
        }
    }
    false
}

fn id(start: usize, end: usize, confidence: f32) -> Hit {
    Hit {
        kind: DetailKind::NationalId,
        start,
        end,
        confidence,
    }
}

fn named_nearby(text: &str, start: usize, end: usize, words: &Regex) -> bool {
    let (before, after) = context(text, start, end, CONTEXT_REACH);
    words.is_match(&before) || words.is_match(&after)
}

/// A number followed by a unit or a decimal is a measurement.
fn clear_after(text: &str, end: usize) -> bool {
    !matches!(char_at(text, end), Some('%' | '.' | ',') if text[end + 1..].starts_with(|c: char| c.is_ascii_digit()))
}

fn digits_of(s: &str) -> Vec<u32> {
    s.chars().filter_map(|c| c.to_digit(10)).collect()
}

/// NHS numbers: weights 10 down to 2 on the first nine digits; the check
/// digit is 11 minus the sum mod 11 (11 reads as 0, 10 is never issued).
fn nhs_checksum_ok(number: &str) -> bool {
    let digits = digits_of(number);
    let [body @ .., check] = digits.as_slice() else {
        return false;
    };
    if body.len() != 9 {
        return false;
    }
    let sum: u32 = body.iter().zip((2..=10).rev()).map(|(d, w)| d * w).sum();
    match 11 - sum % 11 {
        11 => *check == 0,
        10 => false,
        expected => *check == expected,
    }
}

/// SSA never issues area 000, 666 or 900–999, group 00 or serial 0000.
fn ssn_ranges_ok(area: &str, group: &str, serial: &str) -> bool {
    area != "000" && area != "666" && !area.starts_with('9') && group != "00" && serial != "0000"
}

/// NIR key: 97 minus the first 13 digits mod 97, with Corsica's 2A and 2B
/// counted as 19 and 18.
fn nir_key_ok(number: &str) -> bool {
    let compact: String = number.chars().filter(|c| !matches!(c, ' ' | '.')).collect();
    let compact = compact.to_ascii_uppercase();
    if compact.len() != 15 {
        return false;
    }
    let (body, key) = compact.split_at(13);
    let body = match &body[5..7] {
        "2A" => format!("{}19{}", &body[..5], &body[7..]),
        "2B" => format!("{}18{}", &body[..5], &body[7..]),
        _ => body.to_owned(),
    };
    let month = body[3..5].parse::<u32>().unwrap_or(0);
    if !((1..=12).contains(&month) || month >= 20) {
        return false;
    }
    match (body.parse::<u64>(), key.parse::<u64>()) {
        (Ok(body), Ok(key)) => 97 - body % 97 == key,
        _ => false,
    }
}

/// Krankenversichertennummer: the letter as its two-digit position (A = 01)
/// then the first eight digits, weighted 1, 2, 1, 2…; products above 9 count
/// as their digit sum; the last digit is the sum mod 10.
fn kvnr_check_ok(number: &str) -> bool {
    let mut chars = number.chars();
    let Some(letter) = chars.next().filter(char::is_ascii_uppercase) else {
        return false;
    };
    let position = u32::from(letter) - u32::from('A') + 1;
    let digits = digits_of(chars.as_str());
    let [body @ .., check] = digits.as_slice() else {
        return false;
    };
    if body.len() != 8 {
        return false;
    }
    let sum: u32 = [position / 10, position % 10]
        .iter()
        .chain(body)
        .enumerate()
        .map(|(i, d)| {
            let product = d * if i % 2 == 0 { 1 } else { 2 };
            product / 10 + product % 10
        })
        .sum();
    sum % 10 == *check
}

/// Words that name a hospital or record number, with what may stand between
/// the word and the number ("my hospital number at the Christie is …").
static RECORD_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r"(?ix)
        \b(?: mrn
            | (?:medical\s+)?record\s+(?:number|no\.?|\#)
            | hospital\s+(?:number|no\.?|num|id|\#)
            | patient\s+(?:number|no\.?|id|\#)
            | unit\s+number | case\s+number
            | patientennummer | patienten-?nr\.? | pat\.-?nr\.? | fallnummer | fall-?nr\.?
            | aufnahmenummer | krankenhausnummer
            | num[ée]ro\s+de\s+dossier | n°\s*(?:de\s+)?dossier
            | num[ée]ro\s+(?:de\s+)?patient | num[ée]ro\s+d['’]hospitalisation | ipp )
        [^\d\n.?!;]{0,30}?
        (?P<id>\b(?:[A-Za-z]{1,3}-?)?\d+(?:[\-/\ ]\d+){0,3})\b",
    )
});

static DATE_SHAPED: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"^\d{1,2}[./\-]\d{1,2}(?:[./\-]\d{2,4})?$"));

pub(super) fn find_record_numbers(text: &str, hits: &mut Vec<Hit>) {
    for caps in RECORD_NUMBER.captures_iter(text) {
        let Some(number) = caps.name("id") else {
            continue;
        };
        let digits = number.as_str().chars().filter(char::is_ascii_digit).count();
        if digits < 4 || DATE_SHAPED.is_match(number.as_str()) || !clear_after(text, number.end()) {
            continue;
        }
        hits.push(Hit {
            kind: DetailKind::RecordNumber,
            start: number.start(),
            end: number.end(),
            confidence: 0.88,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_identifier_shape_passes_the_digit_prefilter() {
        for number in [
            "943 476 5919",
            "536-22-8471",
            "1 84 12 76 451 089 46",
            "1.84.12.76.451.089.46",
            "2 58 11 2B 096 008 68",
            "A123456780",
        ] {
            assert!(has_digit_cluster(number), "{number}");
        }
        assert!(!has_digit_cluster(
            "Platelets 150, neutrophils 1.2, Hb 102, CA-125 35."
        ));
    }

    #[test]
    fn nhs_check_digit_follows_mod_11() {
        assert!(nhs_checksum_ok("943 476 5919"));
        assert!(nhs_checksum_ok("0830166130"));
        assert!(!nhs_checksum_ok("943 476 5918"));
        // Sum gives a check digit of 10: never issued.
        assert!(!nhs_checksum_ok("123 456 7890"));
    }

    #[test]
    fn ssn_refuses_unissued_ranges() {
        assert!(ssn_ranges_ok("536", "22", "8471"));
        for (a, g, s) in [
            ("000", "12", "3456"),
            ("666", "12", "3456"),
            ("912", "12", "3456"),
        ] {
            assert!(!ssn_ranges_ok(a, g, s), "{a}-{g}-{s}");
        }
        assert!(!ssn_ranges_ok("536", "00", "8471"));
        assert!(!ssn_ranges_ok("536", "22", "0000"));
    }

    #[test]
    fn nir_key_handles_corsica() {
        assert!(nir_key_ok("1 84 12 76 451 089 46"));
        assert!(nir_key_ok("270027511402355"));
        assert!(nir_key_ok("2 58 11 2B 096 008 68"));
        assert!(nir_key_ok("1 55 07 2a 004 112 17"));
        assert!(!nir_key_ok("1 84 12 76 451 089 47"));
        assert!(!nir_key_ok("2 58 11 2A 096 008 68"));
    }

    #[test]
    fn kvnr_check_digit_follows_gkv_rules() {
        assert!(kvnr_check_ok("A123456780"));
        assert!(kvnr_check_ok("Z555979710"));
        assert!(!kvnr_check_ok("A123456781"));
        assert!(!kvnr_check_ok("a123456780"));
    }
}
