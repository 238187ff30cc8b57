//! `hearth demo`: an example cancer-information community, loaded through
//! the same services as everything else, so that a newcomer sees Hearth at
//! work at once. Demo accounts have no password: the operator prints a
//! reset link for one (`hearth admin reset-password --alias …`) to use it.

use hearth_core::model::Role;
use hearth_store::{settings, spaces};

use crate::App;
use crate::error::{ServiceError, ServiceResult};
use crate::services::blogs::{EntryInput, Publish};
use crate::services::forum::{self, Reply, StartTopic};
use crate::services::safety::Submission;
use crate::services::spaces::SpaceForm;
use crate::services::{Actor, accounts, blogs, legal, setup};

const ORGANIZATION: &str = "Cancer Support Community (demo)";

const SPACES: &[(&str, &str, &str, &str)] = &[
    (
        "Living with cancer",
        "living-with-cancer",
        "public_read",
        "Day-to-day life during and after treatment: tips, worries and small victories.",
    ),
    (
        "Ask a nurse",
        "ask-a-nurse",
        "public_read",
        "Questions answered by our cancer information nurses, usually within one working day.",
    ),
    (
        "Newly diagnosed",
        "newly-diagnosed",
        "open",
        "Just been told? Ask anything. Guests are welcome; a moderator checks guests' posts first.",
    ),
    (
        "Members' lounge",
        "members-lounge",
        "members_only",
        "A quieter room for members only. Nothing here is visible to visitors or search engines.",
    ),
    (
        "Carers and family",
        "carers-and-family",
        "members_only",
        "For partners, parents, children and friends who care for someone with cancer.",
    ),
    (
        "Site feedback",
        "site-feedback",
        "open",
        "Tell us what works and what does not.",
    ),
];

const PEOPLE: &[(&str, Role)] = &[
    ("coordinator", Role::Admin),
    ("NurseAnna", Role::Staff),
    ("NurseKwame", Role::Staff),
    ("mod_sam", Role::Moderator),
    ("volunteer_lee", Role::Volunteer),
    ("rose", Role::Member),
    ("hopeful_tom", Role::Member),
    ("sunflower22", Role::Member),
    ("carer_jo", Role::Member),
    ("quietreader", Role::Member),
];

/// Topics: (space, author, title, body, replies as (author, body)).
type DemoTopic = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

const TOPICS: &[DemoTopic] = &[
    (
        "ask-a-nurse",
        "hopeful_tom",
        "Is it normal to feel this tired three weeks after radiotherapy?",
        "I finished a course of radiotherapy three weeks ago and I still need a nap every afternoon. Is that normal, or should I ring my team?",
        &[
            (
                "NurseAnna",
                "Hello @hopeful_tom, thank you for asking. Tiredness (fatigue) often carries on for several weeks, sometimes months, after radiotherapy ends. Gentle activity, such as a short walk each day, helps many people.\n\nDo ring your team if the tiredness gets **worse** rather than better, or if you are short of breath, dizzy, or have a temperature.",
            ),
            (
                "rose",
                "Same here after mine. It took about two months before I felt like myself. Be kind to yourself.",
            ),
            ("hopeful_tom", "Thank you both, that is reassuring."),
        ],
    ),
    (
        "ask-a-nurse",
        "sunflower22",
        "What questions should I take to my first oncology appointment?",
        "My first appointment is next week. I know I will forget everything when I am there. What should I ask?",
        &[
            (
                "NurseKwame",
                "A good idea to prepare. Some questions people find useful:\n\n1. What type of cancer is it, and has it spread?\n2. What treatment do you recommend, and why?\n3. What are the common side effects?\n4. Who do I contact if I have a problem, day or night?\n\nTake someone with you if you can, and write the answers down.",
            ),
            (
                "volunteer_lee",
                "We have a printable checklist too, ask at the information desk.",
            ),
        ],
    ),
    (
        "newly-diagnosed",
        "quietreader",
        "Just diagnosed and not sure where to start",
        "I was told on Monday. I have read so much online that I now feel worse. Where do people start?",
        &[
            (
                "mod_sam",
                "Welcome. Many of us felt exactly like this. Our nurses suggest sticking to trusted sources, and writing down questions for your team as they come up.",
            ),
            (
                "rose",
                "One day at a time. This forum helped me a lot in the first weeks.",
            ),
        ],
    ),
    (
        "members-lounge",
        "rose",
        "Small wins this week",
        "Share something that went well this week, however small. Mine: I managed a whole walk round the park.",
        &[
            (
                "carer_jo",
                "My dad laughed at a film for the first time in ages.",
            ),
            ("sunflower22", "I slept through the night!"),
        ],
    ),
    (
        "carers-and-family",
        "carer_jo",
        "How do you look after yourself while caring?",
        "I care for my dad and I am running on empty. How do other carers find time for themselves?",
        &[(
            "volunteer_lee",
            "Our carers' group meets online every Thursday evening; it helps to talk to people who understand.",
        )],
    ),
    (
        "site-feedback",
        "sunflower22",
        "Could the text be bigger on phones?",
        "I read the forum on my phone and sometimes zoom in. Is there a setting for larger text?",
        &[(
            "coordinator",
            "Thanks for the feedback. The pages follow your phone's text-size setting, so making the text larger there works here too.",
        )],
    ),
];

const CHEMO_TITLE: &str = "Tips for the first weeks of chemotherapy";

const CHEMO_TIPS: &[&str] = &[
    "Keep a small notebook for side effects and the days they happen. It helps at review appointments.",
    "Ginger biscuits helped my nausea more than I expected.",
    "Drink little and often. A marked water bottle reminded me.",
    "Soft toothbrush and a mild mouthwash, my mouth got sore in week two.",
    "Say yes when people offer to cook. It is not weakness.",
    "I wore a warm hat at home; my head felt cold before my hair thinned.",
    "Ask for the 24-hour helpline number and save it in your phone before the first cycle.",
    "Gentle walks on the good days, rest on the bad ones, and no guilt either way.",
    "Bring something to do on treatment days: a book, a puzzle or a podcast.",
    "Moisturiser for hands and feet, they got very dry.",
    "Let your employer know early; mine was more flexible than I feared.",
    "Take your temperature if you feel unwell, and ring the helpline if it is 37.5 or higher, or as your team told you.",
];

pub async fn load(app: &App) -> ServiceResult<()> {
    let mut conn = app.store().read().await?;
    if spaces::by_slug(&mut conn, SPACES[0].1).await?.is_some() {
        println!("The demo community is already loaded.");
        return Ok(());
    }
    let has_name = settings::get(&mut conn, settings::ORGANIZATION_NAME)
        .await?
        .is_some();
    drop(conn);
    let mut tx = app.store().write().await?;
    if !has_name {
        settings::set(&mut tx, settings::ORGANIZATION_NAME, ORGANIZATION).await?;
        app.set_site_name(ORGANIZATION);
    }
    setup::publish_starter_documents(&mut tx, &app.site_name(), app.now()).await?;
    // The demo's nurses keep London hours.
    if settings::get(&mut tx, settings::TIME_ZONE).await?.is_none() {
        settings::set(&mut tx, settings::TIME_ZONE, "Europe/London").await?;
    }
    hearth_store::commit(tx).await?;

    let mut actors = Vec::new();
    for (alias, role) in PEOPLE {
        let email = format!("{}@demo.invalid", alias.to_lowercase());
        // Someone of that alias may exist already: the demo then uses them.
        let account = match accounts::by_alias(app, alias).await {
            Ok(account) => account,
            Err(ServiceError::NotFound) => {
                accounts::create_by_operator(app, alias, &email, *role, None).await?
            }
            Err(e) => return Err(e),
        };
        let actor = Actor::member(account);
        // The demo's people have read the terms; real members accept them themselves.
        let documents: Vec<i64> = legal::awaiting(app, &actor)
            .await?
            .iter()
            .map(|d| d.id)
            .collect();
        legal::accept(app, &actor, &documents).await?;
        actors.push((*alias, actor));
    }
    let actor = |alias: &str| -> ServiceResult<&Actor> {
        actors
            .iter()
            .find(|(a, _)| *a == alias)
            .map(|(_, actor)| actor)
            .ok_or_else(|| ServiceError::Internal(format!("demo: no person {alias}")))
    };
    let admin = actor("coordinator")?;
    for (position, (name, slug, tier, description)) in SPACES.iter().enumerate() {
        let form = SpaceForm {
            name: (*name).into(),
            slug: (*slug).into(),
            description: (*description).into(),
            position: (position as i64 * 10).to_string(),
            tier: (*tier).into(),
            medical: *slug == "living-with-cancer",
            ..Default::default()
        };
        crate::services::spaces::create(app, admin, &form).await?;
    }

    let chemo = forum::start_topic(
        app,
        actor("rose")?,
        "living-with-cancer",
        StartTopic {
            title: CHEMO_TITLE.into(),
            body: "I start chemotherapy next month. What helped you get through the first few weeks? Practical tips very welcome.".into(),
            guest_name: String::new(),
            submission: Submission::imported(),
        },
    )
    .await?;
    let tip_authors = [
        "hopeful_tom",
        "sunflower22",
        "carer_jo",
        "quietreader",
        "volunteer_lee",
        "NurseAnna",
    ];
    for i in 0..50 {
        let body = format!("{} ({} of 50)", CHEMO_TIPS[i % CHEMO_TIPS.len()], i + 1);
        let cmd = Reply {
            body,
            reply_to: None,
            guest_name: String::new(),
            submission: Submission::imported(),
        };
        forum::reply(
            app,
            actor(tip_authors[i % tip_authors.len()])?,
            chemo.topic,
            cmd,
        )
        .await?;
    }
    for (space, author, title, body, replies) in TOPICS {
        let cmd = StartTopic {
            title: (*title).into(),
            body: (*body).into(),
            guest_name: String::new(),
            submission: Submission::imported(),
        };
        let posted = forum::start_topic(app, actor(author)?, space, cmd).await?;
        for (who, text) in *replies {
            let cmd = Reply {
                body: (*text).into(),
                reply_to: None,
                guest_name: String::new(),
                submission: Submission::imported(),
            };
            forum::reply(app, actor(who)?, posted.topic, cmd).await?;
        }
    }
    news_blog(app, admin, actor("NurseAnna")?, actor("rose")?).await?;
    chat_room(app, admin, actor("NurseAnna")?, actor("rose")?).await?;
    println!(
        "Loaded the demo community: {} spaces, a blog, two chat rooms (one staffed), {} people, {} topics.\n\
         Demo accounts have no password. To sign in as the demo admin, run\n    hearth admin reset-password --alias coordinator\n\
         and open the link it prints.",
        SPACES.len(),
        PEOPLE.len(),
        TOPICS.len() + 1
    );
    Ok(())
}

/// A chat room where members talk with the nurses, with a short exchange,
/// and a staffed one with opening hours.
async fn chat_room(app: &App, admin: &Actor, nurse: &Actor, member: &Actor) -> ServiceResult<()> {
    let form = SpaceForm {
        name: "Chat with the nurses".into(),
        slug: "nurse-chat".into(),
        description: "Talk with our nurses and with each other in short messages.".into(),
        position: "200".into(),
        tier: "public_read".into(),
        kind: "room".into(),
        ..Default::default()
    };
    crate::services::spaces::create(app, admin, &form).await?;
    for (who, text) in [
        (
            member,
            "Is anyone around? I have a question about mouth sores during chemo.",
        ),
        (
            nurse,
            "Hello rose, I'm here. Mouth sores are common: rinse with salt water a few times a day and use a soft toothbrush. If they stop you eating or drinking, call your treatment team.",
        ),
        (member, "Thank you, that helps."),
    ] {
        let cmd = crate::services::chat::Send {
            body: text.into(),
            reply_to: None,
            submission: Submission::imported(),
        };
        crate::services::chat::send(app, who, "nurse-chat", cmd).await?;
    }
    // A staffed room: open for an hour a week, questions left in between.
    let form = SpaceForm {
        name: "Nurse sessions".into(),
        slug: "nurse-sessions".into(),
        description: "A nurse answers questions here on Tuesdays from 6 to 7 pm. Leave yours at any time: the nurse picks it up when the session opens.".into(),
        position: "210".into(),
        tier: "public_read".into(),
        kind: "room".into(),
        ..Default::default()
    };
    crate::services::spaces::create(app, admin, &form).await?;
    crate::services::chat::set_hours(app, admin, "nurse-sessions", "Tuesday 18:00–19:00").await?;
    Ok(())
}

/// The organization's news blog, written by a nurse, with one entry and a comment.
async fn news_blog(app: &App, admin: &Actor, nurse: &Actor, reader: &Actor) -> ServiceResult<()> {
    let form = SpaceForm {
        name: "News and stories".into(),
        slug: "news".into(),
        description: "News from our nurses and the team, and stories from the community.".into(),
        position: "100".into(),
        tier: "public_read".into(),
        kind: "blog".into(),
        writers: "NurseAnna".into(),
        ..Default::default()
    };
    crate::services::spaces::create(app, admin, &form).await?;
    let entry = EntryInput {
        title: "Our winter drop-in sessions".into(),
        body: "Every Tuesday in December our nurses hold a drop-in session: come with any question about treatment, side effects or looking after yourself in the cold months.\n\nNo appointment needed.".into(),
        tags: "Events, Nurses".into(),
        publish: Some(Publish::Now),
        submission: Submission::imported(),
        ..Default::default()
    };
    let saved = blogs::create_entry(app, nurse, "news", entry).await?;
    let comment = Reply {
        body: "Thank you, I will come along on the first Tuesday.".into(),
        reply_to: None,
        guest_name: String::new(),
        submission: Submission::imported(),
    };
    blogs::comment(app, reader, "news", &saved.slug, comment).await?;
    Ok(())
}
