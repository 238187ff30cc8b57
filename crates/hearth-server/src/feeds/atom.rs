//! A neutral feed as Atom (RFC 4287).

use atom_syndication::{Content, Entry, FixedDateTime, Link, Person, Text};

use super::Feed;

fn date(ms: i64) -> FixedDateTime {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .fixed_offset()
}

fn link(href: &str, rel: &str, mime: Option<&str>) -> Link {
    Link {
        href: href.to_owned(),
        rel: rel.to_owned(),
        mime_type: mime.map(str::to_owned),
        ..Default::default()
    }
}

/// `id` is the feed's permanent address (without a token); `self_url` the
/// address it was fetched from.
pub fn write(feed: &Feed, id: &str, self_url: &str) -> String {
    let atom = atom_syndication::Feed {
        title: Text::plain(feed.title.clone()),
        subtitle: Some(Text::plain(feed.subtitle.clone())),
        id: id.to_owned(),
        updated: date(feed.updated),
        generator: Some(atom_syndication::Generator {
            value: "Hearth".into(),
            ..Default::default()
        }),
        links: vec![
            link(self_url, "self", Some(super::Format::Atom.mime())),
            link(&feed.page, "alternate", Some("text/html")),
        ],
        entries: feed
            .items
            .iter()
            .map(|item| Entry {
                title: Text::plain(item.title.clone()),
                id: item.link.clone(),
                updated: date(item.updated),
                published: Some(date(item.published)),
                authors: vec![Person {
                    name: item.author.clone(),
                    ..Default::default()
                }],
                links: vec![link(&item.link, "alternate", Some("text/html"))],
                content: Some(Content {
                    value: Some(item.html.clone()),
                    content_type: Some("html".into()),
                    ..Default::default()
                }),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    atom.to_string()
}
