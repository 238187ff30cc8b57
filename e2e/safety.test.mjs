// The "Safety" scenarios: what protects members and what moderators use.
//
//   1. a member writes a phone number in a new topic: they are warned above the composer,
//      take the number out, check again, and the topic goes out (without the number);
//   2. a member writes words of crisis: they see the helplines, post anyway, and a
//      moderator finds the post marked "Urgent" in the queue;
//   3. an admin makes a space pre-moderated; a member's topic there is held; a moderator
//      approves it from the queue with the keyboard only; then guests can read it;
//   4. a member flags a post (with the form's error state first);
//   5. the moderators' and admins' pages: flagged posts, a member's record (from a
//      post's "Moderate" link), safety settings, audit log;
//   6. a guest sees the medical disclaimer on a topic in the medical space, not elsewhere;
//   7. a moderator warns a member, who sees the warning on every page until they have read it.
//
// Demo accounts get their password with `hearth admin reset-password --password-stdin`.
// Every page visited is checked with axe, screenshotted at two widths (inspect), and must not
// scroll sideways at 360 px (look).
// Locators are role-, label- and text-based on purpose.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  article,
  look,
  setPassword,
  signInDemo,
  expectVisible,
  h1,
  hearthBin,
  inspect,
  launchBrowser,
  newActor,
  pathOf,
  posted,
  register,
  shoot,
  startServer,
  submit,
  uniqueSuffix,
  whereAmI,
} from './helpers.mjs';

const PASSWORD = 'correct horse battery staple';
const ADMIN_ALIAS = 'coordinator';
const MODERATOR_ALIAS = 'mod_sam';

const MEDICAL_SPACE_PATH = '/s/living-with-cancer';
const MEDICAL_TOPIC = 'Tips for the first weeks of chemotherapy';
const MEMBERS_SPACE_PATH = '/s/members-lounge';
const NURSE_SPACE_SLUG = 'ask-a-nurse';
const NURSE_SPACE_PATH = `/s/${NURSE_SPACE_SLUG}`;
const NURSE_TOPIC = 'Is it normal to feel this tired three weeks after radiotherapy?';
const ROSE_POST = /Same here after mine/; // rose's reply on NURSE_TOPIC
const DISCLAIMER = /not medical advice/;

const PHONE = '07700 900123';
const REVIEW_HEADING = 'Your post may say who you are';
const SUPPORT_HEADING = /You don.t have to face this alone/;

const run = uniqueSuffix();
const adminPassword = `lantern meadow ${run}`;
const moderatorPassword = `harbour willow ${run}`;
const person = (prefix) => ({
  alias: `${prefix}_${run}`,
  email: `${prefix}.${run}@example.test`,
  password: PASSWORD,
});
// One member per posting scenario: a new member may post twice a minute, and a post the
// author is asked to check first counts as one of the two.
const pia = person('pia'); // 1 (phone number), 4 (flag)
const cal = person('cal'); // 2 (crisis)
const dee = person('dee'); // 3 (held topic)

// Short texts (title and message under 80 characters) so that fast typing by the test
// is not taken as a sign of spam.
const phoneTopic = {
  title: `Evening calls ${run}`,
  body: `You can ring me on ${PHONE} any evening`,
  fixed: `You can ring me any evening (${run})`, // "message me" reads as spam to the starter filter
};
const crisisTopic = {
  title: `A hard night ${run}`,
  body: 'I just want to die tonight',
};
const heldTopic = {
  title: `Mouth care question ${run}`,
  body: `Which mouthwash is gentle after chemo? (${run})`,
};
const flagNote = `It does not answer the question (${run})`;
const warning = `Please keep phone numbers out of public posts (${run})`;

// ---- small helpers






/** Opens a space's composer through the link "Start a new topic". */
async function openComposer(page, spacePath) {
  await page.goto(spacePath);
  await page.getByRole('link', { name: 'Start a new topic', exact: true }).first().click();
  await expectVisible(page, page.getByLabel('Title', { exact: true }), 'the composer (field "Title")');
  await page.waitForLoadState('load');
}

/** Presses Tab from the top of the page until `target` has the focus; resolves to the count. */
async function tabTo(page, target, what, limit = 200) {
  const handle = await target.elementHandle();
  for (let presses = 1; presses <= limit; presses++) {
    await page.keyboard.press('Tab');
    if (await handle.evaluate((el) => el === document.activeElement)) return presses;
  }
  const focused = await page.evaluate(() => document.activeElement?.outerHTML?.slice(0, 200));
  throw new Error(`${what} never got the focus after ${limit} presses of Tab (last: ${focused})`);
}

describe('safety: personal details, crisis support, the queue by keyboard, flags, admin pages', { timeout: 600_000 }, () => {
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

  let piaPage; // signed in, set by step 1
  let moderatorPage; // signed in, set by step 2
  let crisisPosted = false; // set by step 2
  let adminPage; // signed in, set by step 3
  let flagged = false; // set by step 4

  /** The moderator, signed in (once). */
  async function moderator() {
    if (!moderatorPage) {
      await setPassword(server, MODERATOR_ALIAS, moderatorPassword);
      const page = await actor();
      await signInDemo(page, MODERATOR_ALIAS, moderatorPassword);
      moderatorPage = page;
    }
    return moderatorPage;
  }

  /** The admin, signed in (once). */
  async function admin() {
    if (!adminPage) {
      await setPassword(server, ADMIN_ALIAS, adminPassword);
      const page = await actor();
      await signInDemo(page, ADMIN_ALIAS, adminPassword);
      adminPage = page;
    }
    return adminPage;
  }

  test('1. a phone number in a new topic: warned above the composer, taken out, then posted', async () => {
    const page = await actor();
    await register(page, pia);
    piaPage = page;

    await openComposer(page, MEDICAL_SPACE_PATH);
    await look(page, 's1-composer');
    await page.getByLabel('Title', { exact: true }).fill(phoneTopic.title);
    await page.getByRole('textbox', { name: /^Message/ }).fill(phoneTopic.body);
    await page.getByRole('button', { name: 'Post topic', exact: true }).click();

    // The review: a section above the composer, named by its heading.
    const review = page.getByRole('region', { name: REVIEW_HEADING, exact: true });
    await expectVisible(page, review, `the section "${REVIEW_HEADING}"`);
    await page.waitForLoadState('load');
    await expectVisible(
      page,
      review.getByRole('heading', { level: 2, name: REVIEW_HEADING, exact: true }),
      `the heading "${REVIEW_HEADING}"`,
    );
    const marks = (await review.locator('mark').allInnerTexts()).map((t) => t.trim());
    assert.deepEqual(marks, [PHONE], `the number, and only the number, should be in a <mark>; marked: ${JSON.stringify(marks)}`);
    await expectVisible(page, review.getByText(/This looks like a phone number\./), 'the explanation in plain words');
    await expectVisible(page, review.getByText(/post it as it is/), 'what the author can do next');

    const message = page.getByRole('textbox', { name: /^Message/ });
    assert.equal(await message.inputValue(), phoneTopic.body, 'the message is kept in the textarea to change');
    assert.equal(await page.getByLabel('Title', { exact: true }).inputValue(), phoneTopic.title, 'the title is kept');
    const checkAgain = page.getByRole('button', { name: 'Check again and post', exact: true });
    const postAnyway = page.getByRole('button', { name: 'Post anyway', exact: true });
    await expectVisible(page, checkAgain, 'the button "Check again and post"');
    await expectVisible(page, postAnyway, 'the button "Post anyway"');
    assert.equal(await page.getByRole('button', { name: 'Post topic', exact: true }).count(), 0, 'no plain "Post topic" while reviewing');

    // Above the composer: before the message field, in the page and on the screen.
    const reviewBox = await review.boundingBox();
    const messageBox = await message.boundingBox();
    assert.ok(reviewBox.y + reviewBox.height <= messageBox.y, 'the review should be above the message field');
    assert.ok(
      await review.evaluate((el) => el.closest('form')?.contains(document.querySelector('textarea[name=body]'))),
      'the review should be part of the composer form',
    );

    // The honeypot stays in the form but out of sight and out of the tab order.
    const trap = page.locator('form.composer input[name="website"]');
    assert.equal(await trap.count(), 1, 'the honeypot field should be in the composer');
    const trapBox = await trap.boundingBox();
    assert.ok(!trapBox || trapBox.x + trapBox.width <= 0, `the honeypot field should be off-screen, is at ${JSON.stringify(trapBox)}`);
    const trapWrap = await trap.evaluate((el) => {
      const s = getComputedStyle(el.closest('.hp'));
      return { position: s.position, left: s.left, width: s.width, height: s.height, overflow: s.overflow };
    });
    assert.deepEqual(
      trapWrap,
      { position: 'absolute', left: '-10000px', width: '1px', height: '1px', overflow: 'hidden' },
      'the honeypot (.hp) should be visually hidden off-screen',
    );
    assert.equal(await trap.getAttribute('tabindex'), '-1', 'the honeypot field should not be reachable with Tab');

    await look(page, 's1-review-phone');

    // Take the number out and check again.
    await message.fill(phoneTopic.fixed);
    await submit(page, checkAgain);
    await expectVisible(page, h1(page, phoneTopic.title), 'the new topic (h1) after checking again');
    const topicPath = pathOf(page);
    assert.match(topicPath, /^\/t\/\d+$/, `the topic page should live at /t/<number>\n${await whereAmI(page)}`);
    await expectVisible(page, posted(page, phoneTopic.fixed), 'the changed message on the topic page');
    const mainText = await page.getByRole('main').innerText();
    assert.ok(!mainText.includes(PHONE), 'the phone number must not be on the topic page');
    assert.equal(await page.getByText('Awaiting approval', { exact: true }).count(), 0, 'the topic is published, not held');
    await expectVisible(
      page,
      page.getByRole('complementary', { name: 'Medical disclaimer' }).getByText(DISCLAIMER),
      'the medical disclaimer on a topic in the medical space',
    );
    await look(page, 's1-topic-published');

    // Published: a guest reads it.
    const guest = await actor();
    const res = await guest.goto(topicPath);
    assert.equal(res.status(), 200, `GET ${topicPath} as a guest`);
    await expectVisible(guest, posted(guest, phoneTopic.fixed), 'the message (as a guest)');
    assert.ok(!(await guest.content()).includes(PHONE), 'the phone number is nowhere in the page');
  });

  test('2. words of crisis: the author sees the helplines and posts; the queue marks it urgent', async () => {
    const page = await actor();
    await register(page, cal);

    await openComposer(page, MEMBERS_SPACE_PATH);
    await page.getByLabel('Title', { exact: true }).fill(crisisTopic.title);
    await page.getByRole('textbox', { name: /^Message/ }).fill(crisisTopic.body);
    await page.getByRole('button', { name: 'Post topic', exact: true }).click();

    const support = page.getByRole('heading', { level: 2, name: SUPPORT_HEADING });
    await expectVisible(page, support, 'the support section ("You don\'t have to face this alone")');
    await page.waitForLoadState('load');
    const section = page.locator('.support');
    await expectVisible(page, section.getByText(/116 123/), 'the Samaritans number 116 123 among the helplines');
    await expectVisible(page, section.getByText(/999/), 'the emergency number');
    const postMine = page.getByRole('button', { name: 'Post my message', exact: true });
    await expectVisible(page, postMine, 'the button "Post my message"');
    assert.equal(await page.getByRole('heading', { name: REVIEW_HEADING }).count(), 0, 'no personal-detail warning for this text');
    assert.equal(await page.getByRole('button', { name: 'Post anyway' }).count(), 0, 'no "Post anyway" (nothing to change)');
    assert.equal(
      await page.getByRole('textbox', { name: /^Message/ }).inputValue(),
      crisisTopic.body,
      'the message is kept in the textarea',
    );
    await look(page, 's2-review-crisis');

    await submit(page, postMine);
    await expectVisible(page, h1(page, crisisTopic.title), 'the topic after "Post my message"');
    await expectVisible(page, posted(page, crisisTopic.body), 'the message on the topic page');
    assert.equal(await page.getByText('Awaiting approval', { exact: true }).count(), 0, 'words of crisis never hold a post');
    crisisPosted = true;
    await look(page, 's2-topic');

    // A moderator finds it first in the queue, marked "Urgent".
    const mod = await moderator();
    await mod.goto('/');
    await mod.getByRole('banner').getByRole('link', { name: /^Queue/ }).click();
    await expectVisible(mod, h1(mod, 'Moderation queue'), 'the page "Moderation queue"');
    await mod.waitForLoadState('load');
    const item = mod.getByRole('article').filter({ hasText: crisisTopic.title });
    await expectVisible(mod, item, 'the crisis post in the queue');
    await expectVisible(mod, item.getByText('Urgent', { exact: true }), 'the badge "Urgent" on the crisis post');
    assert.equal(
      await mod.locator('li.queue-item.urgent').filter({ hasText: crisisTopic.title }).count(),
      1,
      'the crisis post should be an urgent queue item',
    );
    await expectVisible(
      mod,
      item.getByRole('button', { name: new RegExp(`^Mark as seen the post by ${cal.alias}$`) }),
      'the button "Mark as seen" (the post is already published)',
    );
    await look(mod, 's2-mod-queue-urgent');
  });

  test('3. a held topic in a pre-moderated space is approved from the queue with the keyboard', async (t) => {
    // The admin makes "Ask a nurse" check every post first.
    const adm = await admin();
    await adm.goto(`/admin/spaces/${NURSE_SPACE_SLUG}`);
    await expectVisible(adm, h1(adm, 'Edit Ask a nurse'), 'the page editing "Ask a nurse"');
    await adm.waitForLoadState('load');
    await look(adm, 's3-admin-space-edit');
    await adm
      .getByRole('group', { name: 'Moderation', exact: true })
      .getByRole('radio', { name: 'Every post is checked first', exact: true })
      .check();
    await submit(adm, adm.getByRole('button', { name: 'Save space', exact: true }));
    assert.equal(pathOf(adm), '/admin/spaces', `saving a space leads back to the list\n${await whereAmI(adm)}`);

    // A member's topic there waits for a moderator.
    const page = await actor();
    await register(page, dee);
    await openComposer(page, NURSE_SPACE_PATH);
    await page.getByLabel('Title', { exact: true }).fill(heldTopic.title);
    await page.getByRole('textbox', { name: /^Message/ }).fill(heldTopic.body);
    await submit(page, page.getByRole('button', { name: 'Post topic', exact: true }));
    await expectVisible(page, h1(page, /waiting for a moderator/), 'the page saying the post waits for a moderator');
    await look(page, 's3-member-held');

    const early = await actor();
    await early.goto(NURSE_SPACE_PATH);
    await expectVisible(early, h1(early, 'Ask a nurse'), 'the space (as a guest, before approval)');
    assert.equal(await early.getByRole('link', { name: heldTopic.title }).count(), 0, 'a held topic is not listed for guests');

    // The moderator: the queue, by keyboard only.
    const mod = await moderator();
    await mod.goto('/mod/queue');
    await expectVisible(mod, h1(mod, 'Moderation queue'), 'the page "Moderation queue"');
    await mod.waitForLoadState('load');
    const item = mod.getByRole('article').filter({ hasText: heldTopic.title });
    await expectVisible(mod, item, 'the held topic in the queue');
    await expectVisible(mod, item.getByText('Space checks every post', { exact: true }), 'why it is held');
    if (crisisPosted) {
      const titles = await mod.locator('li.queue-item').allInnerTexts();
      const urgentAt = titles.findIndex((t) => t.includes(crisisTopic.title));
      const heldAt = titles.findIndex((t) => t.includes(heldTopic.title));
      assert.ok(urgentAt >= 0 && urgentAt < heldAt, `urgent posts come first (urgent at ${urgentAt}, held at ${heldAt})`);
    }
    await look(mod, 's3-mod-queue');

    await mod.goto('/mod/queue'); // a fresh page: the focus starts at the top
    await mod.waitForLoadState('load');
    const approve = mod
      .getByRole('article')
      .filter({ hasText: heldTopic.title })
      .getByRole('button', { name: `Approve the post by ${dee.alias}`, exact: true });
    await expectVisible(mod, approve, `the button "Approve" (the post by ${dee.alias})`);
    const presses = await tabTo(mod, approve, 'the button "Approve"');
    t.diagnostic(`the button "Approve" took ${presses} presses of Tab from the top of the page`);
    await shoot(mod, 's3-mod-queue-approve-focused');
    const outline = await approve.evaluate((el) => getComputedStyle(el).outlineStyle);
    assert.notEqual(outline, 'none', 'the focused "Approve" button should show a focus outline');
    await Promise.all([mod.waitForNavigation(), mod.keyboard.press('Enter')]);
    await mod.waitForLoadState('load');
    assert.equal(pathOf(mod), '/mod/queue', 'approving leads back to the queue');
    assert.equal(
      await mod.getByRole('article').filter({ hasText: heldTopic.title }).count(),
      0,
      `the approved topic should have left the queue (reached with ${presses} presses of Tab)`,
    );
    await look(mod, 's3-mod-queue-after-approve');

    // Guests now read it.
    const guest = await actor();
    await guest.goto(NURSE_SPACE_PATH);
    const listed = guest.getByRole('link', { name: heldTopic.title, exact: true });
    await expectVisible(guest, listed, 'the approved topic listed for a guest');
    await listed.first().click();
    await expectVisible(guest, h1(guest, heldTopic.title), 'the approved topic (as a guest)');
    await expectVisible(guest, posted(guest, heldTopic.body), 'its message (as a guest)');
    await look(guest, 's3-guest-approved-topic');
  });

  test('4. a member flags a post', async () => {
    let page = piaPage;
    if (!page) {
      page = await actor();
      await register(page, person('fay'));
    }
    await page.goto(NURSE_SPACE_PATH);
    await page.getByRole('link', { name: NURSE_TOPIC, exact: true }).first().click();
    await expectVisible(page, h1(page, NURSE_TOPIC), 'the demo topic');
    await page.waitForLoadState('load');
    await article(page, ROSE_POST).getByRole('link', { name: 'Flag post by rose', exact: true }).click();
    await expectVisible(page, h1(page, 'Flag a post'), 'the page "Flag a post"');
    await page.waitForLoadState('load');
    await expectVisible(page, page.getByText(ROSE_POST), 'the post being flagged, quoted');
    await look(page, 's4-flag');

    // Without a reason: the form says what is missing.
    const refused = await submit(page, page.getByRole('button', { name: 'Send flag', exact: true }));
    assert.equal(refused.status(), 422, 'a flag without a reason should be refused with 422');
    const summary = page.getByRole('alert');
    await expectVisible(page, summary.getByRole('heading', { name: 'There is a problem' }), 'the error summary');
    await look(page, 's4-flag-error');

    const reasons = page.getByRole('group', { name: 'What is wrong with it?', exact: true });
    await reasons.getByRole('radio', { name: 'Off topic', exact: true }).check();
    await page.getByRole('textbox', { name: /^Anything the moderators should know/ }).fill(flagNote);
    await submit(page, page.getByRole('button', { name: 'Send flag', exact: true }));
    await expectVisible(page, h1(page, /^Thank you for flagging/), 'the page "Thank you for flagging this post"');
    flagged = true;
    await look(page, 's4-flag-thanks');
  });

  test('5. moderators and admins: flagged posts, a member record, safety settings, audit log', async () => {
    const mod = await moderator();

    await mod.goto('/mod/flags');
    await expectVisible(mod, h1(mod, 'Flagged posts'), 'the page "Flagged posts"');
    await mod.waitForLoadState('load');
    if (flagged) {
      const item = mod.getByRole('article').filter({ hasText: ROSE_POST });
      await expectVisible(mod, item, "rose's flagged post");
      await expectVisible(mod, item.getByText('Off topic', { exact: true }), 'the reason of the flag');
      await expectVisible(mod, item.getByText(flagNote), 'the note of the flag');
    }
    await look(mod, 's5-mod-flags');

    await mod.goto(NURSE_SPACE_PATH);
    await mod.getByRole('link', { name: NURSE_TOPIC, exact: true }).first().click();
    await expectVisible(mod, h1(mod, NURSE_TOPIC), 'the demo topic (as the moderator)');
    await article(mod, ROSE_POST).getByRole('link', { name: 'Moderate rose', exact: true }).click();
    await expectVisible(mod, h1(mod, 'rose'), "rose's record (h1 rose)");
    await mod.waitForLoadState('load');
    assert.equal(pathOf(mod), '/mod/members/rose');
    await expectVisible(mod, mod.getByRole('group', { name: 'Action', exact: true }), 'the actions to choose from');
    await look(mod, 's5-mod-member');

    const adm = await admin();
    await adm.goto('/admin');
    await adm.getByRole('link', { name: 'Safety settings', exact: true }).click();
    await expectVisible(adm, h1(adm, 'Safety settings'), 'the page "Safety settings"');
    await adm.waitForLoadState('load');
    assert.match(
      await adm.getByRole('textbox', { name: 'Helplines shown to people who may be in crisis', exact: true }).inputValue(),
      /116 123/,
      'the helplines to edit',
    );
    await look(adm, 's5-admin-safety');

    await adm.goto('/admin');
    await adm.getByRole('link', { name: 'Audit log', exact: true }).click();
    await expectVisible(adm, h1(adm, 'Audit log'), 'the page "Audit log"');
    await adm.waitForLoadState('load');
    const rows = adm.getByRole('row');
    await expectVisible(adm, rows.filter({ hasText: 'space.update' }).filter({ hasText: ADMIN_ALIAS }), 'the space change by the admin');
    await expectVisible(adm, rows.filter({ hasText: 'post.approve' }).filter({ hasText: MODERATOR_ALIAS }), 'the approval by the moderator');
    await look(adm, 's5-admin-audit');

    await adm.getByLabel('Done by (alias)', { exact: true }).fill(MODERATOR_ALIAS);
    await submit(adm, adm.getByRole('button', { name: 'Filter', exact: true }));
    await expectVisible(adm, rows.filter({ hasText: 'post.approve' }), 'the approval in the filtered log');
    assert.equal(await rows.filter({ hasText: 'space.update' }).count(), 0, "the admin's change is filtered out");
    await look(adm, 's5-admin-audit-filtered');
  });

  test('6. a guest sees the medical disclaimer in the medical space, and not elsewhere', async () => {
    const guest = await actor();
    await guest.goto(MEDICAL_SPACE_PATH);
    await guest.getByRole('link', { name: MEDICAL_TOPIC, exact: true }).first().click();
    await expectVisible(guest, h1(guest, MEDICAL_TOPIC), 'the demo topic in the medical space');
    await guest.waitForLoadState('load');
    const disclaimer = guest.getByRole('complementary', { name: 'Medical disclaimer', exact: true });
    await expectVisible(guest, disclaimer.getByText(DISCLAIMER), 'the medical disclaimer');
    const box = await disclaimer.boundingBox();
    const firstPost = await guest.getByRole('article').first().boundingBox();
    assert.ok(box.y < firstPost.y, 'the disclaimer should come before the posts');
    await look(guest, 's6-guest-medical-topic');

    await guest.goto(NURSE_SPACE_PATH);
    await guest.getByRole('link', { name: NURSE_TOPIC, exact: true }).first().click();
    await expectVisible(guest, h1(guest, NURSE_TOPIC), 'a topic in a space not marked medical');
    assert.equal(
      await guest.getByRole('complementary', { name: 'Medical disclaimer' }).count(),
      0,
      'no disclaimer outside the medical space',
    );
  });

  test('7. a moderator warns a member; the member sees the warning until they have read it', async (t) => {
    if (!piaPage) return t.skip('needs the member from step 1');
    const mod = await moderator();
    await mod.goto(`/mod/members/${pia.alias}`);
    await expectVisible(mod, h1(mod, pia.alias), `the record of ${pia.alias}`);
    await mod.getByRole('group', { name: 'Action', exact: true }).getByRole('radio', { name: 'Warn', exact: true }).check();
    await mod.getByRole('textbox', { name: 'Reason (the member will read this)', exact: true }).fill(warning);
    await submit(mod, mod.getByRole('button', { name: 'Do it', exact: true }));
    assert.equal(pathOf(mod), `/mod/members/${pia.alias}`, `acting on a member leads back to their record\n${await whereAmI(mod)}`);
    await expectVisible(mod, mod.getByRole('listitem').filter({ hasText: warning }), 'the warning among what moderators have done');
    await look(mod, 's7-mod-member-warned');

    const page = piaPage;
    await page.goto('/');
    const banner = page.getByRole('region', { name: 'A message from the moderators', exact: true });
    await expectVisible(page, banner, 'the notice "A message from the moderators"');
    await expectVisible(page, banner.getByText(warning), 'the reason of the warning');
    await look(page, 's7-member-notice');
    await page.goto(MEDICAL_SPACE_PATH);
    await expectVisible(page, banner, 'the notice on another page too');
    await submit(page, banner.getByRole('button', { name: 'I have read this', exact: true }));
    await page.goto(MEDICAL_SPACE_PATH);
    assert.equal(await banner.count(), 0, 'the notice is gone once read');
  });
});
