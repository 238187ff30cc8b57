// Shared harness for Hearth's browser tests (node --test, ESM).
//
// startServer(): fresh data dir, `hearth demo`, then `hearth serve` on a free loopback port.
// launchBrowser(): Debian's Chromium through playwright-core (never a downloaded browser).
// newActor(): one browser context per person, so each has its own cookies.
// checkA11y(): axe-core; fails on any `serious` or `critical` violation.
// shoot(): screenshots at 360x800 and 1280x800 into e2e/screenshots/.
// server.runHearth(args): runs the binary once more (e.g. `admin reset-password`) with the
//   environment of the running server (server.env: HEARTH_DATA_DIR, DATABASE_URL, HEARTH_BASE_URL).
//
// Environment:
//   HEARTH_BIN      path of the built binary; default ../target/debug/hearth
//                   (a relative path is taken relative to this e2e/ folder)
//   DATABASE_URL    a PostgreSQL database from which each server gets a fresh database of its own
//   CHROMIUM_PATH   browser binary; default /usr/bin/chromium

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

export const E2E_DIR = dirname(fileURLToPath(import.meta.url));
export const SCREENSHOT_DIR = join(E2E_DIR, 'screenshots');
export const RESULTS_DIR = join(E2E_DIR, 'test-results');

const DEMO_TIMEOUT_MS = 180_000;
const HEALTH_TIMEOUT_MS = 30_000;
const COMMAND_TIMEOUT_MS = 60_000;

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A short random suffix for unique aliases, titles and e-mail addresses.
 * Letters only: an alias with a run of digits looks like a phone number and is refused. */
export function uniqueSuffix() {
  return Array.from(randomBytes(8), (b) => String.fromCharCode(97 + (b % 26))).join('');
}

export function hearthBin() {
  return resolve(E2E_DIR, process.env.HEARTH_BIN || '../target/debug/hearth');
}

/** Asks the kernel for a free TCP port on 127.0.0.1. */
export async function freePort() {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address();
  srv.close();
  await once(srv, 'close');
  return port;
}

function tail(text, lines = 60) {
  return text.split('\n').slice(-lines).join('\n');
}

// Servers still running when the process exits (a crash, an interrupted run) are killed.
const liveChildren = new Set();
process.on('exit', () => {
  for (const child of liveChildren) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

/**
 * Runs the binary once to completion; rejects with its output on failure or time-out.
 * Resolves to { stdout, stderr, output } (output: both, interleaved).
 */
async function runOnce(bin, args, env, timeoutMs) {
  const child = spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    output += d;
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    output += d;
    stderr += d;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    const [code, signal] = await once(child, 'exit');
    if (code !== 0) {
      throw new Error(
        `\`${bin} ${args.join(' ')}\` failed (exit ${code}${signal ? `, signal ${signal}` : ''}` +
          `${signal === 'SIGKILL' ? `, killed after ${timeoutMs} ms` : ''}):\n${tail(output)}`,
      );
    }
    return { stdout, stderr, output };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts a Hearth server with the demo data loaded.
 * Returns { baseURL, port, dataDir, env, logFile, log(), runHearth(args), stop() }.
 */
export async function startServer() {
  const bin = hearthBin();
  if (!existsSync(bin)) {
    throw new Error(
      `hearth binary not found at ${bin}. Build it with \`cargo build --bin hearth\` ` +
        'or point HEARTH_BIN at it.',
    );
  }

  const dataDir = mkdtempSync(join(tmpdir(), 'hearth-e2e-'));
  const port = await freePort();
  const baseURL = `http://127.0.0.1:${port}`;

  const env = { ...process.env, HEARTH_DATA_DIR: dataDir };
  // With DATABASE_URL (PostgreSQL), each server gets a database of its own, made from that
  // one: a server's data directory holds the key that sealed its data, so two servers
  // must not share a database. An empty DATABASE_URL means SQLite in the data directory.
  let ownDatabase = null;
  if (process.env.DATABASE_URL) {
    ownDatabase = `e2e_${port}_${uniqueSuffix()}`;
    execFileSync('psql', [process.env.DATABASE_URL, '-qc', `CREATE DATABASE ${ownDatabase}`]);
    env.DATABASE_URL = process.env.DATABASE_URL.replace(/\/[^/?]*(\?.*)?$/, `/${ownDatabase}$1`);
  } else {
    delete env.DATABASE_URL;
  }

  await runOnce(bin, ['demo'], env, DEMO_TIMEOUT_MS);

  mkdirSync(RESULTS_DIR, { recursive: true });
  const logFile = join(RESULTS_DIR, `hearth-serve-${port}.log`);
  const logStream = createWriteStream(logFile);
  const serveEnv = { ...env, HEARTH_BIND: `127.0.0.1:${port}`, HEARTH_BASE_URL: baseURL };
  const child = spawn(bin, ['serve'], { env: serveEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  liveChildren.add(child);
  child.stdout.pipe(logStream, { end: false });
  child.stderr.pipe(logStream, { end: false });
  let exited = null;
  const exitPromise = once(child, 'exit').then(([code, signal]) => {
    exited = { code, signal };
    liveChildren.delete(child);
  });

  const log = () => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };

  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const timedOut = await Promise.race([exitPromise.then(() => false), sleep(10_000).then(() => true)]);
      if (timedOut) {
        child.kill('SIGKILL');
        await exitPromise;
      }
    }
    logStream.end();
    rmSync(dataDir, { recursive: true, force: true });
    if (ownDatabase) {
      try {
        execFileSync('psql', [process.env.DATABASE_URL, '-qc', `DROP DATABASE IF EXISTS ${ownDatabase} WITH (FORCE)`]);
      } catch {
        // Left behind; CI drops its databases at the end anyway.
      }
    }
  };

  // Wait for /healthz to answer 200.
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  let lastProblem = 'no answer yet';
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(
        `hearth serve exited early (code ${exited.code}, signal ${exited.signal}). Log ${logFile}:\n${tail(log())}`,
      );
    }
    try {
      const res = await fetch(`${baseURL}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) break;
      lastProblem = `GET /healthz answered ${res.status}`;
    } catch (err) {
      lastProblem = `GET /healthz: ${err.cause?.code || err.message}`;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `hearth serve not healthy after ${HEALTH_TIMEOUT_MS} ms (${lastProblem}). Log ${logFile}:\n${tail(log())}`,
      );
    }
    await sleep(200);
  }

  /**
   * Runs `hearth <args>` to completion with the server's environment (same data dir, database
   * and base URL, so printed links point at this server). Resolves to { stdout, stderr, output }.
   */
  const runHearth = (args, { timeoutMs = COMMAND_TIMEOUT_MS } = {}) => runOnce(bin, args, serveEnv, timeoutMs);

  return { baseURL, port, dataDir, env: serveEnv, logFile, log, runHearth, stop };
}

/** Launches Debian's Chromium (headless, no sandbox: CI runs as root). */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

/** One person: a fresh browser context (own cookies) and a page in it, at 1280x800. */
export async function newActor(browser, baseURL) {
  const context = await browser.newContext({ baseURL, viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(30_000);
  const page = await context.newPage();
  return { context, page };
}

function formatViolation(v) {
  const lines = [`  - [${v.impact}] ${v.id}: ${v.help}`, `    ${v.helpUrl}`];
  for (const node of v.nodes.slice(0, 10)) {
    lines.push(`      at ${node.target.join(' ')}`);
    lines.push(`        ${node.html.replace(/\s+/g, ' ').slice(0, 200)}`);
    if (node.failureSummary) {
      for (const s of node.failureSummary.split('\n')) lines.push(`        ${s.trim()}`);
    }
  }
  if (v.nodes.length > 10) lines.push(`      … and ${v.nodes.length - 10} more elements`);
  return lines.join('\n');
}

/**
 * Runs axe on the current page. Fails on violations of impact `serious` or `critical`;
 * minor and moderate ones are printed as notes.
 */
export async function checkA11y(page, name) {
  const results = await new AxeBuilder({ page }).analyze();
  const blocking = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const notes = results.violations.filter((v) => !blocking.includes(v));
  if (notes.length) {
    console.log(
      `axe notes on "${name}" (${page.url()}), not failing:\n${notes.map(formatViolation).join('\n')}`,
    );
  }
  if (blocking.length) {
    throw new Error(
      `axe: ${blocking.length} serious/critical violation(s) on "${name}" (${page.url()}):\n` +
        blocking.map(formatViolation).join('\n'),
    );
  }
  return results;
}

/** Full-page screenshots at 360x800 and 1280x800: screenshots/<name>-360.png, -1280.png. */
export async function shoot(page, name) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, '_');
  const before = page.viewportSize();
  for (const width of [360, 1280]) {
    await page.setViewportSize({ width, height: 800 });
    await page.screenshot({ path: join(SCREENSHOT_DIR, `${safe}-${width}.png`), fullPage: true });
  }
  if (before) await page.setViewportSize(before);
}

/** checkA11y + shoot: what every visited page gets. */
export async function inspect(page, name) {
  await shoot(page, name);
  await checkA11y(page, name);
}

/** A short description of where a page is, for failure messages. */
export async function whereAmI(page) {
  const alerts = await page
    .getByRole('alert')
    .allInnerTexts()
    .catch(() => []);
  const main = await page
    .locator('main')
    .first()
    .innerText({ timeout: 1_000 })
    .catch(() => '(no <main>)');
  return (
    `  at ${page.url()} (title: ${JSON.stringify(await page.title().catch(() => ''))})\n` +
    (alerts.length ? `  alerts: ${JSON.stringify(alerts)}\n` : '') +
    `  main text: ${JSON.stringify(main.slice(0, 600))}`
  );
}

/** Waits for a locator to be visible, failing with a description of the page. */
export async function expectVisible(page, locator, what) {
  try {
    await locator.first().waitFor({ state: 'visible' });
  } catch (err) {
    throw new Error(`expected to see ${what}\n${await whereAmI(page)}\n  (${err.message.split('\n')[0]})`);
  }
}

/** Text shown on the page, not the content of a form field (getByText also matches textareas). */
export function posted(page, text) {
  return page.getByText(text).and(page.locator(':not(textarea)'));
}

// ---- page steps shared by the scenarios

/** The h1 of the page. */
export function h1(page, name) {
  return page.getByRole('heading', { level: 1, name, exact: typeof name === 'string' });
}

/** Clicks a submit button and resolves to the response of the page it leads to (after redirects). */
export async function submit(page, button) {
  const [response] = await Promise.all([page.waitForNavigation(), button.click()]);
  await page.waitForLoadState('load');
  return response;
}

/** Path of the current page. */
export function pathOf(page) {
  return new URL(page.url()).pathname;
}

/** One post on a topic page, found by its text. */
export function article(page, text) {
  return page.getByRole('article').filter({ hasText: text });
}

/** Registers on /register (checked in community.test.mjs) and waits until signed in. */
export async function register(page, person) {
  await page.goto('/register');
  await page.getByLabel(/^Alias/).fill(person.alias);
  await page.getByLabel(/^Email/).fill(person.email);
  await page.getByLabel(/^Password/).fill(person.password);
  await page.getByRole('checkbox', { name: /terms/i }).check();
  await page.getByRole('button', { name: 'Create account', exact: true }).click();
  await expectVisible(
    page,
    page.getByRole('banner').getByText(person.alias),
    `the alias "${person.alias}" in the page header (signed in after registering)`,
  );
  await page.waitForLoadState('load');
}

/** Sets a demo account's password: `hearth admin reset-password --alias … --password-stdin`. */
export async function setPassword(server, alias, password) {
  const child = spawn(hearthBin(), ['admin', 'reset-password', '--alias', alias, '--password-stdin'], {
    env: server.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  child.stdin.end(`${password}\n`);
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const [code] = await once(child, 'exit');
  clearTimeout(timer);
  assert.equal(code, 0, `\`hearth admin reset-password --alias ${alias} --password-stdin\` failed:\n${output}`);
}

/** Signs a demo account in on /login (accepting the terms if asked). */
export async function signInDemo(page, alias, password) {
  await page.goto('/login');
  await page.getByLabel('Email', { exact: true }).fill(`${alias.toLowerCase()}@demo.invalid`);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await submit(page, page.getByRole('button', { name: 'Sign in', exact: true }));
  if (pathOf(page) === '/accept') {
    await submit(page, page.getByRole('button', { name: 'I accept', exact: true }));
  }
  await expectVisible(page, page.getByRole('banner').getByText(alias), `${alias} signed in`);
}

/** inspect (axe and screenshots), and the page must not scroll sideways on a phone (360 px). */
export async function look(page, name) {
  await inspect(page, name);
  const before = page.viewportSize();
  await page.setViewportSize({ width: 360, height: 800 });
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  if (before) await page.setViewportSize(before);
  assert.ok(wide <= 360, `"${name}" (${page.url()}) scrolls sideways on a phone: ${wide} px wide at 360 px`);
}

