//! What webmentions need of an HTML page, read with html5ever's tokenizer
//! (no tree is built): its links with their `rel` and `class`, and the few
//! microformats2 properties a reaction shows (the entry's name, its author,
//! an excerpt of its content). Text in comments, scripts and styles is not
//! read, so a link hidden there counts for nothing.

use std::cell::RefCell;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, CharacterTokens, EndTag, StartTag, Tag, TagToken, Token, TokenSink,
    TokenSinkResult, Tokenizer, TokenizerOpts,
};

/// Text kept of a property; reactions show a line, not a page.
const MAX_TEXT_CHARS: usize = 300;

/// An element that points somewhere.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// The element's name: `a`, `link`, `img`…
    pub element: String,
    /// As written (relative addresses are resolved by the reader).
    pub href: String,
    pub rels: Vec<String>,
    pub classes: Vec<String>,
}

impl Link {
    /// Visible in the page (a `<link>` in the head is not).
    pub fn in_content(&self) -> bool {
        self.element != "link"
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Page {
    pub links: Vec<Link>,
    /// The page's `<base href>`: what its relative links are relative to.
    pub base: Option<String>,
    pub title: Option<String>,
    /// The first `p-name`.
    pub name: Option<String>,
    /// The first `p-author` (or `<meta name="author">`).
    pub author: Option<String>,
    /// The first `e-content` or `p-content`.
    pub content: Option<String>,
}

impl Page {
    /// What the page's relative links are relative to: its `<base href>`,
    /// else its own address.
    pub fn base_url(&self, page_url: &url::Url) -> url::Url {
        self.base
            .as_deref()
            .and_then(|b| page_url.join(b).ok())
            .unwrap_or_else(|| page_url.clone())
    }
}

pub fn scan(html: &str) -> Page {
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let tokenizer = Tokenizer::new(Scanner::default(), TokenizerOpts::default());
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.state.into_inner().page
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Title,
    Name,
    Author,
    Content,
}

/// Text being gathered for a field, until its element closes.
struct Capture {
    field: Field,
    element: String,
    /// Elements open inside the captured one, plus one for itself.
    depth: usize,
    text: String,
}

#[derive(Default)]
struct State {
    page: Page,
    capture: Option<Capture>,
    /// Inside `<script>` or `<style>`: their text is not the page's.
    in_raw: bool,
}

#[derive(Default)]
struct Scanner {
    state: RefCell<State>,
}

/// Elements without an end tag: they never open a level.
fn is_void(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "source"
            | "track"
            | "wbr"
    )
}

fn attr<'t>(tag: &'t Tag, name: &str) -> Option<&'t str> {
    tag.attrs
        .iter()
        .find(|a| &*a.name.local == name)
        .map(|a| a.value.as_ref())
}

fn words(value: Option<&str>) -> Vec<String> {
    value
        .unwrap_or("")
        .split_ascii_whitespace()
        .map(|w| w.to_ascii_lowercase())
        .collect()
}

/// Elements whose end tag may be left out (`<p>a<p>b`): they are not
/// counted as levels, or one left open would keep a capture open for good.
fn optional_end(name: &str) -> bool {
    matches!(
        name,
        "p" | "li" | "dt" | "dd" | "tr" | "td" | "th" | "option" | "optgroup" | "rb" | "rt" | "rp"
    )
}

/// The attribute an element points with, if it is one that points.
fn pointer(element: &str) -> Option<&'static str> {
    match element {
        "a" | "area" | "link" => Some("href"),
        "img" | "video" | "audio" | "source" | "iframe" => Some("src"),
        "blockquote" | "q" | "ins" | "del" => Some("cite"),
        _ => None,
    }
}

impl State {
    fn start(&mut self, tag: &Tag) -> TokenSinkResult<()> {
        let name: &str = &tag.name;
        let classes = words(attr(tag, "class"));
        if let Some(href) = pointer(name).and_then(|a| attr(tag, a)) {
            self.page.links.push(Link {
                element: name.to_owned(),
                href: href.trim().to_owned(),
                rels: words(attr(tag, "rel")),
                classes: classes.clone(),
            });
        }
        if name == "base" && self.page.base.is_none() {
            self.page.base = attr(tag, "href").map(|h| h.trim().to_owned());
        }
        if name == "meta"
            && attr(tag, "name").is_some_and(|n| n.eq_ignore_ascii_case("author"))
            && self.page.author.is_none()
        {
            self.page.author = attr(tag, "content").map(tidy).filter(|a| !a.is_empty());
        }
        let opens = !is_void(name) && !tag.self_closing;
        self.break_text(name);
        match &mut self.capture {
            Some(c) if opens && !optional_end(name) => c.depth += 1,
            Some(_) => {}
            None if opens => {
                let has = |c: &str| classes.iter().any(|k| k == c);
                let field = if name == "title" {
                    Some(Field::Title).filter(|_| self.page.title.is_none())
                } else if has("p-author") && self.page.author.is_none() {
                    Some(Field::Author)
                } else if has("p-name") && self.page.name.is_none() {
                    Some(Field::Name)
                } else if (has("e-content") || has("p-content")) && self.page.content.is_none() {
                    Some(Field::Content)
                } else {
                    None
                };
                self.capture = field.map(|field| Capture {
                    field,
                    element: name.to_owned(),
                    depth: 1,
                    text: String::new(),
                });
            }
            None => {}
        }
        match name {
            "title" => TokenSinkResult::RawData(RawKind::Rcdata),
            "script" => {
                self.in_raw = true;
                TokenSinkResult::RawData(RawKind::ScriptData)
            }
            "style" | "noscript" | "template" => {
                self.in_raw = true;
                TokenSinkResult::RawData(RawKind::Rawtext)
            }
            _ => TokenSinkResult::Continue,
        }
    }

    fn end(&mut self, tag: &Tag) {
        let name: &str = &tag.name;
        if matches!(name, "script" | "style" | "noscript" | "template") {
            self.in_raw = false;
        }
        self.break_text(name);
        if is_void(name) {
            return;
        }
        let Some(c) = &mut self.capture else {
            return;
        };
        let closes = if optional_end(name) {
            // Not a level: it closes only the capture it started itself.
            c.depth == 1 && c.element == name
        } else {
            c.depth -= 1;
            c.depth == 0
        };
        if !closes {
            return;
        }
        let text = Some(tidy(&c.text)).filter(|t| !t.is_empty());
        match c.field {
            Field::Title => self.page.title = text,
            Field::Name => self.page.name = text,
            Field::Author => self.page.author = text,
            Field::Content => self.page.content = text,
        }
        self.capture = None;
    }

    /// Blocks and line breaks part words in gathered text.
    fn break_text(&mut self, element: &str) {
        let parts = matches!(
            element,
            "p" | "br" | "div" | "li" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "blockquote"
        );
        if let Some(c) = &mut self.capture
            && parts
        {
            c.text.push(' ');
        }
    }

    fn text(&mut self, text: &str) {
        if self.in_raw {
            return;
        }
        if let Some(c) = &mut self.capture
            && c.text.len() < MAX_TEXT_CHARS * 8
        {
            c.text.push_str(text);
        }
    }
}

/// Spaces collapsed, cut to a line's length at a character boundary.
fn tidy(text: &str) -> String {
    let mut out = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some((cut, _)) = out.char_indices().nth(MAX_TEXT_CHARS) {
        out.truncate(cut);
        out.push('…');
    }
    out
}

impl TokenSink for Scanner {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut state = self.state.borrow_mut();
        match token {
            TagToken(tag) if tag.kind == StartTag => return state.start(&tag),
            TagToken(tag) if tag.kind == EndTag => state.end(&tag),
            CharacterTokens(text) => state.text(&text),
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_come_with_their_rel_and_class() {
        let page = scan(
            r#"<html><head><link rel="webmention" href="/wm"></head><body>
            <a class="u-like-of h-cite" href="https://a.example/post">liked</a>
            <img src="pic.png"><a>no href</a></body></html>"#,
        );
        let hrefs: Vec<&str> = page.links.iter().map(|l| l.href.as_str()).collect();
        assert_eq!(hrefs, ["/wm", "https://a.example/post", "pic.png"]);
        assert_eq!(page.links[0].rels, ["webmention"]);
        assert!(!page.links[0].in_content());
        assert_eq!(page.links[1].classes, ["u-like-of", "h-cite"]);
    }

    #[test]
    fn links_in_comments_and_scripts_do_not_count() {
        let page = scan(
            r#"<body><!-- <a href="https://a.example/hidden">x</a> -->
            <script>document.write('<a href="https://a.example/script">x</a>')</script>
            <style>a[href="https://a.example/style"] {}</style>
            <p>text</p></body>"#,
        );
        assert!(page.links.is_empty(), "{:?}", page.links);
    }

    #[test]
    fn an_entry_gives_its_name_author_and_content() {
        let page = scan(
            r#"<title>My  blog &amp; more</title>
            <article class="h-entry">
              <h1 class="p-name">Walking for <em>charity</em></h1>
              <a class="p-author h-card" href="/"><img src="me.jpg" alt=""> <span class="p-name">Jo Bloggs</span></a>
              <div class="e-content"><p>We walked <br> ten miles.</p><p>Thank you!</p></div>
            </article>"#,
        );
        assert_eq!(page.title.as_deref(), Some("My blog & more"));
        assert_eq!(page.name.as_deref(), Some("Walking for charity"));
        assert_eq!(page.author.as_deref(), Some("Jo Bloggs"));
        assert_eq!(
            page.content.as_deref(),
            Some("We walked ten miles. Thank you!")
        );
    }

    #[test]
    fn paragraphs_left_open_do_not_swallow_the_rest() {
        let page = scan(
            r#"<div class="e-content"><p>one<p>two</div>
               <p class="p-name">The <em>name</em></p><span class="p-author">Ann</span>"#,
        );
        assert_eq!(page.content.as_deref(), Some("one two"));
        assert_eq!(page.name.as_deref(), Some("The name"));
        assert_eq!(page.author.as_deref(), Some("Ann"));
    }

    #[test]
    fn a_meta_author_counts_when_there_is_no_h_card() {
        let page = scan(r#"<meta name="author" content=" Sam "><p>hello</p>"#);
        assert_eq!(page.author.as_deref(), Some("Sam"));
    }

    #[test]
    fn long_text_is_cut_to_a_line() {
        let long = "word ".repeat(200);
        let page = scan(&format!(r#"<div class="e-content">{long}</div>"#));
        let content = page.content.unwrap();
        assert_eq!(content.chars().count(), MAX_TEXT_CHARS + 1);
        assert!(content.ends_with('…'));
    }
}
