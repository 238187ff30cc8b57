//! A neutral feed as RSS 2.0. Authors go in `dc:creator`: RSS's own
//! `<author>` must be an email address, and members appear only by alias.

use std::collections::BTreeMap;
use std::time::{Duration, UNIX_EPOCH};

use rss::extension::Extension;
use rss::extension::dublincore::DublinCoreExtension;
use rss::{Channel, Guid, Item};

use super::Feed;

const ATOM_NS: &str = "http://www.w3.org/2005/Atom";

/// An RFC 822 date, as RSS wants (the HTTP date format is one).
fn date(ms: i64) -> String {
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64))
}

pub fn write(feed: &Feed, self_url: &str) -> String {
    // `atom:link rel="self"` tells readers the feed's own address.
    let self_link = Extension {
        name: "atom:link".into(),
        value: None,
        attrs: BTreeMap::from([
            ("href".to_owned(), self_url.to_owned()),
            ("rel".to_owned(), "self".to_owned()),
            ("type".to_owned(), super::Format::Rss.mime().to_owned()),
        ]),
        children: BTreeMap::new(),
    };
    let channel = Channel {
        title: feed.title.clone(),
        link: feed.page.clone(),
        description: feed.subtitle.clone(),
        generator: Some("Hearth".into()),
        last_build_date: Some(date(feed.updated)),
        namespaces: BTreeMap::from([("atom".to_owned(), ATOM_NS.to_owned())]),
        extensions: BTreeMap::from([(
            "atom".to_owned(),
            BTreeMap::from([("link".to_owned(), vec![self_link])]),
        )]),
        items: feed
            .items
            .iter()
            .map(|item| Item {
                title: Some(item.title.clone()),
                link: Some(item.link.clone()),
                description: Some(item.html.clone()),
                guid: Some(Guid {
                    value: item.link.clone(),
                    permalink: true,
                }),
                pub_date: Some(date(item.published)),
                dublin_core_ext: Some(DublinCoreExtension {
                    creators: vec![item.author.clone()],
                    ..Default::default()
                }),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    channel.to_string()
}
