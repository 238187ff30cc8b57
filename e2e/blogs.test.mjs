// The "Blogs" scenario: a nurse writes an entry with a cover image (previewing it first),
// a member comments on it, a guest sees it with its share control, and the nurse closes
// comments. Every page visited is checked with axe, screenshotted at two widths, and must
// not scroll sideways at 360 px.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  expectVisible,
  h1,
  launchBrowser,
  look,
  newActor,
  register,
  setPassword,
  signInDemo,
  startServer,
  submit,
  uniqueSuffix,
} from './helpers.mjs';

const NURSE = 'NurseAnna';
const run = uniqueSuffix();
const nursePassword = `meadow lantern ${run}`;
const title = `Looking after your skin in winter ${run}`;
const comment = `Thank you, the cream tip helps (${run})`;
// A 1×1 PNG for the cover.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

describe('blogs: write an entry, comment on it, close comments', { timeout: 600_000 }, () => {
  let server;
  let browser;
  const actors = [];
  let entryPath;

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

  let nursePage;
  async function nurse() {
    if (!nursePage) {
      await setPassword(server, NURSE, nursePassword);
      nursePage = await actor();
      await signInDemo(nursePage, NURSE, nursePassword);
    }
    return nursePage;
  }

  test('a nurse writes an entry with a cover, previews it, and publishes it', async () => {
    const page = await nurse();
    await page.goto('/blogs');
    await look(page, 'blogs-list');
    await page.getByRole('link', { name: 'News and stories', exact: true }).click();
    await expectVisible(page, h1(page, 'News and stories'), 'the news blog');
    await look(page, 'blog-writer');
    await page.getByRole('link', { name: 'Write an entry', exact: true }).click();
    await page.getByLabel('Title', { exact: true }).fill(title);
    await page.getByLabel('Text', { exact: true }).fill('Cold air dries the skin, more so during treatment.\n\n- Use a **gentle** cream\n- Keep showers short');
    await page.getByLabel('Tags', { exact: true }).fill('Skin care, Winter');
    await page.getByLabel('Choose an image').setInputFiles({ name: 'skin.png', mimeType: 'image/png', buffer: PNG });
    await page.getByLabel('Describe the image').fill('A jar of cream on a windowsill');
    await submit(page, page.getByRole('button', { name: 'Preview', exact: true }));
    await expectVisible(page, page.getByRole('heading', { name: 'Preview', exact: true }), 'the preview');
    await expectVisible(page, page.locator('.preview strong', { hasText: 'gentle' }), 'the text rendered in the preview');
    await look(page, 'entry-preview');
    // The cover chosen before the preview is kept: no need to choose it again.
    await expectVisible(page, page.getByRole('img', { name: 'The current cover image' }), 'the kept cover');
    await submit(page, page.getByRole('button', { name: 'Save entry', exact: true }));
    await expectVisible(page, h1(page, title), 'the published entry');
    entryPath = new URL(page.url()).pathname;
    assert.match(entryPath, /^\/b\/news\/looking-after-your-skin-in-winter/);
    await expectVisible(page, page.getByRole('img', { name: 'A jar of cream on a windowsill' }), 'the cover image');
    await look(page, 'entry-writer');
  });

  test('a member comments, a guest sees the comment and can share the entry', async () => {
    assert.ok(entryPath, 'the entry exists (previous step)');
    const page = await actor();
    await register(page, { alias: `reader_${run}`, email: `reader.${run}@example.test`, password: 'correct horse battery staple' });
    await page.goto(entryPath);
    await page.getByLabel('Your comment', { exact: true }).fill(comment);
    await submit(page, page.getByRole('button', { name: 'Post comment', exact: true }));
    await expectVisible(page, page.getByText(comment), 'the comment on the entry');
    await look(page, 'entry-commented');

    const guest = await actor();
    await guest.goto(entryPath);
    await expectVisible(guest, guest.getByText(comment), 'the comment, seen by a guest');
    await expectVisible(guest, guest.getByRole('link', { name: 'Sign in to comment' }), 'the invitation to sign in');
    await guest.locator('summary', { hasText: 'Share' }).click();
    await expectVisible(guest, guest.getByLabel('Link to this page'), 'the link to copy');
    await guest.getByLabel(/Share on your fediverse server/).fill('mastodon.social');
    await submit(guest, guest.getByRole('button', { name: 'Go to my server', exact: true }));
    const onward = guest.getByRole('link', { name: 'Continue to mastodon.social' });
    await expectVisible(guest, onward, 'the link to the fediverse server');
    assert.match(await onward.getAttribute('href'), /^https:\/\/mastodon\.social\/share\?text=/);
    await look(guest, 'share-fediverse');
  });

  test('a page elsewhere mentions the entry; a moderator approves it and it shows below', async () => {
    assert.ok(entryPath, 'the entry exists (first step)');
    // The "other website" is this one, on loopback: an admin allows that first.
    const adminPassword = `harbour kettle ${run}`;
    await setPassword(server, 'coordinator', adminPassword);
    const admin = await actor();
    await signInDemo(admin, 'coordinator', adminPassword);
    await admin.goto('/admin/safety');
    await admin.getByLabel('Allow requests to private and local network addresses').check();
    await submit(admin, admin.getByRole('button', { name: 'Save safety settings', exact: true }));
    await expectVisible(admin, admin.getByText(/^Saved\./), 'the saved settings');

    // The nurse writes a second entry that links to the first.
    const readingList = `A winter reading list ${run}`;
    const page = await nurse();
    await page.goto('/b/news/new');
    await page.getByLabel('Title', { exact: true }).fill(readingList);
    await page.getByLabel('Text', { exact: true }).fill(`Start with [our skin care tips](${server.baseURL}${entryPath}).`);
    await submit(page, page.getByRole('button', { name: 'Save entry', exact: true }));
    await expectVisible(page, h1(page, readingList), 'the second entry');
    const sourceURL = page.url();

    // A reader tells the first entry about it, with the form below its comments.
    const reader = await actor();
    await reader.goto('/webmention');
    await look(reader, 'webmention-endpoint');
    await reader.goto(entryPath);
    await reader.locator('summary', { hasText: 'Wrote about this on your own website?' }).click();
    await reader.getByLabel('The address of your page', { exact: true }).fill(sourceURL);
    await submit(reader, reader.getByRole('button', { name: 'Send', exact: true }));
    await expectVisible(reader, h1(reader, 'Mention received'), 'the thanks');
    await look(reader, 'mention-received');

    // A moderator finds it from the queue and approves it.
    const modPassword = `lighthouse pebble ${run}`;
    await setPassword(server, 'mod_sam', modPassword);
    const mod = await actor();
    await signInDemo(mod, 'mod_sam', modPassword);
    await mod.goto('/mod/queue');
    await mod.getByRole('link', { name: /1 mention from other websites waits/ }).click();
    await expectVisible(mod, h1(mod, 'Mentions from other sites'), 'the mentions page');
    await expectVisible(mod, mod.getByRole('link', { name: readingList }), 'the mention, titled by its page');
    await look(mod, 'mod-mentions');
    await submit(mod, mod.getByRole('button', { name: /^Approve the mention from/ }));
    await expectVisible(mod, mod.getByText('No mentions are waiting.'), 'the emptied list');

    await reader.goto(entryPath);
    await expectVisible(reader, reader.getByRole('heading', { name: 'From other websites' }), 'the reactions');
    await expectVisible(reader, reader.getByRole('link', { name: readingList }), 'the mention below the entry');
    await look(reader, 'entry-mentioned');
  });

  test('the nurse closes comments and the entry says so', async () => {
    assert.ok(entryPath, 'the entry exists (first step)');
    const page = await nurse();
    await page.goto(entryPath);
    await submit(page, page.getByRole('button', { name: 'Close comments', exact: true }));
    await expectVisible(page, page.getByText('Comments on this entry are closed.'), 'the closed notice');
    await look(page, 'entry-closed');
    const guest = await actor();
    await guest.goto(entryPath);
    await expectVisible(guest, guest.getByText('Comments on this entry are closed.'), 'the closed notice for guests');
  });
});
