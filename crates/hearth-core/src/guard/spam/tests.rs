use std::time::Duration;

use super::*;

const CORPUS: &str = include_str!("../../../corpus/spam/corpus.tsv");

fn newcomer(typing_seconds: u64) -> Signals {
    Signals {
        new_account: true,
        first_post: true,
        typing_time: Some(Duration::from_secs(typing_seconds)),
        ..Signals::default()
    }
}

fn learn_all(model: &mut SpamModel, texts: &[&str], label: Label) {
    for text in texts {
        model.learn(&features(text), label);
    }
}

#[test]
fn moderators_teach_it_a_new_kind_of_spam() {
    let mut model = SpamModel::starter();
    let advert = "Roofers in Leeds: gutter cleaning, moss removal and chimney repairs, fully insured, free quotes.";
    assert_eq!(
        judge(&model, advert, &Signals::default()).action,
        Action::Allow
    );

    let rejected_by_moderators = [
        "Moss removal, gutter cleaning and roof repairs in Leeds and Bradford, fully insured, call us for a quote.",
        "Chimney repairs and gutter cleaning by local roofers, insured, free quote today.",
        "Roof moss removal and gutter clearing, family run roofers, fully insured, quotes free of charge.",
    ];
    learn_all(&mut model, &rejected_by_moderators, Label::Spam);

    let verdict = judge(&model, advert, &Signals::default());
    assert_eq!(verdict.action, Action::Hold);
    assert!(
        verdict
            .reasons
            .iter()
            .any(|r| r.detail.contains("\"gutter\"")),
        "{verdict:?}"
    );
    assert_eq!(model.documents().1, SpamModel::starter().documents().1 + 3);
}

#[test]
fn approving_similar_posts_releases_a_false_positive() {
    let mut model = SpamModel::starter();
    let sale =
        "Selling my late mother's mobility scooter, barely used, best offer. Collection only.";
    assert_eq!(
        judge(&model, sale, &Signals::default()).action,
        Action::Hold
    );

    let approved_by_moderators = [
        "Selling dad's wheelchair, hardly used since he passed, best offer, collection from Hull.",
        "My late husband's riser recliner chair for sale, barely used, collection only, offers welcome.",
        "Selling a mobility scooter that my mother used for a year, offers, collection only please.",
    ];
    learn_all(&mut model, &approved_by_moderators, Label::Ham);

    assert_eq!(
        judge(&model, sale, &Signals::default()).action,
        Action::Allow
    );
}

#[test]
fn filled_honeypot_is_rejected_whatever_the_text() {
    let model = SpamModel::starter();
    let signals = Signals {
        honeypot_filled: true,
        ..Signals::default()
    };
    let verdict = judge(
        &model,
        "Thank you to the nurses on the ward, you were wonderful.",
        &signals,
    );
    assert_eq!(verdict.action, Action::Reject);
    assert_eq!(verdict.reasons[0].signal, "honeypot");
}

#[test]
fn link_in_a_first_post_typed_in_three_seconds_is_held() {
    let model = SpamModel::starter();
    let text = "Hello everyone, I have been following the discussions here for a while and wanted to share \
                something that made a real difference for my family over the last few months. There is a \
                detailed guide about recovery, sleep and energy after treatment that explains everything \
                step by step, with practical advice for patients and for the people looking after them. \
                You can read it here: https://www.recovery-energy-guide.net/start and I hope it helps \
                someone the way it helped us. Take care all and best wishes to every one of you.";
    assert!(text.chars().count() > 500);
    assert_eq!(
        judge(&model, text, &Signals::default()).action,
        Action::Allow
    );

    let verdict = judge(&model, text, &newcomer(3));
    assert_eq!(verdict.action, Action::Hold, "{verdict:?}");
    let signals: Vec<&str> = verdict.reasons.iter().map(|r| r.signal).collect();
    assert!(
        signals.contains(&"typing") && signals.contains(&"new_account"),
        "{signals:?}"
    );
}

#[test]
fn anxious_first_post_from_a_new_member_is_allowed() {
    let model = SpamModel::starter();
    for text in [
        "I am so scared. I found a lump last week and the GP referred me urgently. I have never posted \
         anywhere before, I just need to know if anyone else felt like this while waiting.",
        "Ich habe solche Angst. Morgen bekomme ich das Ergebnis der Biopsie und ich kann nicht schlafen. \
         Wie habt ihr die Nacht davor überstanden?",
        "J'ai tellement peur, je viens d'apprendre que j'ai un cancer et je ne sais pas à qui parler. \
         Mon mari essaie d'être fort mais je vois bien qu'il est perdu lui aussi.",
    ] {
        let verdict = judge(&model, text, &newcomer(120));
        assert_eq!(verdict.action, Action::Allow, "{text}: {verdict:?}");
        assert!(verdict.score < 0.2, "{text}: {verdict:?}");
    }
}

#[test]
fn health_talk_with_medicines_prices_and_an_nhs_link_is_allowed() {
    let model = SpamModel::starter();
    let text = "My oncologist prescribed ondansetron for the sickness but it made me constipated. The \
                pharmacist said the generic is cheaper and the same medicine. The NHS page explains the side \
                effects well: https://www.nhs.uk/medicines/ondansetron/";
    let verdict = judge(&model, text, &newcomer(150));
    assert_eq!(verdict.action, Action::Allow, "{verdict:?}");
}

#[test]
fn the_same_long_text_posted_again_and_again_is_held() {
    let model = SpamModel::starter();
    let text = "Has anyone here tried the new breathing exercise app? I would love to hear what you think of it.";
    assert_eq!(
        judge(&model, text, &Signals::default()).action,
        Action::Allow
    );
    let repeated = Signals {
        repeats: 3,
        ..Signals::default()
    };
    let verdict = judge(&model, text, &repeated);
    assert_eq!(verdict.action, Action::Hold, "{verdict:?}");
    assert_eq!(verdict.reasons[0].signal, "repeated");

    // Short condolences are posted word for word all the time.
    let hugs = Signals {
        repeats: 10,
        ..Signals::default()
    };
    assert_eq!(judge(&model, "Sending hugs x", &hugs).action, Action::Allow);
}

#[test]
fn spam_is_rejected_only_when_text_and_behaviour_agree() {
    let model = SpamModel::starter();
    let text = "Buy cheap Viagra and Cialis online without prescription, lowest prices, discreet \
                shipping: bit.ly/cheap-rx-now";
    let stranger = judge(&model, text, &newcomer(4));
    assert_eq!(stranger.action, Action::Reject, "{stranger:?}");

    // The same words from an established member, behaving normally: a
    // moderator looks first.
    let member = judge(&model, text, &Signals::default());
    assert_eq!(member.action, Action::Hold, "{member:?}");
}

#[test]
fn reasons_name_the_strongest_words_first() {
    let model = SpamModel::starter();
    let verdict = judge(
        &model,
        "Online casino with free spins and a bonus, play slots tonight",
        &Signals::default(),
    );
    assert_ne!(verdict.action, Action::Allow);
    assert!(verdict.reasons.len() <= MAX_REASONS);
    assert!(
        verdict
            .reasons
            .windows(2)
            .all(|pair| pair[0].weight >= pair[1].weight)
    );
    let top: Vec<&str> = verdict
        .reasons
        .iter()
        .take(3)
        .map(|r| r.detail.as_str())
        .collect();
    assert!(
        top.iter()
            .any(|d| d.starts_with("\"casino\" is common in spam")),
        "{top:?}"
    );
    assert!(
        verdict
            .reasons
            .iter()
            .all(|r| r.signal == "words" && r.weight > 0.0)
    );
}

#[test]
fn features_are_deterministic_deduplicated_words_domains_and_contacts() {
    let text = "CASINO casino Casino! Win at https://www.Lucky-Spin.xyz/bonus or q9.lucky-spin.xyz, \
                write to win@lucky.example, call +44 20 5550 1234. Dr.Smith said so on 12.05.2024.";
    let found = features(text);
    assert_eq!(found, features(text));
    let mut sorted = found.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(found, sorted);
    for expected in [
        "casino",
        "win",
        "bonus",
        "domain:lucky-spin.xyz",
        "domain:q9.lucky-spin.xyz",
        "has:email",
        "has:phone",
    ] {
        assert!(
            found.iter().any(|f| f == expected),
            "{expected} missing from {found:?}"
        );
    }
    for unwanted in [
        "https",
        "www",
        "2024",
        "domain:dr.smith",
        "domain:lucky.example",
    ] {
        assert!(
            !found.iter().any(|f| f == unwanted),
            "{unwanted} in {found:?}"
        );
    }
}

#[test]
fn links_are_counted_and_shorteners_named() {
    let model = SpamModel::default();
    let text =
        "see a.example.com/x and https://b.example.org and www.c.example.net and tinyurl.com/abc";
    let verdict = judge(&model, text, &Signals::default());
    let details: Vec<&str> = verdict.reasons.iter().map(|r| r.detail.as_str()).collect();
    assert!(details.contains(&"4 links to 4 domains"), "{details:?}");
    assert!(
        details.iter().any(|d| d.contains("tinyurl.com")),
        "{details:?}"
    );
}

#[test]
fn persisted_counts_rebuild_the_model_moderators_taught() {
    let decisions = [
        (
            "Gutter cleaning and moss removal, fully insured roofers.",
            Label::Spam,
        ),
        (
            "Thank you all, the scan was clear and I am going to sleep for a week.",
            Label::Ham,
        ),
        (
            "Chimney repairs and gutter cleaning, free quotes today.",
            Label::Spam,
        ),
    ];
    let mut taught = SpamModel::starter();
    let mut restored = SpamModel::starter();
    for (text, label) in decisions {
        let found = features(text);
        taught.learn(&found, label);
        // What the server persists for this decision, merged back on start-up.
        let (ham, spam) = if label == Label::Ham { (1, 0) } else { (0, 1) };
        for feature in &found {
            restored.add_counts(feature, ham, spam);
        }
        restored.add_documents(ham, spam);
    }
    assert_eq!(taught.counts, restored.counts);
    assert_eq!(taught.documents(), restored.documents());
    let text = "Roofers offering gutter cleaning";
    assert_eq!(
        judge(&taught, text, &Signals::default()),
        judge(&restored, text, &Signals::default())
    );
}

#[test]
fn held_out_precision_and_recall_are_at_least_85_percent() {
    let (training, held_out) = split(CORPUS);
    let evaluation = evaluate(&SpamModel::train(&training), &held_out);
    assert!(evaluation.precision() >= 0.85, "{evaluation:?}");
    assert!(evaluation.recall() >= 0.85, "{evaluation:?}");
}

#[test]
fn split_holds_out_every_fifth_document() {
    let (training, held_out) = split(CORPUS);
    assert_eq!(split(CORPUS), (training.clone(), held_out.clone()));
    let all = corpus::documents(CORPUS).count();
    let held = corpus::documents(&held_out).count();
    assert_eq!(held, all / 5);
    assert_eq!(corpus::documents(&training).count() + held, all);
    let fifth = corpus::documents(CORPUS).nth(4).map(|(_, text)| text);
    assert_eq!(
        corpus::documents(&held_out).next().map(|(_, text)| text),
        fifth
    );
}

#[test]
fn starter_corpus_is_well_formed_and_large_enough() {
    for line in CORPUS
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
    {
        assert!(
            corpus::documents(line).count() == 1,
            "malformed corpus line: {line}"
        );
    }
    let (ham, spam) = SpamModel::starter().documents();
    assert!(ham >= 300 && spam >= 250, "{ham} ham, {spam} spam");
}

#[test]
fn an_empty_model_lets_ordinary_text_through() {
    let verdict = judge(
        &SpamModel::default(),
        "Hello, is anyone around tonight?",
        &Signals::default(),
    );
    assert_eq!(verdict.action, Action::Allow);
    assert!((verdict.score - 0.5).abs() < 1e-9);
}

#[test]
fn verdict_serializes_in_snake_case() {
    let verdict = judge(
        &SpamModel::starter(),
        "Online casino free spins bonus",
        &Signals::default(),
    );
    let json = serde_json::to_value(&verdict).unwrap_or_default();
    assert_eq!(json["action"], "hold");
    assert_eq!(json["reasons"][0]["signal"], "words");
}
