// The "Private conversation" scenario: a member asks the staff team privately, a nurse
// sees the news in her Messages link, answers, and the answer appears for the member at
// once. Both pages are checked by axe and on a phone.

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

const NURSE = 'NurseKwame';
const run = uniqueSuffix();
const PASSWORD = 'correct horse battery staple';

describe('private conversations: a member and the staff team', { timeout: 600_000 }, () => {
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

  test('a member asks privately and a nurse answers in real time', async () => {
    const member = await actor();
    const alias = `cleo_${run}`;
    await register(member, { alias, email: `${alias}@example.test`, password: PASSWORD });
    await member.getByRole('banner').getByRole('link', { name: 'Messages', exact: true }).click();
    await expectVisible(member, h1(member, 'Private messages'), 'the messages page');
    await look(member, 'messages-empty');
    await member.getByLabel('Who would you like to talk with?').selectOption('team');
    await member.getByLabel('Subject (optional)').fill(`About my treatment ${run}`);
    await submit(member, member.getByRole('button', { name: 'Start the conversation', exact: true }));
    await expectVisible(member, h1(member, `About my treatment ${run}`), 'the conversation');
    await expectVisible(member, member.getByText(/you and the staff team/), 'who sees it');
    await expectVisible(member, member.getByText(/^Live:/), 'the live connection');
    const question = `Can I still work during chemotherapy? (${run})`;
    await member.getByLabel('Your message', { exact: true }).fill(question);
    await member.getByLabel('Your message', { exact: true }).press('Enter');
    await expectVisible(member, member.getByRole('log').getByText(question), 'the question sent');
    await look(member, 'conversation-member');

    await setPassword(server, NURSE, `harbour kettle ${run}`);
    const nurse = await actor();
    await signInDemo(nurse, NURSE, `harbour kettle ${run}`);
    await nurse.getByRole('banner').getByRole('link', { name: /Messages 1/ }).click();
    await look(nurse, 'messages-nurse');
    await nurse.getByRole('link', { name: `About my treatment ${run}`, exact: true }).click();
    await expectVisible(nurse, nurse.getByRole('log').getByText(question), 'the question, for the nurse');
    await expectVisible(nurse, nurse.getByText(/^Live:/), 'the nurse live');
    const answer = `Many people do; let us talk about your job (${run})`;
    await nurse.getByLabel('Your message', { exact: true }).fill(answer);
    await nurse.getByRole('button', { name: 'Send', exact: true }).click();
    await expectVisible(member, member.getByRole('log').getByText(answer), 'the answer, without a reload');
    await look(nurse, 'conversation-nurse');
  });
});
