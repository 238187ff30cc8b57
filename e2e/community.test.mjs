// The first community scenario: a newcomer registers and starts a topic in a public space,
// a second member replies, a guest reads both but cannot reply nor see the members-only
// space. Every page visited is checked with axe and screenshotted at two widths.
//
// The locators are role- and label-based on purpose: the pages must be accessible.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { inspect, launchBrowser, newActor, startServer, uniqueSuffix, expectVisible, posted } from './helpers.mjs';

const PUBLIC_SPACE = 'Living with cancer';
const PUBLIC_SPACE_PATH = '/s/living-with-cancer';
const MEMBERS_SPACE = /Members['’] lounge/;
const MEMBERS_SPACE_PATH = '/s/members-lounge';
const PUBLIC_NOTICE = /Anyone on the internet can read posts here/;
const PASSWORD = 'correct horse battery staple';

const run = uniqueSuffix();
const alice = { alias: `ada_${run}`, email: `ada.${run}@example.test`, password: PASSWORD };
const bob = { alias: `ben-${run}`, email: `ben.${run}@example.test`, password: PASSWORD };
const topic = {
  title: `What helped you sleep during treatment? ${run}`,
  body: `Since the second cycle I wake up at 3 every night. What helped you? (run ${run})`,
};
const reply = `A warm shower and no screens after nine helped me a lot. (reply ${run})`;




/** Checks that a labelled form control submits under the expected field name. */
async function expectFieldName(locator, name, what) {
  const actual = await locator.getAttribute('name');
  assert.equal(actual, name, `${what} should submit as name="${name}"`);
}

/** Registers on /register and checks the header shows the alias afterwards. */
async function register(page, person, shotName) {
  await page.goto('/register');
  await inspect(page, `${shotName}-register`);

  const alias = page.getByLabel(/^Alias/);
  const email = page.getByLabel(/^Email/);
  const password = page.getByLabel(/^Password/);
  const terms = page.getByRole('checkbox', { name: /terms/i });
  await expectFieldName(alias, 'alias', 'the field labelled "Alias"');
  await expectFieldName(email, 'email', 'the field labelled "Email"');
  await expectFieldName(password, 'password', 'the field labelled "Password"');
  await expectFieldName(terms, 'accept_terms', 'the terms checkbox');
  const termsLabel = await terms.evaluate((el) => (el.labels?.[0]?.innerText ?? '').trim());
  assert.match(termsLabel, /privacy/i, 'the terms checkbox label should mention the privacy statement');

  await alias.fill(person.alias);
  await email.fill(person.email);
  await password.fill(person.password);
  await terms.check();
  await page.getByRole('button', { name: 'Create account', exact: true }).click();

  await expectVisible(
    page,
    page.getByRole('banner').getByText(person.alias),
    `the alias "${person.alias}" in the page header (signed in after registering)`,
  );
  await page.waitForLoadState('load');
  await inspect(page, `${shotName}-registered`);
}

describe('community: register, post, reply, read as guest', { timeout: 300_000 }, () => {
  let server;
  let browser;
  const actors = [];
  let topicPath; // e.g. /t/42, set by step 2
  let replyPosted = false; // set by step 3

  async function actor() {
    const a = await newActor(browser, server.baseURL);
    actors.push(a);
    return a.page;
  }

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });

  after(async () => {
    for (const a of actors) await a.context.close().catch(() => {});
    await browser?.close().catch(() => {});
    await server?.stop();
  });

  let alicePage;

  test('1. a newcomer registers and is signed in', async () => {
    const page = await actor();
    await register(page, alice, '01-alice');
    alicePage = page; // only once signed in: later steps skip otherwise
  });

  test('2. the newcomer starts a topic in a public space', async (t) => {
    if (!alicePage) return t.skip('needs the member from step 1');
    const page = alicePage;

    await page.goto('/');
    await inspect(page, '02-alice-home');
    await page.getByRole('link', { name: PUBLIC_SPACE, exact: true }).first().click();
    await page.waitForURL((url) => url.pathname === PUBLIC_SPACE_PATH);
    await expectVisible(page, page.getByText(PUBLIC_NOTICE), 'the who-can-see notice on the space page');
    await inspect(page, '02-space');

    await page.getByRole('link', { name: 'Start a new topic', exact: true }).first().click();
    const title = page.getByLabel(/^Title/);
    await expectVisible(page, title, 'the field labelled "Title" on the composer');
    await page.waitForLoadState('load');
    await expectVisible(page, page.getByText(PUBLIC_NOTICE), 'the who-can-see notice on the composer');
    await inspect(page, '02-composer');

    const message = page.getByRole('textbox', { name: /^Message/ });
    await expectFieldName(title, 'title', 'the field labelled "Title"');
    await expectFieldName(message, 'body', 'the textarea labelled "Message"');
    assert.equal(await message.evaluate((el) => el.tagName), 'TEXTAREA', '"Message" should be a textarea');
    await title.fill(topic.title);
    await message.fill(topic.body);
    await page.getByRole('button', { name: 'Post topic', exact: true }).click();

    await expectVisible(
      page,
      page.getByRole('heading', { level: 1, name: topic.title, exact: true }),
      `the new topic's title as the h1`,
    );
    await page.waitForLoadState('load');
    const { pathname } = new URL(page.url());
    assert.match(pathname, /^\/t\/\d+$/, 'the topic page should live at /t/<number>');
    topicPath = pathname;
    await expectVisible(page, posted(page, topic.body), 'the opening message on the topic page');
    await inspect(page, '02-topic');
  });

  test('3. a second member replies', async (t) => {
    if (!topicPath) return t.skip('needs the topic from step 2');
    const page = await actor();
    await register(page, bob, '03-bob');

    await page.goto(topicPath);
    await inspect(page, '03-topic-before-reply');
    const box = page.getByRole('textbox', { name: /^Your reply/ });
    await expectFieldName(box, 'body', 'the textarea labelled "Your reply"');
    assert.equal(await box.evaluate((el) => el.tagName), 'TEXTAREA', '"Your reply" should be a textarea');
    await box.fill(reply);
    await page.getByRole('button', { name: 'Post reply', exact: true }).click();

    // The reply as posted text, not as the content of a re-shown textarea.
    await expectVisible(page, posted(page, reply), 'the reply on the topic page');
    await page.waitForLoadState('load');
    replyPosted = true;
    await inspect(page, '03-topic-after-reply');
  });

  test('4. a guest reads the topic but cannot reply nor see the members-only space', async (t) => {
    if (!topicPath) return t.skip('needs the topic from step 2');
    const page = await actor();

    const res = await page.goto(topicPath);
    assert.equal(res.status(), 200, `GET ${topicPath} as a guest`);
    await expectVisible(page, posted(page, topic.body), 'the opening message (as a guest)');
    if (replyPosted) await expectVisible(page, posted(page, reply), 'the reply (as a guest)');
    else t.diagnostic('step 3 posted no reply: not looking for it');
    await expectVisible(
      page,
      page.getByRole('link', { name: 'Sign in to reply', exact: true }),
      'the link "Sign in to reply" (as a guest)',
    );
    assert.equal(await page.getByRole('textbox', { name: /^Your reply/ }).count(), 0, 'a guest gets no reply box');
    assert.equal(await page.getByRole('button', { name: 'Post reply' }).count(), 0, 'a guest gets no reply button');
    await inspect(page, '04-guest-topic');

    await page.goto('/');
    await page.waitForLoadState('load');
    const homeText = await page.locator('body').innerText();
    assert.doesNotMatch(homeText, MEMBERS_SPACE, 'a guest must not see the members-only space on /');
    assert.equal(
      await page.locator(`a[href*="${MEMBERS_SPACE_PATH}"]`).count(),
      0,
      'a guest must not get a link to the members-only space',
    );
    assert.doesNotMatch(await page.content(), /members-lounge|Members(&#39;|&#x27;|'|’|&rsquo;) lounge/, 'not even hidden in the HTML');
    await inspect(page, '04-guest-home');

    const lounge = await page.goto(MEMBERS_SPACE_PATH);
    assert.equal(lounge.status(), 404, `GET ${MEMBERS_SPACE_PATH} as a guest should be 404`);
    await inspect(page, '04-guest-members-lounge-404');
  });

  test('5. a member sees the members-only space', async (t) => {
    if (!alicePage) return t.skip('needs the member from step 1');
    const page = alicePage;
    await page.goto('/');
    await expectVisible(
      page,
      page.getByRole('link', { name: MEMBERS_SPACE }),
      'a link to "Members\' lounge" on / (signed in)',
    );
    await inspect(page, '05-alice-home');
  });

  test('6. a guest finds the topic with search, the words highlighted', async (t) => {
    if (!topicPath) return t.skip('needs the topic from step 2');
    const page = await actor();
    await page.goto('/');
    await page.getByRole('link', { name: 'Search', exact: true }).click();
    await page.getByRole('searchbox', { name: /^Search for/ }).fill(`waking ${run}`);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await expectVisible(page, page.getByRole('heading', { name: '1 result', exact: true }), 'one result');
    await expectVisible(page, page.getByRole('link', { name: topic.title, exact: true }), 'the topic as the result');
    assert.ok((await page.locator('.snippet mark').count()) >= 1, 'the matched words are highlighted');
    await inspect(page, '06-guest-search');
  });
});
