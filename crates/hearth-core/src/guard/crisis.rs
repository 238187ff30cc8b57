//! Crisis signposting: phrases that suggest the author may be thinking of
//! suicide or self-harm, or is in a medical emergency right now, in English,
//! German or French.
//!
//! A hit never blocks or holds back a post. Someone in crisis who reaches out
//! must not be silenced or made to wait for a moderator; what helps is to be
//! answered. So the author is shown a support message with helplines before
//! the post goes out, and the post is marked urgent so staff look at it first.
//! Because a hit costs only a kind message, the default list leans towards
//! catching, but it is written for a cancer community, where death, dying and
//! symptoms are everyday subjects: it looks for first-person wishes and acute
//! first-person emergencies, not for talk about illness or loss (the reasons
//! are in `corpus/crisis/default.txt`).
//!
//! Admins can edit the list; it uses the watched-words syntax (one phrase per
//! line, `#` comments, `*` wildcards, whole words, any case) and the same
//! matcher.

use std::sync::LazyLock;

use serde::Serialize;

use super::words::{Phrase, PhraseSet, compile_list};

/// The phrase list a new community starts with.
pub const DEFAULT_PHRASES: &str = include_str!("../../corpus/crisis/default.txt");

/// Why a crisis phrase list was refused, pointing at the line to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct PhraseListError {
    /// 1-based, counting blank and comment lines, as a textarea shows them.
    pub line: usize,
    pub reason: String,
}

/// A compiled crisis phrase list.
#[derive(Debug, Clone)]
pub struct CrisisPhrases {
    phrases: PhraseSet,
}

/// One phrase found: the list entry as written, and its byte span in the text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CrisisHit {
    pub phrase: String,
    pub start: usize,
    pub end: usize,
}

impl CrisisPhrases {
    /// Compiles an admin's list, refusing the first line that does not parse.
    pub fn compile(list: &str) -> Result<CrisisPhrases, PhraseListError> {
        compile_list(list, |_, line| {
            Phrase::parse(line).map(|phrase| (phrase, ()))
        })
        .map(|(phrases, _)| CrisisPhrases { phrases })
        .map_err(|e| PhraseListError {
            line: e.line,
            reason: e.reason,
        })
    }

    /// The default list, compiled once per process; calling this again is
    /// cheap, and every copy shares the compiled matcher.
    pub fn defaults() -> CrisisPhrases {
        static DEFAULTS: LazyLock<CrisisPhrases> = LazyLock::new(|| {
            // The list is part of the binary and a test compiles it.
            CrisisPhrases::compile(DEFAULT_PHRASES).expect("the default crisis phrases compile")
        });
        DEFAULTS.clone()
    }

    /// Every phrase in `text`, sorted by where it starts.
    pub fn find(&self, text: &str) -> Vec<CrisisHit> {
        self.phrases
            .find_iter(text)
            .map(|m| CrisisHit {
                phrase: self.phrases.entry(m.index).to_owned(),
                start: m.start,
                end: m.end,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The phrases the defaults find in `text`.
    fn found(text: &str) -> Vec<String> {
        CrisisPhrases::defaults()
            .find(text)
            .into_iter()
            .map(|hit| hit.phrase)
            .collect()
    }

    fn assert_fires(sentences: &[&str]) {
        for sentence in sentences {
            assert!(!found(sentence).is_empty(), "should signpost: {sentence}");
        }
    }

    fn assert_quiet(sentences: &[&str]) {
        for sentence in sentences {
            assert_eq!(
                found(sentence),
                Vec::<String>::new(),
                "should stay quiet: {sentence}"
            );
        }
    }

    #[test]
    fn the_default_list_compiles() {
        CrisisPhrases::compile(DEFAULT_PHRASES).expect("default list compiles");
        assert!(DEFAULT_PHRASES.contains("# English"));
        assert!(DEFAULT_PHRASES.contains("# Deutsch"));
        assert!(DEFAULT_PHRASES.contains("# Français"));
    }

    #[test]
    fn every_default_phrase_fires_on_its_own_words() {
        let defaults = CrisisPhrases::defaults();
        let phrases = DEFAULT_PHRASES
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'));
        for phrase in phrases {
            let text = format!("Today: {}.", phrase.replace('*', ""));
            let hits = defaults.find(&text);
            assert_eq!(hits.len(), 1, "{phrase:?} in {text:?} gave {hits:?}");
        }
    }

    #[test]
    fn english_first_person_crisis_is_signposted() {
        assert_fires(&[
            "Honestly I want to die. Nothing helps anymore.",
            "I’ve been thinking about killing myself since the scan.",
            "Some nights I just want to end it all.",
            "There's no reason to live now that she's gone.",
            "My family would be better off without me.",
            "I keep having urges to hurt myself.",
            "I'm going to overdose on purpose tonight.",
            "I feel suicidal and I don't know who to tell.",
            "I don’t want to live anymore.",
            "I started self-harming again.",
            "I took too many pills, I feel strange.",
            "I think I'm having a heart attack",
            "I can’t breathe right now, my lips are turning blue",
            "Please call an ambulance, my husband is having a stroke",
        ]);
    }

    #[test]
    fn german_first_person_crisis_is_signposted() {
        assert_fires(&[
            "Ich will nicht mehr leben.",
            "Manchmal denke ich daran, mich umzubringen.",
            "Ich habe wieder Selbstmordgedanken.",
            "Ich denke oft an Suizid.",
            "Ich möchte nur noch sterben.",
            "Ich habe Angst, dass ich mir etwas antue.",
            "Meine Familie wäre ohne mich besser dran.",
            "Ich habe keinen Grund mehr zu leben.",
            "Ich kriege gerade keine Luft, ruft einen Notarzt!",
            "ICH WILL STERBEN",
        ]);
    }

    #[test]
    fn french_first_person_crisis_is_signposted() {
        assert_fires(&[
            "J'ai envie de mourir.",
            "J’ai tellement envie de mourir ce soir.",
            "Je pense à me suicider.",
            "Je veux en finir.",
            "Je n'ai plus envie de vivre.",
            "Je vais mettre fin à mes jours.",
            "Ils seraient mieux sans moi.",
            "Je crois que je fais une crise cardiaque",
            "Je me scarifie depuis des mois.",
        ]);
    }

    #[test]
    fn ordinary_english_talk_stays_quiet() {
        assert_quiet(&[
            "My mother died last year.",
            "The cancer is dying back after the second cycle.",
            "I'm dying to know my results!",
            "I don't want to die, I'm only 42.",
            "I'm scared I'm going to die before my daughter's wedding.",
            "I'm not ready to die.",
            "Chemo is killing me, the nausea is awful.",
            "This cancer will end my life eventually, I know that.",
            "I hurt myself gardening and the cut is slow to heal.",
            "I cut myself chopping onions, should I worry about infection?",
            "I've had chest pain since radiotherapy, is that normal?",
            "I can't breathe well when I climb stairs.",
            "If your temperature goes above 38, call 999 or your hotline.",
            "Is 20mg of morphine an overdose?",
            "I have taken all my pills for today.",
            "I nearly died laughing at the nurse's joke.",
            "The drug kills cancer cells.",
            "I don't want to live in fear of recurrence.",
            "Assisted dying is being debated in parliament again.",
        ]);
    }

    #[test]
    fn ordinary_german_talk_stays_quiet() {
        assert_quiet(&[
            "Die Chemo hat mich umgehauen.",
            "Meine Mutter ist letztes Jahr gestorben.",
            "Ich will nicht sterben, ich bin erst 40.",
            "Ich habe Angst, dass ich sterben werde.",
            "Ich möchte zu Hause sterben, nicht im Krankenhaus.",
            "Ich habe Angst, nach der Narkose nicht mehr aufzuwachen.",
            "Der Krebs wird mich töten, sagt mein Arzt nicht, aber ich denke es.",
            "Das bringt mich um den Verstand.",
            "Bei Treppen kriege ich keine Luft.",
            "Die Tumorzellen sterben ab.",
            "Ist das eine Überdosis Morphin?",
        ]);
    }

    #[test]
    fn ordinary_french_talk_stays_quiet() {
        assert_quiet(&[
            "J'ai failli mourir de rire.",
            "Je suis morte de rire !",
            "Je n'ai pas envie de mourir.",
            "J'ai peur de mourir.",
            "J'ai peur, je vais mourir ?",
            "J'ai hâte d'en finir avec la chimio.",
            "Ma mère est morte l'an dernier.",
            "La chimio va me tuer.",
            "J'ai peur de ne plus me réveiller après l'anesthésie.",
            "Appelez le 15 si la fièvre dépasse 38,5.",
            "Le sucre va me faire du mal.",
        ]);
    }

    #[test]
    fn hits_name_the_phrase_and_its_span_in_order() {
        let text = "Ich will nicht mehr leben. I want to die.";
        let hits = CrisisPhrases::defaults().find(text);
        assert_eq!(
            hits.iter().map(|h| h.phrase.as_str()).collect::<Vec<_>>(),
            ["will nicht mehr leben", "i want to die"]
        );
        assert!(hits.windows(2).all(|w| w[0].start < w[1].start));
        assert_eq!(&text[hits[0].start..hits[0].end], "will nicht mehr leben");
        assert_eq!(&text[hits[1].start..hits[1].end], "I want to die");
    }

    #[test]
    fn an_admin_list_uses_the_watched_words_syntax() {
        let phrases = CrisisPhrases::compile("# ours\n\nsuizid*\ncan’t go on\n").expect("compiles");
        let hits = phrases.find("SUIZIDGEDANKEN, I can't go on");
        assert_eq!(
            hits,
            vec![
                CrisisHit {
                    phrase: "suizid*".to_owned(),
                    start: 0,
                    end: 14
                },
                CrisisHit {
                    phrase: "can’t go on".to_owned(),
                    start: 18,
                    end: 29
                },
            ]
        );
    }

    #[test]
    fn an_empty_list_finds_nothing() {
        let text = "I want to die. Ich will nicht mehr leben. J'ai envie de mourir.";
        assert_eq!(found(text).len(), 3);
        for list in ["", "\n\n", "# all switched off\n# suicid*"] {
            let phrases = CrisisPhrases::compile(list).expect("compiles");
            assert!(phrases.find(text).is_empty(), "{list:?}");
        }
    }

    #[test]
    fn a_list_that_does_not_parse_is_refused_with_its_line() {
        let error = CrisisPhrases::compile("# ours\nwant to die\n**").expect_err("refused");
        assert_eq!(error.line, 3);
        assert!(error.to_string().starts_with("line 3: "), "{error}");

        let error = CrisisPhrases::compile(&format!("\n{}", "a".repeat(101))).expect_err("refused");
        assert_eq!(error.line, 2);
    }
}
