use super::evaluate::{found_kinds, labelled_lines};
use super::*;

use DetailKind::*;

const DEV: &str = include_str!("../../../corpus/personal/dev.tsv");
const HELD_OUT: &str = include_str!("../../../corpus/personal/heldout.tsv");

fn spans(text: &str) -> Vec<(DetailKind, &str)> {
    find(text)
        .iter()
        .map(|f| (f.kind, &text[f.start..f.end]))
        .collect()
}

#[track_caller]
fn assert_finds(text: &str, kind: DetailKind, span: &str) {
    let found = spans(text);
    assert!(
        found.contains(&(kind, span)),
        "expected {kind:?} {span:?} in {text:?}, found {found:?}"
    );
}

#[track_caller]
fn assert_only(text: &str, expected: &[(DetailKind, &str)]) {
    assert_eq!(spans(text), expected, "in {text:?}");
}

#[track_caller]
fn assert_clean(text: &str) {
    let found = spans(text);
    assert!(
        found.is_empty(),
        "expected nothing in {text:?}, found {found:?}"
    );
}

#[test]
fn finds_email_addresses() {
    assert_only(
        "You can email me at jane.smith@example.com if you like.",
        &[(Email, "jane.smith@example.com")],
    );
    assert_finds(
        "Schreib mir: anna_mueller@gmx.de",
        Email,
        "anna_mueller@gmx.de",
    );
    assert_finds(
        "mon adresse : marie.dubois@free.fr.",
        Email,
        "marie.dubois@free.fr",
    );
    assert_clean("Email the team through the contact form.");
}

#[test]
fn finds_uk_and_irish_phone_numbers() {
    assert_only("Text me on 07700 900123 later.", &[(Phone, "07700 900123")]);
    assert_finds(
        "Ring me on 020 7946 0018 after 6pm.",
        Phone,
        "020 7946 0018",
    );
    assert_finds("Home: 01632 960001.", Phone, "01632 960001");
    assert_finds("Call me on +44 7700 900789.", Phone, "+44 7700 900789");
    assert_finds(
        "Number is +44 (0)20 7946 0321.",
        Phone,
        "+44 (0)20 7946 0321",
    );
    assert_finds("My mobile's 07700-900-456.", Phone, "07700-900-456");
    assert_finds("I'm in Galway, 085 123 4567.", Phone, "085 123 4567");
    assert_finds("Ring +353 1 234 5678 for Mary.", Phone, "+353 1 234 5678");
}

#[test]
fn finds_german_and_french_phone_numbers() {
    assert_finds("Meine Nummer ist 0151 23456789.", Phone, "0151 23456789");
    assert_finds("Festnetz 030 12345678, Handy auch.", Phone, "030 12345678");
    assert_finds("Abends unter 030 / 4412 5567.", Phone, "030 / 4412 5567");
    assert_finds("Handy: +49 170 1234567", Phone, "+49 170 1234567");
    assert_finds("Appelez-moi au 06 12 34 56 78.", Phone, "06 12 34 56 78");
    assert_finds(
        "Mon numéro : 07.98.76.54.32, le soir.",
        Phone,
        "07.98.76.54.32",
    );
    assert_finds("Portable: +33 6 12 34 56 78.", Phone, "+33 6 12 34 56 78");
}

#[test]
fn finds_north_american_and_other_international_numbers() {
    assert_finds(
        "Reach me at (555) 123-4567 tonight.",
        Phone,
        "(555) 123-4567",
    );
    assert_finds("My cell is 555-123-4567.", Phone, "555-123-4567");
    assert_finds("Her number is 415.555.0132.", Phone, "415.555.0132");
    assert_finds(
        "Call +1 617 555 0199, ask for Linda.",
        Phone,
        "+1 617 555 0199",
    );
    assert_finds("WhatsApp +34 612 345 678 please", Phone, "+34 612 345 678");
}

#[test]
fn a_phone_number_followed_by_a_count_is_still_found() {
    assert_finds(
        "Ring 07911 123456 2 times if I don't answer.",
        Phone,
        "07911 123456",
    );
}

#[test]
fn doses_and_lab_values_are_not_phone_numbers() {
    for text in [
        "I take 20 mg twice a day.",
        "The dose is 5mg/kg every three weeks.",
        "2 x 500mg paracetamol at night.",
        "Platelets 150, neutrophils 1.2, Hb 102.",
        "PSA 4.5 at diagnosis, 0.1 now.",
        "CA-125 was 35, then 1,240 at relapse.",
        "Neutrophils 0.5 0.6 0.8 1.0 1.2 over the week.",
        "Scores 120 130 140 150 160 on the fatigue scale.",
        "Tumour 23 x 15 x 12 mm.",
        "WBC 4.5 x 10^9/L.",
        "Leukozyten 2,8, Thrombozyten 120, Hb 10,4.",
        "Plaquettes à 150 000, neutrophiles à 1,2.",
        "BP 135/85, pulse 72.",
        "Took 1000 mg at 14:30 and 20:30.",
        "I walked 10,000 steps.",
    ] {
        assert_clean(text);
    }
}

#[test]
fn appointments_years_prices_and_places_in_hospital_are_not_details() {
    for text in [
        "My appointment is on 14 March at 10:30.",
        "Mein Termin ist am 3. Mai um 14 Uhr.",
        "Mon rendez-vous est le 12 mars à 9h.",
        "Diagnosed in 2021, in remission since 2019.",
        "Bloods on 12.06.2024, chemo 14/06/2024.",
        "Parking was £12.50, the wig € 1.200 and the co-pay $1,245.60.",
        "I'm on ward 7, bed 12, room 12, bay 3.",
        "Liege auf Station 4B, Zimmer 12.",
        "Cycle 6 of 8 tomorrow.",
        "Stage 3, T3 N1 M0, Ki-67 30%.",
        "See page 12, section 3.2.",
        "The tumour shrank by 40% after 4 rounds.",
        "Trial reference 2019-001234-56 on the consent form.",
        "The lot number on the vial was 0123456789.",
    ] {
        assert_clean(text);
    }
}

#[test]
fn finds_uk_postcodes_alone_and_with_a_street() {
    assert_only(
        "Our postcode is SW1A 1AA, which hospital?",
        &[(PostalAddress, "SW1A 1AA")],
    );
    assert_finds("We're near M1 1AE.", PostalAddress, "M1 1AE");
    assert_finds("I'm at EH8 9YL.", PostalAddress, "EH8 9YL");
    assert_finds(
        "Drop them round to 7 Church Lane, Bury BL9 0SW.",
        PostalAddress,
        "7 Church Lane, Bury BL9 0SW",
    );
}

#[test]
fn finds_house_numbers_with_streets() {
    assert_finds(
        "I live at 12 Acacia Avenue, so close.",
        PostalAddress,
        "12 Acacia Avenue",
    );
    assert_finds(
        "Address is flat 3, 45 High Street, thanks.",
        PostalAddress,
        "flat 3, 45 High Street",
    );
    assert_finds(
        "Send it to 123 Main St, Springfield, IL 62704 please.",
        PostalAddress,
        "123 Main St, Springfield, IL 62704",
    );
    assert_finds(
        "Meine Adresse ist Hauptstraße 5, 10115 Berlin.",
        PostalAddress,
        "Hauptstraße 5, 10115 Berlin",
    );
    assert_finds(
        "Wir wohnen in der Bahnhofstr. 22.",
        PostalAddress,
        "Bahnhofstr. 22",
    );
    assert_finds(
        "J'habite 12 rue de la Paix, 75002 Paris.",
        PostalAddress,
        "12 rue de la Paix, 75002 Paris",
    );
}

#[test]
fn a_continental_postcode_or_a_doctor_alone_is_not_an_address() {
    assert_clean("Ich fahre nach 10115 Berlin zur Charité.");
    assert_clean("Le centre est à 75005 Paris.");
    assert_clean("After cycle 4 Dr Patel said to stop.");
    assert_clean("Wir standen auf Parkplatz 3.");
}

#[test]
fn finds_dates_of_birth_only_after_a_birth_cue() {
    assert_only(
        "I was born on 3 May 1961, sadly.",
        &[(DateOfBirth, "3 May 1961")],
    );
    assert_finds("DOB 03/05/1961 if it matters", DateOfBirth, "03/05/1961");
    assert_finds(
        "Date of birth: 21st March 1955.",
        DateOfBirth,
        "21st March 1955",
    );
    assert_finds(
        "Ich bin geboren am 3. Mai 1961.",
        DateOfBirth,
        "3. Mai 1961",
    );
    assert_finds(
        "Ich bin am 17. Juni 1965 geboren.",
        DateOfBirth,
        "17. Juni 1965",
    );
    assert_finds("Geb. 12.07.1968, falls gefragt.", DateOfBirth, "12.07.1968");
    assert_finds(
        "Je suis né le 3 mai 1961 à Lille.",
        DateOfBirth,
        "3 mai 1961",
    );
    assert_finds(
        "Ma femme, née le 14 juillet 1966.",
        DateOfBirth,
        "14 juillet 1966",
    );
    assert_clean("Mum and Dad married on 3 May 1961.");
    assert_clean("I was born in 1961, so I'm 63.");
    assert_clean("Je suis née en 1965.");
}

#[test]
fn nhs_numbers_need_a_valid_check_digit_or_a_naming_word() {
    assert_only(
        "My NHS number is 943 476 5919, the GP wants it.",
        &[(NationalId, "943 476 5919")],
    );
    assert_finds(
        "NHS number 123 456 7890, the app says invalid.",
        NationalId,
        "123 456 7890",
    );
    assert_clean("Results 123 456 7890 in the trial spreadsheet.");
}

#[test]
fn finds_social_security_numbers_outside_unissued_ranges() {
    assert_finds("My SSN is 536-22-8471 again.", NationalId, "536-22-8471");
    assert_finds(
        "Billing has 536-22-8471 on file.",
        NationalId,
        "536-22-8471",
    );
    assert_finds("SSN 536228471 on the form.", NationalId, "536228471");
    assert_clean("Reference 666-12-3456 on the invoice.");
    assert_clean("Reference 536 22 8471 on the invoice.");
}

#[test]
fn finds_french_nir_with_its_key() {
    assert_finds(
        "Mon numéro de sécurité sociale est 1 84 12 76 451 089 46.",
        NationalId,
        "1 84 12 76 451 089 46",
    );
    assert_finds(
        "Son NIR est 2 58 11 2B 096 008 68.",
        NationalId,
        "2 58 11 2B 096 008 68",
    );
    assert_finds(
        "Numéro de sécu : 1 84 12 76 451 089 47",
        NationalId,
        "1 84 12 76 451 089 47",
    );
    assert_clean("Total 1 84 12 76 451 089 47 dans le tableau.");
}

#[test]
fn finds_german_health_insurance_numbers() {
    assert_finds(
        "Meine Versichertennummer ist A123456780.",
        NationalId,
        "A123456780",
    );
    assert_finds("Auf der Karte: Z555979710", NationalId, "Z555979710");
    assert_finds(
        "Krankenkasse sagt A123456781 sei falsch.",
        NationalId,
        "A123456781",
    );
    assert_clean("Bestellung A123456781 ist unterwegs.");
}

#[test]
fn record_numbers_need_a_naming_word() {
    assert_only(
        "MRN 1234567 is on my wristband.",
        &[(RecordNumber, "1234567")],
    );
    assert_finds(
        "My hospital number is RX12345, ugh.",
        RecordNumber,
        "RX12345",
    );
    assert_finds(
        "Meine Patientennummer ist 20231187.",
        RecordNumber,
        "20231187",
    );
    assert_finds(
        "Mon numéro de dossier est 2021-88341.",
        RecordNumber,
        "2021-88341",
    );
    assert_finds(
        "My hospital number at the Christie is 10283746, I think.",
        RecordNumber,
        "10283746",
    );
    assert_clean("Ward 7, room 12, bay 3 and the 1234567 on the bag.");
    assert_clean("The hospital number is on the letter dated 12/03/2020.");
}

#[test]
fn finds_personal_profiles_but_not_organisation_pages() {
    assert_finds(
        "Blog at facebook.com/jane.smith.1961.",
        SocialProfile,
        "facebook.com/jane.smith.1961",
    );
    assert_finds(
        "Diary: https://www.instagram.com/bald_and_brave_jo/",
        SocialProfile,
        "https://www.instagram.com/bald_and_brave_jo/",
    );
    assert_finds("On x.com/marieD_k too.", SocialProfile, "x.com/marieD_k");
    assert_finds(
        "tiktok.com/@cancer_mum_diaries",
        SocialProfile,
        "tiktok.com/@cancer_mum_diaries",
    );
    assert_finds(
        "Connect: linkedin.com/in/janesmith-nurse",
        SocialProfile,
        "linkedin.com/in/janesmith-nurse",
    );
    assert_only(
        "I'm @annameyer@mastodon.social there.",
        &[(SocialProfile, "@annameyer@mastodon.social")],
    );
    assert_finds(
        "On Instagram I'm @jo_bald_brave.",
        SocialProfile,
        "@jo_bald_brave",
    );
    assert_clean("See https://www.nhs.uk/conditions/chemotherapy/ for more.");
    assert_clean("Join facebook.com/groups/breastcancersupport for chat.");
    assert_clean("The linkedin.com/company/macmillan page is useful.");
    assert_clean("Order tracking at fedex.com/tracking/123 for the wig.");
    assert_clean("My husband is @tom on here.");
}

#[test]
fn finds_full_names_in_self_introductions() {
    assert_only(
        "Hello everyone, my name is Jane Smith and I'm new.",
        &[(FullName, "Jane Smith")],
    );
    assert_finds("I'm Margaret Thompson, 67.", FullName, "Margaret Thompson");
    assert_finds(
        "Ich heiße Anna Müller und bin neu.",
        FullName,
        "Anna Müller",
    );
    assert_finds(
        "Mein Name ist Klaus Schneider.",
        FullName,
        "Klaus Schneider",
    );
    assert_finds(
        "Bonjour, je m'appelle Marie Dubois.",
        FullName,
        "Marie Dubois",
    );
    assert_finds(
        "Je suis Marie-Claire Fontaine.",
        FullName,
        "Marie-Claire Fontaine",
    );
    assert_finds("My name is Siobhan O'Neill.", FullName, "Siobhan O'Neill");
    assert_finds(
        "My name is Mrs Ruth van der Berg.",
        FullName,
        "Ruth van der Berg",
    );
}

#[test]
fn a_first_name_or_a_capitalised_phrase_is_not_a_full_name() {
    for text in [
        "My name is Jane and I'm new.",
        "I'm Stage 4 but still working.",
        "I'm Not Giving Up, whatever they say.",
        "I'm Feeling Much Better today.",
        "I'm Jane's mum.",
        "Je suis Française mais je vis à Bruxelles.",
        "Ich heiße Sie herzlich willkommen.",
        "My oncologist, Dr Sarah Jones, is wonderful.",
        "Ask for Jane Smith at the information centre.",
    ] {
        assert_clean(text);
    }
}

#[test]
fn findings_are_sorted_and_do_not_overlap() {
    let text = "I'm Robert Hughes, born on 9 June 1950, hospital number RX99812, \
                ring 07700 900555 or write to 14 Park Road.";
    let found = find(text);
    let kinds: Vec<DetailKind> = found.iter().map(|f| f.kind).collect();
    assert_eq!(
        kinds,
        [FullName, DateOfBirth, RecordNumber, Phone, PostalAddress]
    );
    for pair in found.windows(2) {
        assert!(pair[0].end <= pair[1].start, "{pair:?}");
    }
    for f in &found {
        assert_eq!(f.text, text[f.start..f.end]);
        assert!((0.5..=1.0).contains(&f.confidence), "{f:?}");
    }
}

#[test]
fn offsets_are_byte_offsets_on_char_boundaries() {
    let text = "Ça va — écrivez à zoé.müller@exemple.fr ou au 06 12 34 56 78 ✨";
    let found = find(text);
    assert_eq!(found.len(), 2, "{found:?}");
    for f in &found {
        assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
    }
    assert_eq!(found[0].text, "zoé.müller@exemple.fr");
}

#[test]
fn redact_replaces_each_span() {
    let text = "Mail jane.smith@example.com or ring 07700 900123.";
    assert_eq!(
        redact(text, &find(text)),
        "Mail [personal detail removed] or ring [personal detail removed]."
    );
    assert_eq!(redact(text, &[]), text);
}

#[test]
fn kinds_serialise_as_their_names() {
    for kind in DetailKind::ALL {
        let json = serde_json::to_string(&kind).unwrap_or_default();
        assert_eq!(json, format!("\"{}\"", kind.as_str()));
        assert_eq!(DetailKind::parse(kind.as_str()), Some(kind));
    }
}

#[test]
fn evaluation_counts_per_sentence_and_kind() {
    let labelled = "# comment\n\
                    email\tmail jane@example.com\n\
                    phone\tnothing here\n\
                    none\tcall 07700 900123\n\
                    none\tall quiet\n\
                    emial\tjane@example.com\n";
    let score = evaluate(labelled);
    assert_eq!(
        score,
        Evaluation {
            true_positives: 1,
            false_positives: 2,
            false_negatives: 2,
            true_negatives: 1,
        }
    );
    assert!((score.precision() - 1.0 / 3.0).abs() < 1e-9);
    assert!((score.recall() - 1.0 / 3.0).abs() < 1e-9);
}

#[test]
fn corpus_labels_are_known_kinds() {
    for (name, corpus) in [("dev", DEV), ("heldout", HELD_OUT)] {
        for line in labelled_lines(corpus) {
            assert!(
                line.labels.iter().all(Option::is_some),
                "{name}: unknown kind in {:?}",
                line.sentence
            );
        }
    }
}

#[test]
fn every_dev_sentence_comes_out_right() {
    let mut wrong = Vec::new();
    for line in labelled_lines(DEV) {
        let mut expected: Vec<DetailKind> = line.labels.iter().flatten().copied().collect();
        expected.sort_by_key(|k| k.as_str());
        let found = found_kinds(line.sentence);
        if found != expected {
            wrong.push(format!(
                "expected {expected:?}, found {:?}: {}",
                spans(line.sentence),
                line.sentence
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} dev lines wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
