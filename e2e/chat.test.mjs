// The "Chat" scenario: two members open the demo's "Chat with the nurses" room and talk in real
// time — a message sent by one appears for the other without a reload, presence and
// typing show, a reaction and an edit reach the other at once, and the room is still
// usable (and checked by axe) on a phone. Outside its opening hours the demo's staffed
// room takes questions for the next session instead.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  expectVisible,
  h1,
  launchBrowser,
  look,
  newActor,
  register,
  startServer,
  uniqueSuffix,
} from './helpers.mjs';

const run = uniqueSuffix();
const PASSWORD = 'correct horse battery staple';

describe('chat: two members talk in real time', { timeout: 600_000 }, () => {
  let server;
  let browser;
  const actors = [];

  async function member(alias) {
    const a = await newActor(browser, server.baseURL);
    actors.push(a);
    await register(a.page, { alias, email: `${alias}@example.test`, password: PASSWORD });
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

  test('a message sent by one member appears for the other at once', async () => {
    const ana = await member(`ana_${run}`);
    const ben = await member(`ben_${run}`);
    for (const page of [ana, ben]) {
      await page.goto('/chat');
      await page.getByRole('link', { name: 'Chat with the nurses', exact: true }).click();
      await expectVisible(page, h1(page, 'Chat with the nurses'), 'the room');
      await expectVisible(page, page.getByText(/^Live:/), 'the live connection');
    }
    await expectVisible(ben, ben.getByText(new RegExp(`Here now: .*ana_${run}`)), 'ana in the room');
    await look(ben, 'chat-room');

    const hello = `Hello Ben, is the nurse here today? (${run})`;
    await ana.getByLabel('Your message', { exact: true }).fill(hello);
    await expectVisible(ben, ben.getByText(`ana_${run} is typing…`), 'the typing indicator');
    // Enter sends; the page does not reload.
    await ana.getByLabel('Your message', { exact: true }).press('Enter');
    const log = ben.getByRole('log');
    await expectVisible(ben, log.getByText(hello), 'the message on the other screen, without a reload');
    assert.equal(await ana.getByLabel('Your message', { exact: true }).inputValue(), '', 'the composer is cleared');

    const answer = `Yes, until six (${run})`;
    await ben.getByLabel('Your message', { exact: true }).fill(answer);
    await ben.getByRole('button', { name: 'Send', exact: true }).click();
    await expectVisible(ana, ana.getByRole('log').getByText(answer), 'the answer');
    await look(ana, 'chat-room-talking');

    // Ben sends Ana a heart by keyboard; she sees it counted, in words too.
    const helloItem = ben.getByRole('listitem').filter({ hasText: hello });
    await helloItem.getByRole('button', { name: 'React with heart', exact: true }).focus();
    await ben.keyboard.press('Enter');
    await expectVisible(ben, helloItem.getByRole('button', { name: 'You reacted with heart', exact: true }), 'his reaction, pressed');
    const anaHello = ana.getByRole('listitem').filter({ hasText: hello });
    await expectVisible(ana, anaHello.getByRole('button', { name: '1 person reacted with heart', exact: true }), 'the heart on her message');

    // Ana edits her message in the composer; Ben sees it change in place, marked edited.
    const edited = `Hello Ben, is the nurse in today? (${run})`;
    await anaHello.getByRole('link', { name: 'Edit your message' }).click();
    await expectVisible(ana, ana.getByRole('heading', { name: 'Edit your message' }), 'the composer in edit mode');
    await ana.getByLabel('Your message', { exact: true }).fill(edited);
    await ana.getByRole('button', { name: 'Save changes', exact: true }).click();
    const benEdited = ben.getByRole('listitem').filter({ hasText: edited });
    await expectVisible(ben, benEdited, 'the new text without a reload');
    await expectVisible(ben, benEdited.getByText('edited', { exact: true }), 'the "edited" mark');
    await expectVisible(ana, ana.getByRole('heading', { name: 'Send a message' }), 'the composer back to sending');
    await look(ben, 'chat-room-reacted-and-edited');

    // A personal detail is caught before it goes out, and the text is kept.
    await ana.getByLabel('Your message', { exact: true }).fill('My number is 07700 900123');
    await ana.getByRole('button', { name: 'Send', exact: true }).click();
    await expectVisible(ana, ana.getByRole('alert').getByText(/Please look again/), 'the warning');
    assert.equal(await ana.getByLabel('Your message', { exact: true }).inputValue(), 'My number is 07700 900123');
    await look(ana, 'chat-room-warning');
  });

  test('outside its hours the staffed room takes a question for the next session', async (t) => {
    const cara = await member(`cara_${run}`);
    await cara.goto('/r/nurse-sessions');
    await expectVisible(cara, h1(cara, 'Nurse sessions'), 'the staffed room');
    await expectVisible(cara, cara.getByText(/^Live:/), 'the live connection');
    if (await cara.getByText(/^Open now:/).count()) {
      t.skip('the demo session (Tuesdays 18:00–19:00, London) is on right now');
      return;
    }
    await expectVisible(cara, cara.getByText(/^This room is closed — next session .+ \(Europe\/London\)\.$/), 'when it opens');
    const question = `Can I take paracetamol with my tablets? (${run})`;
    await cara.getByLabel('Your question', { exact: true }).fill(question);
    await cara.getByRole('button', { name: 'Leave a question', exact: true }).click();
    const mine = cara.locator('ol.question-list');
    await expectVisible(cara, mine.getByText(question), 'the question in her list, without a reload');
    assert.equal(await cara.getByRole('log').getByText(question).count(), 0, 'not in the room itself');
    await look(cara, 'chat-room-closed');
  });
});
