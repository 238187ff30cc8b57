use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};

use super::mentions::mention_spans;

/// Renders a member's Markdown as HTML that is safe to put in any page:
/// raw HTML is sanitized away by ammonia, links are marked as user content
/// (`rel="nofollow ugc noopener"`), and `@alias` mentions become profile links.
pub fn render_markdown(source: &str) -> String {
    let options =
        Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS;
    let mut in_code = 0usize;
    let mut in_link = 0usize;
    let events = Parser::new_ext(source, options).map(|event| match event {
        Event::Start(Tag::CodeBlock(_)) => {
            in_code += 1;
            event
        }
        Event::End(TagEnd::CodeBlock) => {
            in_code -= 1;
            event
        }
        Event::Start(Tag::Link { .. }) => {
            in_link += 1;
            event
        }
        Event::End(TagEnd::Link) => {
            in_link -= 1;
            event
        }
        Event::Text(text) if in_code == 0 && in_link == 0 && text.contains('@') => {
            Event::InlineHtml(CowStr::from(link_mentions(&text)))
        }
        other => other,
    });
    let mut unsafe_html = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut unsafe_html, events);
    sanitizer().clean(&unsafe_html).to_string()
}

/// A short plain-text excerpt, for lists and previews.
pub fn to_plain_excerpt(source: &str, max_chars: usize) -> String {
    let mut text = String::new();
    for event in Parser::new(source) {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak | Event::End(TagEnd::Paragraph) => text.push(' '),
            _ => {}
        }
        if text.chars().count() > max_chars {
            break;
        }
    }
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() > max_chars {
        let cut: String = text.chars().take(max_chars.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    } else {
        text
    }
}

fn link_mentions(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 32);
    let mut last = 0;
    for (at, name) in mention_spans(text) {
        out.push_str(&escape_html(&text[last..at]));
        out.push_str(&format!(
            "<a class=\"mention\" href=\"/u/{name}\">@{name}</a>",
            name = escape_html(name)
        ));
        last = at + 1 + name.len();
    }
    out.push_str(&escape_html(&text[last..]));
    out
}

/// Text made safe to place in HTML (content or a quoted attribute).
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn sanitizer() -> &'static ammonia::Builder<'static> {
    static BUILDER: std::sync::OnceLock<ammonia::Builder<'static>> = std::sync::OnceLock::new();
    BUILDER.get_or_init(|| {
        let mut b = ammonia::Builder::default();
        b.link_rel(Some("nofollow ugc noopener"))
            .add_allowed_classes("a", &["mention"])
            .url_schemes(["http", "https", "mailto"].into_iter().collect());
        b
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_and_handlers_are_removed() {
        let html = render_markdown(
            "Hi <script>alert(1)</script><img src=x onerror=alert(2)> [x](javascript:alert(3))",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
    }

    #[test]
    fn links_are_marked_as_user_content() {
        let html = render_markdown("See [the guide](https://example.org/guide)");
        assert!(html.contains(r#"rel="nofollow ugc noopener""#), "{html}");
    }

    #[test]
    fn mentions_become_profile_links_outside_code() {
        let html = render_markdown("Ask @NurseAnna, not `@code`");
        assert!(
            html.contains(r#"<a class="mention" href="/u/NurseAnna""#),
            "{html}"
        );
        assert!(html.contains("<code>@code</code>"), "{html}");
    }

    #[test]
    fn mention_text_is_escaped() {
        let html = render_markdown("x < y @rose & z");
        assert!(html.contains("x &lt; y"), "{html}");
        assert!(html.contains("&amp; z"), "{html}");
    }

    #[test]
    fn excerpt_is_plain_and_short() {
        assert_eq!(
            to_plain_excerpt("**Bold** and _soft_\n\nNext", 100),
            "Bold and soft Next"
        );
        assert_eq!(to_plain_excerpt("abcdefghij", 5), "abcd…");
    }
}
