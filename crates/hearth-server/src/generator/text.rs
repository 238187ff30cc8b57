//! The words of generated posts: everyday sentences that most posts share
//! (so a search for "chemotherapy" matches a large share of them), and a
//! vocabulary of treatments, symptoms and pastimes drawn with Zipf's law, so
//! that some words are common and the last ones rare, as in real forums.

use std::collections::HashMap;

use hearth_core::text::search::{Language, index_terms};

use super::Rng;

const TITLES: &[&str] = &[
    "First round of chemo next week",
    "Scanxiety before my results",
    "Tips for mouth ulcers",
    "Going back to work after treatment",
    "How do you cope with fatigue?",
    "Hair loss and cold caps",
    "Supporting my mum through radiotherapy",
    "Questions for my oncologist",
    "Eating well when nothing tastes right",
    "Feeling low after surgery",
    "Lymphoedema sleeves",
    "Sleep during treatment",
    "Telling the children",
    "Finished treatment, now what?",
    "Waiting for a date for surgery",
    "Anyone else just diagnosed?",
];

/// Titles that name a word of the vocabulary.
const TITLE_FORMS: &[(&str, &str)] = &[
    ("Questions about ", ""),
    ("Anyone else on ", "?"),
    ("Experiences with ", ""),
    ("Worried about ", ""),
    ("Tips for ", " please"),
];

const SENTENCES: &[&str] = &[
    "I start chemotherapy next month and I am trying to prepare.",
    "The nurses on the ward were wonderful and explained everything.",
    "Ginger biscuits helped with the nausea in the first week.",
    "My oncologist suggested gentle walks every day to help with fatigue.",
    "I found it hard to concentrate at work, so I asked for shorter days.",
    "Waiting for scan results is the hardest part for me.",
    "A cold cap saved some of my hair, although it was uncomfortable.",
    "Salt water rinses four times a day kept the ulcers under control.",
    "My partner came to every appointment and took notes.",
    "The radiotherapy team told me to moisturise the skin twice a day.",
    "I keep a diary of symptoms to show the nurse at each cycle.",
    "It helped to talk to someone who had been through the same treatment.",
    "Some days I just rest, and that is fine.",
    "The hospital pharmacy explained how to take the steroids with food.",
    "I was worried about infections, so I checked my temperature every evening.",
    "Our local support centre runs a relaxation group on Thursdays.",
    "Thank you all for the kind words, they mean a lot.",
    "My children ask questions and I try to answer them honestly.",
    "Small meals every few hours worked better than three big ones.",
    "I bought a soft toothbrush and it made a real difference.",
    "The consultant was kind but I forgot half of what she said.",
    "Please ask your team about it, they would rather hear from you early.",
    "We went for a short walk by the river and it lifted my mood.",
    "I am three weeks out of surgery and healing slowly.",
    "Does anyone know how long the tiredness lasts after the last cycle?",
    "My sister drives me to the hospital on treatment days.",
    "I never expected the anxiety to be worse after treatment ended.",
    "The waiting room was full but the staff kept us informed.",
    "Drinking plenty of water helped with the headaches.",
    "Sending hugs to everyone having a hard week.",
];

/// Sentences that carry a word of the vocabulary (`{}`).
const TERM_SENTENCES: &[&str] = &[
    "Has anyone tried {} and did it help?",
    "My nurse mentioned {} at the last appointment.",
    "I read about {} and would like to hear your experiences.",
    "The team suggested {} for the next few weeks.",
    "We talked about {} with the consultant today.",
];

/// Ordered from most to least frequent (rank r is drawn with weight 1/r^1.3).
pub const VOCABULARY: &[&str] = &[
    "tamoxifen",
    "immunotherapy",
    "neuropathy",
    "steroids",
    "biopsy",
    "mastectomy",
    "herceptin",
    "letrozole",
    "lumpectomy",
    "oncotype",
    "mucositis",
    "neutropenia",
    "picc",
    "portacath",
    "docetaxel",
    "paclitaxel",
    "carboplatin",
    "cisplatin",
    "capecitabine",
    "oxaliplatin",
    "gemcitabine",
    "pembrolizumab",
    "nivolumab",
    "anastrozole",
    "exemestane",
    "zoladex",
    "brachytherapy",
    "colostomy",
    "ileostomy",
    "stoma",
    "dexamethasone",
    "ondansetron",
    "filgrastim",
    "hospice",
    "palliative",
    "remission",
    "recurrence",
    "metastatic",
    "radiographer",
    "physiotherapy",
    "acupuncture",
    "mindfulness",
    "meditation",
    "wig",
    "headscarf",
    "eyebrows",
    "menopause",
    "fertility",
    "prosthesis",
    "reconstruction",
    "tattoo",
    "scar",
    "swallowing",
    "insomnia",
    "constipation",
    "appetite",
    "smoothies",
    "porridge",
    "peppermint",
    "swimming",
    "yoga",
    "pilates",
    "gardening",
    "knitting",
    "allotment",
    "grandchildren",
    "holiday",
    "insurance",
    "pension",
    "benefits",
    "parking",
    "wigmaker",
    "podcast",
    "audiobooks",
    "crossword",
    "jigsaw",
    "choir",
    "painting",
    "photography",
    "birdwatching",
    "cycling",
    "rowing",
    "hydrotherapy",
    "reflexology",
    "aromatherapy",
    "hypnotherapy",
    "counselling",
    "befriending",
    "volunteering",
    "caravan",
    "campervan",
    "greenhouse",
    "sourdough",
    "marmalade",
    "lavender",
    "beekeeping",
    "pottery",
    "ukulele",
    "harmonica",
    "origami",
    "calligraphy",
    "embroidery",
    "crochet",
    "quilting",
    "woodwork",
    "fishing",
    "sailing",
    "orienteering",
    "geocaching",
    "stargazing",
    "astronomy",
    "chess",
    "bridge",
    "dominoes",
    "scrabble",
    "genealogy",
    "archery",
    "fencing",
    "curling",
    "bowls",
    "croquet",
    "snooker",
    "darts",
    "skittles",
    "petanque",
    "bobbin",
    "tatting",
    "macrame",
    "marquetry",
    "bookbinding",
    "letterpress",
    "taxidermy",
    "falconry",
    "dowsing",
    "bellringing",
    "morris",
    "maypole",
    "wassailing",
    "coracle",
];

/// Draws ranks of `VOCABULARY` with weight 1/(rank+1)^1.3.
pub struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    pub fn new() -> Self {
        let mut sum = 0.0;
        let cumulative = (0..VOCABULARY.len())
            .map(|r| {
                sum += 1.0 / ((r + 1) as f64).powf(1.3);
                sum
            })
            .collect::<Vec<_>>();
        Self { cumulative }
    }

    pub fn word(&self, rng: &mut Rng) -> &'static str {
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        let x = rng.unit() * total;
        let rank = self.cumulative.partition_point(|&c| c < x);
        VOCABULARY[rank.min(VOCABULARY.len() - 1)]
    }
}

/// Writes titles and bodies with their search terms. A text is made of
/// whole sentences and the index's terms are made word by word, so each
/// sentence is stemmed once (stemming was a third of the load's time).
pub struct Writer {
    zipf: Zipf,
    language: Language,
    terms: HashMap<String, String>,
}

/// A text and its terms, as `index_terms` would make them.
#[derive(Default)]
pub struct Text {
    pub text: String,
    pub terms: String,
}

impl Text {
    fn push(&mut self, writer: &mut Writer, sentence: &str, separator: char) {
        if !self.text.is_empty() {
            self.text.push(separator);
        }
        self.text.push_str(sentence);
        let terms = writer
            .terms
            .entry(sentence.to_owned())
            .or_insert_with(|| index_terms(sentence, writer.language));
        if !terms.is_empty() {
            if !self.terms.is_empty() {
                self.terms.push(' ');
            }
            self.terms.push_str(terms);
        }
    }

    /// The terms of this text with `more` after it (a title and its body).
    pub fn terms_with(&self, more: &Text) -> String {
        [self.terms.as_str(), more.terms.as_str()]
            .iter()
            .filter(|t| !t.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl Writer {
    pub fn new(language: Language) -> Self {
        Self {
            zipf: Zipf::new(),
            language,
            terms: HashMap::new(),
        }
    }

    pub fn title(&mut self, rng: &mut Rng) -> Text {
        let title = if rng.below(3) == 0 {
            let (before, after) = TITLE_FORMS[rng.below(TITLE_FORMS.len() as u64) as usize];
            format!("{before}{}{after}", self.zipf.word(rng))
        } else {
            TITLES[rng.below(TITLES.len() as u64) as usize].to_owned()
        };
        let mut text = Text::default();
        text.push(self, &title, ' ');
        text
    }

    /// One to five sentences mostly, sometimes twenty; four posts in ten
    /// name a word of the vocabulary.
    pub fn body(&mut self, rng: &mut Rng) -> Text {
        let sentences = match rng.below(20) {
            0 => 6 + rng.below(15),
            _ => 1 + rng.below(5),
        } as usize;
        let term_at = (rng.below(10) < 4).then(|| rng.below(sentences as u64) as usize);
        let mut text = Text::default();
        for i in 0..sentences {
            if term_at == Some(i) {
                let form = TERM_SENTENCES[rng.below(TERM_SENTENCES.len() as u64) as usize];
                let sentence = form.replace("{}", self.zipf.word(rng));
                text.push(self, &sentence, ' ');
            } else {
                text.push(
                    self,
                    SENTENCES[rng.below(SENTENCES.len() as u64) as usize],
                    ' ',
                );
            }
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_words_are_drawn_far_more_often_than_rare_ones() {
        let zipf = Zipf::new();
        let mut rng = Rng::new(7);
        let mut first = 0;
        let mut last_ten = 0;
        for _ in 0..100_000 {
            let w = zipf.word(&mut rng);
            if w == VOCABULARY[0] {
                first += 1;
            }
            if VOCABULARY[VOCABULARY.len() - 10..].contains(&w) {
                last_ten += 1;
            }
        }
        assert!(first > 20_000, "{first}");
        assert!((1..1_000).contains(&last_ten), "{last_ten}");
    }

    #[test]
    fn bodies_vary_in_length_and_hold_no_digits() {
        let mut writer = Writer::new(Language::English);
        let mut rng = Rng::new(3);
        let lengths: Vec<usize> = (0..500).map(|_| writer.body(&mut rng).text.len()).collect();
        assert!(lengths.iter().any(|&l| l < 80));
        assert!(lengths.iter().any(|&l| l > 600));
        let body = writer.body(&mut rng).text;
        assert!(!body.chars().any(|c| c.is_ascii_digit()), "{body}");
    }

    #[test]
    fn terms_are_those_the_index_makes_of_the_whole_text() {
        let mut writer = Writer::new(Language::English);
        let mut rng = Rng::new(5);
        for _ in 0..200 {
            let title = writer.title(&mut rng);
            let body = writer.body(&mut rng);
            let whole = format!("{}\n{}", title.text, body.text);
            assert_eq!(
                title.terms_with(&body),
                index_terms(&whole, Language::English)
            );
            assert_eq!(body.terms, index_terms(&body.text, Language::English));
        }
    }
}
