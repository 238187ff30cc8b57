// The second set of scenarios: the pages community.test.mjs does not visit.
//
//   1. a member: account page (personal access token, private feed links), notifications, public profile;
//   2. the member on a demo topic: reply with quote, edit (and its history), like, delete;
//   3. the demo admin (password set from a `hearth admin reset-password` link): the admin
//      pages, a new space (and the form's error state), a role change, new terms of use;
//   4. the member signs in again and is asked to accept the new terms;
//   5. guests: sign-in, password reset, legal texts, an open space; a guest's topic is held;
//   6. the admin approves the guest's topic, and guests can then read it.
//
// Every actor has their own browser context. Every page visited is checked with axe and
// screenshotted at two widths (inspect). Locators are role- and label-based on purpose.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  article,
  expectVisible,
  h1,
  inspect,
  launchBrowser,
  newActor,
  pathOf,
  posted,
  register,
  startServer,
  submit,
  uniqueSuffix,
  whereAmI,
} from './helpers.mjs';

const PASSWORD = 'correct horse battery staple';
const ADMIN_ALIAS = 'coordinator';
const ADMIN_EMAIL = 'coordinator@demo.invalid';

const NURSE_SPACE_PATH = '/s/ask-a-nurse';
const DEMO_TOPIC = 'Is it normal to feel this tired three weeks after radiotherapy?';
const NURSE_POST = /Tiredness \(fatigue\) often carries on/; // NurseAnna's reply
const ROSE_POST = /Same here after mine/; // rose's reply
const OPEN_SPACE_PATH = '/s/newly-diagnosed';
const ROLE_CHANGE = { alias: 'quietreader', role: 'volunteer' };

const run = uniqueSuffix();
const member = { alias: `mia_${run}`, email: `mia.${run}@example.test`, password: PASSWORD };
const adminPassword = `lantern meadow ${run}`;
const replyText = `Thank you, a short walk every morning helps me too. (reply ${run})`;
const editedText = `Thank you, a short walk every morning and an early night help me. (edited ${run})`;
const space = {
  name: `Peer support ${run}`,
  slug: `peer-support-${run}`,
  description: 'Talk with people who have been through the same treatment.',
  order: '70',
};
const termsAddition = `## What changed (${run})\n\nWe explain how long we keep guests' posts that are not approved.`;
const guestTopic = {
  name: `visitor_${run}`,
  title: `Where do I find the support groups? ${run}`,
  body: `I am not a member yet. Is there a group near me for people newly diagnosed? (guest ${run})`,
};

// ---- small helpers (the same as in community.test.mjs)









/** Signs in on /login; resolves to the response of the page it leads to. */
async function signIn(page, email, password) {
  await page.goto('/login');
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  return submit(page, page.getByRole('button', { name: 'Sign in', exact: true }));
}

describe('moderation and administration: member tools, admin pages, terms, guest posts', { timeout: 600_000 }, () => {
  let server;
  let browser;
  const actors = [];

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

  let memberPage; // signed in, set by step 1
  let adminPage; // signed in, set by step 3
  let termsPublished = false; // set by step 3
  let heldTopicPath; // /t/<n>, found by the admin in step 6
  let guestPosted = false; // set by step 5

  test('1. a member: account page with a new access token, notifications, public profile', async () => {
    const page = await actor();
    await register(page, member);
    memberPage = page;

    await page.getByRole('banner').getByRole('link', { name: new RegExp(member.alias) }).click();
    await page.waitForURL((url) => url.pathname === '/account');
    await expectVisible(page, h1(page, 'Your account'), 'the h1 "Your account"');
    await inspect(page, 'm1-account');

    const tokenName = page.getByLabel('Token name', { exact: true });
    await tokenName.fill('my script');
    await submit(page, page.getByRole('button', { name: 'Create token', exact: true }));
    const shown = page.getByRole('status').filter({ hasText: /Your new token/ });
    await expectVisible(page, shown, 'the new token, shown once (role status)');
    const secret = (await shown.locator('code').innerText()).trim();
    assert.ok(secret.length >= 20, `the token secret should be long, got ${JSON.stringify(secret)}`);
    await expectVisible(page, page.getByRole('cell', { name: 'my script', exact: true }), 'the token in the list');
    await inspect(page, 'm1-account-token-created');

    await page.goto('/account');
    assert.equal(
      await page.getByText(secret).count(),
      0,
      'the token secret must not be shown again on /account',
    );

    await submit(page, page.getByRole('button', { name: 'Make private feed links', exact: true }));
    const feeds = page.getByRole('status').filter({ hasText: /Your private feed links/ });
    await expectVisible(page, feeds, 'the private feed links, shown once (role status)');
    await expectVisible(
      page,
      feeds.getByRole('link', { name: /^RSS feed of Latest topics/ }),
      'the private RSS feed of the whole site',
    );
    await inspect(page, 'm1-account-feed-links');

    await page.goto('/notifications');
    await expectVisible(page, h1(page, 'Notifications'), 'the h1 "Notifications"');
    await inspect(page, 'm1-notifications');

    await page.goto(`/u/${member.alias}`);
    await expectVisible(page, h1(page, member.alias), `the alias "${member.alias}" as the h1 of the profile`);
    await expectVisible(page, page.getByText(/Member since/), '"Member since" on the profile');
    await inspect(page, 'm1-profile');
  });

  test('2. the member replies with a quote, edits, likes, and deletes the reply', async (t) => {
    if (!memberPage) return t.skip('needs the member from step 1');
    const page = memberPage;

    await page.goto(NURSE_SPACE_PATH);
    await page.getByRole('link', { name: DEMO_TOPIC, exact: true }).first().click();
    await expectVisible(page, h1(page, DEMO_TOPIC), 'the demo topic as the h1');
    await page.waitForLoadState('load');
    const topicPath = pathOf(page);
    assert.match(topicPath, /^\/t\/\d+$/, 'the topic page should live at /t/<number>');

    // Reply with quote (to NurseAnna).
    const nurse = article(page, NURSE_POST);
    await expectVisible(page, nurse, "NurseAnna's reply");
    await nurse.getByRole('link', { name: /^Reply with quote/ }).click();
    await expectVisible(page, h1(page, /^Reply to/), 'the reply page (h1 "Reply to …")');
    await page.waitForLoadState('load');
    const box = page.getByRole('textbox', { name: /^Your reply/ });
    const quote = await box.inputValue();
    assert.match(quote, /^> \*\*NurseAnna\*\* wrote:/, '"Your reply" should start with the quote heading');
    assert.match(quote, /^> .*Tiredness \(fatigue\) often carries on/m, '"Your reply" should quote the post');
    await inspect(page, 'm2-reply-with-quote');

    await box.fill(`${quote}${replyText}`);
    await submit(page, page.getByRole('button', { name: 'Post reply', exact: true }));
    await expectVisible(page, posted(page, replyText), 'the reply on the topic page');
    const mine = article(page, replyText);
    await expectVisible(page, mine.getByRole('blockquote'), 'the quote in the posted reply');
    await inspect(page, 'm2-topic-after-quote-reply');

    // Edit it.
    await mine.getByRole('link', { name: /^Edit( post by .*)?$/ }).click();
    await expectVisible(page, h1(page, 'Edit post'), 'the page "Edit post"');
    await page.waitForLoadState('load');
    const message = page.getByRole('textbox', { name: /^Message/ });
    const before = await message.inputValue();
    assert.ok(before.includes(replyText), 'the "Message" field should hold the reply');
    await inspect(page, 'm2-edit-post');
    await message.fill(before.replace(replyText, editedText));
    await submit(page, page.getByRole('button', { name: 'Save changes', exact: true }));
    await expectVisible(page, posted(page, editedText), 'the edited reply on the topic page');
    const edited = article(page, editedText);
    await expectVisible(page, edited.getByRole('link', { name: /\(history\)/ }), 'the "(history)" link on the edited reply');
    await inspect(page, 'm2-topic-after-edit');

    // Its edit history.
    await edited.getByRole('link', { name: /\(history\)/ }).click();
    await expectVisible(page, h1(page, 'Edit history'), 'the page "Edit history"');
    await page.waitForLoadState('load');
    await expectVisible(page, posted(page, editedText), 'the current version in the history');
    await expectVisible(page, posted(page, replyText), 'the first version in the history');
    await inspect(page, 'm2-edit-history');

    // Like someone else's post (rose's).
    await page.goto(topicPath);
    const rose = article(page, ROSE_POST);
    await expectVisible(page, rose, "rose's reply");
    await submit(page, rose.getByRole('button', { name: /^Like post by / }));
    await expectVisible(page, article(page, ROSE_POST).getByRole('button', { name: /^Unlike post by / }), 'the button "Unlike" on the liked post');
    await expectVisible(page, article(page, ROSE_POST).getByText(/^1 like$/), '"1 like" on the liked post');
    assert.equal(
      await article(page, editedText).getByRole('button', { name: /^Like post by / }).count(),
      0,
      'a member cannot like their own post',
    );
    await inspect(page, 'm2-topic-after-like');

    // Delete the reply.
    await article(page, editedText).getByRole('link', { name: /^Delete( post by .*)?$/ }).click();
    await expectVisible(page, h1(page, 'Delete this post?'), 'the page "Delete this post?"');
    await page.waitForLoadState('load');
    await inspect(page, 'm2-delete-confirm');
    await submit(page, page.getByRole('button', { name: 'Delete', exact: true }));
    await expectVisible(page, h1(page, DEMO_TOPIC), 'the topic page after deleting');
    assert.equal(pathOf(page), topicPath, 'deleting a reply leads back to its topic');
    assert.equal(await posted(page, editedText).count(), 0, 'the deleted reply is no longer shown');
    await inspect(page, 'm2-topic-after-delete');
  });

  test('3. the admin signs in with a reset link and uses the admin pages', async () => {
    const { stdout } = await server.runHearth(['admin', 'reset-password', '--alias', ADMIN_ALIAS]);
    const found = stdout.match(/https?:\/\/\S+\/password-reset\/\S+/);
    assert.ok(found, `\`hearth admin reset-password\` should print a link; it printed:\n${stdout}`);
    const link = found[0];
    assert.ok(link.startsWith(`${server.baseURL}/`), `the link ${link} should point at this server`);

    const page = await actor();
    await page.goto(link);
    await expectVisible(page, h1(page, 'Choose a new password'), 'the page "Choose a new password"');
    await inspect(page, 'm3-reset-form');
    await page.getByLabel('New password', { exact: true }).fill(adminPassword);
    await submit(page, page.getByRole('button', { name: 'Save the new password', exact: true }));
    await expectVisible(page, h1(page, 'Password changed'), 'the page "Password changed"');
    await inspect(page, 'm3-password-changed');

    await signIn(page, ADMIN_EMAIL, adminPassword);
    if (pathOf(page) === '/accept') {
      await expectVisible(page, h1(page, 'We have updated our terms'), 'the terms to accept');
      await inspect(page, 'm3-admin-accept');
      await submit(page, page.getByRole('button', { name: 'I accept', exact: true }));
    }
    await expectVisible(page, page.getByRole('banner').getByText(ADMIN_ALIAS), 'the admin signed in');
    adminPage = page;

    await page.getByRole('banner').getByRole('link', { name: 'Admin', exact: true }).click();
    await expectVisible(page, h1(page, 'Administration'), 'the page "Administration"');
    await page.waitForLoadState('load');
    await inspect(page, 'm3-admin');

    // Background jobs: with no mail server, the verification mail of the member who
    // registered in step 1 waits there.
    await page.getByRole('link', { name: 'Background jobs', exact: true }).click();
    await expectVisible(page, h1(page, 'Background jobs'), 'the page "Background jobs"');
    await expectVisible(page, page.getByText('No mail server is set up'), 'the notice that mail waits');
    await expectVisible(page, page.getByRole('rowheader', { name: 'mail', exact: true }), 'the waiting mail');
    await page.waitForLoadState('load');
    await inspect(page, 'm3-admin-jobs');
    await page.goto('/admin');

    // Spaces: the list, a new space, and the form's error state.
    await page.getByRole('link', { name: 'Spaces', exact: true }).click();
    await expectVisible(page, h1(page, 'Spaces'), 'the page "Spaces"');
    await page.waitForLoadState('load');
    await inspect(page, 'm3-admin-spaces');

    await page.getByRole('link', { name: 'Create a space', exact: true }).click();
    await expectVisible(page, h1(page, 'Create a space'), 'the page "Create a space"');
    await page.waitForLoadState('load');
    await inspect(page, 'm3-admin-space-new');
    await page.getByLabel('Name', { exact: true }).fill(space.name);
    await page.getByLabel('Web address name', { exact: true }).fill(space.slug);
    await page.getByLabel('Description', { exact: true }).fill(space.description);
    await page.getByLabel('Order', { exact: true }).fill(space.order);
    const tiers = page.getByRole('group', { name: 'Who can read and post' });
    for (const label of ['Members only', 'Public', 'Open to all']) {
      await expectVisible(page, tiers.getByRole('radio', { name: label, exact: true }), `the radio "${label}"`);
    }
    await tiers.getByRole('radio', { name: 'Public', exact: true }).check();
    await submit(page, page.getByRole('button', { name: 'Save space', exact: true }));
    assert.equal(pathOf(page), '/admin/spaces', 'saving a space leads back to the list');
    await expectVisible(page, page.getByRole('link', { name: space.name, exact: true }), 'the new space in the list');
    await inspect(page, 'm3-admin-spaces-after-create');

    await page.getByRole('link', { name: space.name, exact: true }).click();
    await expectVisible(page, h1(page, `Edit ${space.name}`), 'the page editing the new space');
    await page.waitForLoadState('load');
    await inspect(page, 'm3-admin-space-edit');

    // "Order" is <input type=number>: a browser will not take "ten" in it. A whole number too
    // large for the server (i64) is a value the browser does submit and the server refuses.
    await page.goto('/admin/spaces/new');
    await page.getByLabel('Name', { exact: true }).fill(`Second space ${run}`);
    await page.getByLabel('Order', { exact: true }).fill('99999999999999999999');
    const refused = await submit(page, page.getByRole('button', { name: 'Save space', exact: true }));
    assert.equal(refused.status(), 422, 'an invalid order should be refused with 422');
    const summary = page.getByRole('alert');
    await expectVisible(page, summary.getByRole('heading', { name: 'There is a problem' }), 'the error summary');
    await expectVisible(page, summary.getByRole('link', { name: /whole number/ }), 'the error about "Order" in the summary');
    assert.equal(
      await summary.getByRole('link', { name: /whole number/ }).getAttribute('href'),
      '#f-position',
      'the summary should link to the "Order" field',
    );
    assert.equal(
      await page.getByLabel('Order', { exact: true }).getAttribute('aria-invalid'),
      'true',
      'the "Order" field should be marked invalid',
    );
    await inspect(page, 'm3-admin-space-new-error');

    // Members: change a role.
    await page.goto('/admin');
    await page.getByRole('link', { name: 'Members', exact: true }).click();
    await expectVisible(page, h1(page, 'Members'), 'the page "Members"');
    await page.waitForLoadState('load');
    await inspect(page, 'm3-admin-members');
    await page.getByLabel(`Role of ${ROLE_CHANGE.alias}`, { exact: true }).selectOption(ROLE_CHANGE.role);
    const row = page.getByRole('row').filter({ has: page.getByLabel(`Role of ${ROLE_CHANGE.alias}`, { exact: true }) });
    await submit(page, row.getByRole('button', { name: /^Save/ }));
    await expectVisible(
      page,
      page.getByRole('status').filter({ hasText: `${ROLE_CHANGE.alias} is now ${ROLE_CHANGE.role}.` }),
      'the notice that the role changed',
    );
    assert.equal(
      await page.getByLabel(`Role of ${ROLE_CHANGE.alias}`, { exact: true }).inputValue(),
      ROLE_CHANGE.role,
      'the new role should be selected',
    );
    await inspect(page, 'm3-admin-members-role-changed');

    // Legal texts: look at the privacy statement, publish new terms of use.
    await page.goto('/admin');
    await page.getByRole('main').getByRole('link', { name: 'Privacy statement', exact: true }).click();
    await expectVisible(page, page.getByRole('textbox', { name: 'Text (Markdown)' }), 'the privacy text to edit');
    await page.waitForLoadState('load');
    await inspect(page, 'm3-admin-legal-privacy');

    await page.goto('/admin');
    await page.getByRole('main').getByRole('link', { name: 'terms of use', exact: true }).click();
    const text = page.getByRole('textbox', { name: 'Text (Markdown)' });
    await expectVisible(page, text, 'the terms text to edit');
    await page.waitForLoadState('load');
    assert.equal(pathOf(page), '/admin/legal/terms');
    await inspect(page, 'm3-admin-legal-terms');
    const current = await text.inputValue();
    assert.ok(current.trim().length > 0, 'the current terms should be in the textarea');
    await text.fill(`${current.trimEnd()}\n\n${termsAddition}\n`);
    await submit(page, page.getByRole('button', { name: 'Publish new version', exact: true }));
    await expectVisible(page, page.getByRole('status').filter({ hasText: /Version \d+ is published/ }), 'the notice "Version … is published"');
    termsPublished = true;
    await inspect(page, 'm3-admin-legal-terms-published');

    await page.goto('/admin');
    await page.getByRole('link', { name: 'who accepted which', exact: true }).click();
    await expectVisible(page, h1(page, 'Acceptances'), 'the page "Acceptances"');
    await page.waitForLoadState('load');
    await expectVisible(page, page.getByRole('cell', { name: member.alias, exact: true }), 'the member from step 1 among the acceptances');
    await inspect(page, 'm3-admin-acceptances');

    await page.goto('/admin');
    await page.getByRole('link', { name: 'Pending account links', exact: true }).click();
    await expectVisible(page, h1(page, 'Pending account links'), 'the page "Pending account links"');
    await page.waitForLoadState('load');
    await inspect(page, 'm3-admin-links');
  });

  test('4. after new terms, a member who signs in again is asked to accept them', async (t) => {
    if (!memberPage) return t.skip('needs the member from step 1');
    if (!termsPublished) return t.skip('needs the new terms from step 3');
    const page = memberPage;

    await page.goto('/');
    await submit(page, page.getByRole('banner').getByRole('button', { name: 'Sign out', exact: true }));
    await expectVisible(page, page.getByRole('banner').getByRole('link', { name: 'Sign in', exact: true }), 'the link "Sign in" (signed out)');

    await signIn(page, member.email, member.password);
    assert.equal(pathOf(page), '/accept', `signing in after new terms should lead to /accept\n${await whereAmI(page)}`);
    await expectVisible(page, h1(page, 'We have updated our terms'), 'the h1 "We have updated our terms"');
    await expectVisible(page, page.getByRole('heading', { level: 2, name: /^Terms of use \(version \d+\)$/ }), 'the new terms of use');
    await expectVisible(page, page.getByText(/We explain how long we keep guests' posts/), 'the new paragraph of the terms');
    await inspect(page, 'm4-member-accept');

    await submit(page, page.getByRole('button', { name: 'I accept', exact: true }));
    assert.equal(pathOf(page), '/', 'accepting should lead on to the home page');
    await expectVisible(page, page.getByRole('banner').getByText(member.alias), 'the member signed in');
  });

  test('5. a guest: sign-in and reset pages, legal texts, an open space; their topic is held', async (t) => {
    const page = await actor();

    await page.goto('/login');
    await expectVisible(page, h1(page, 'Sign in'), 'the page "Sign in"');
    await inspect(page, 'm5-guest-login');

    await page.getByRole('link', { name: 'Forgotten your password?', exact: true }).click();
    await expectVisible(page, h1(page, 'Reset your password'), 'the page "Reset your password"');
    await page.waitForLoadState('load');
    assert.equal(pathOf(page), '/password-reset');
    await inspect(page, 'm5-guest-password-reset');

    await page.goto('/');
    await page.getByRole('contentinfo').getByRole('link', { name: 'Privacy statement', exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/privacy');
    await page.waitForLoadState('load');
    await expectVisible(page, page.getByRole('heading', { level: 1 }), 'a heading on /privacy');
    await inspect(page, 'm5-guest-privacy');

    await page.getByRole('contentinfo').getByRole('link', { name: 'Terms of use', exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/terms');
    await page.waitForLoadState('load');
    await expectVisible(page, page.getByRole('heading', { level: 1 }), 'a heading on /terms');
    await inspect(page, 'm5-guest-terms');
    const earlier = page.getByRole('link', { name: 'Earlier versions', exact: true });
    if (await earlier.count()) {
      await earlier.click();
      await page.waitForURL((url) => url.pathname === '/terms/history');
      await page.waitForLoadState('load');
      await inspect(page, 'm5-guest-terms-history');
    }

    const res = await page.goto(OPEN_SPACE_PATH);
    assert.equal(res.status(), 200, `GET ${OPEN_SPACE_PATH} as a guest`);
    await expectVisible(page, h1(page, 'Newly diagnosed'), 'the open space "Newly diagnosed"');
    await inspect(page, 'm5-guest-open-space');

    await page.getByRole('link', { name: 'Start a new topic', exact: true }).click();
    const guestName = page.getByLabel('Your name (an alias, not your real name)', { exact: true });
    await expectVisible(page, guestName, 'the field "Your name (an alias, not your real name)"');
    await page.waitForLoadState('load');
    await inspect(page, 'm5-guest-composer');
    await guestName.fill(guestTopic.name);
    await page.getByLabel('Title', { exact: true }).fill(guestTopic.title);
    await page.getByRole('textbox', { name: /^Message/ }).fill(guestTopic.body);
    await submit(page, page.getByRole('button', { name: 'Post topic', exact: true }));
    // A guest cannot open their own held topic: they are told it waits for a moderator.
    await expectVisible(page, h1(page, /waiting for a moderator/), 'the page saying the post waits for a moderator');
    await inspect(page, 'm5-guest-after-posting');

    // Another guest does not see it: held for a moderator.
    const other = await actor();
    await other.goto(OPEN_SPACE_PATH);
    await expectVisible(other, h1(other, 'Newly diagnosed'), 'the open space (second guest)');
    assert.equal(
      await other.getByRole('link', { name: guestTopic.title }).count(),
      0,
      'a held topic must not be listed for other guests',
    );
    assert.ok(!(await other.content()).includes(guestTopic.title), 'not even hidden in the HTML');
    guestPosted = true;
  });

  test('6. the admin approves the guest topic; then guests can read it', async (t) => {
    if (!adminPage) return t.skip('needs the admin from step 3');
    if (!guestPosted) return t.skip('needs the held topic from step 5');
    const page = adminPage;

    // Moderators see held topics listed, marked as awaiting approval.
    await page.goto(OPEN_SPACE_PATH);
    const heldLink = page.getByRole('link', { name: guestTopic.title, exact: true });
    await expectVisible(page, heldLink, 'the held topic listed for the admin');
    heldTopicPath = new URL(await heldLink.first().getAttribute('href'), page.url()).pathname;
    const stranger = await actor();
    const hidden = await stranger.goto(heldTopicPath);
    assert.equal(hidden.status(), 404, `GET ${heldTopicPath} (held) as another guest should be 404`);

    const res = await page.goto(heldTopicPath);
    assert.equal(res.status(), 200, `GET ${heldTopicPath} as the admin`);
    await expectVisible(page, h1(page, guestTopic.title), "the guest's topic as the h1");
    await expectVisible(page, page.getByText('Awaiting approval', { exact: true }), 'the badge "Awaiting approval"');
    await expectVisible(page, posted(page, guestTopic.body), "the guest's message");
    const post = article(page, guestTopic.body);
    await expectVisible(page, post.getByRole('link', { name: guestTopic.name }).or(post.getByText(guestTopic.name)), "the guest's name on the post");
    const approve = post.getByRole('button', { name: /^Approve post by / });
    await expectVisible(page, approve, 'the button "Approve"');
    await inspect(page, 'm6-admin-held-topic');

    await submit(page, approve);
    await expectVisible(page, h1(page, guestTopic.title), 'the topic after approving');
    assert.equal(await page.getByText('Awaiting approval', { exact: true }).count(), 0, 'no longer awaiting approval');
    assert.equal(await page.getByRole('button', { name: /^Approve post by / }).count(), 0, 'no "Approve" button any more');
    await inspect(page, 'm6-admin-approved-topic');

    const guest = await actor();
    await guest.goto(OPEN_SPACE_PATH);
    const listed = guest.getByRole('link', { name: guestTopic.title, exact: true });
    await expectVisible(guest, listed, 'the approved topic listed for a guest');
    await listed.first().click();
    await expectVisible(guest, h1(guest, guestTopic.title), 'the approved topic (as a guest)');
    await expectVisible(guest, posted(guest, guestTopic.body), "the guest's message (as a guest)");
    assert.equal(pathOf(guest), heldTopicPath);
    await inspect(guest, 'm6-guest-approved-topic');
  });
});
