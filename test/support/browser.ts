import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium as playwright, type Browser, type BrowserServer, type CDPSession, type Page } from 'playwright-core';

/** Headless, no sandbox (containers), no network beyond loopback, no first-run noise. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * The environment variable through which `npm test` (scripts/run-tests.mjs) hands the browser
 * files one Chromium it launched for the whole run ({@link launchSharedChromium}).
 */
export const SHARED_CHROMIUM_ENV = 'TEST_CHROMIUM_ENDPOINT';

/**
 * A Chromium for a test file: the Chromium at `executablePath` (from `chromium()` in
 * ./services.js) launched through playwright-core, with `extraArgs` after ours; or, under `npm
 * test` and when the file needs no arguments of its own, a connection to the one Chromium the
 * runner launched with the same arguments. Each test makes its own contexts either way — a
 * context is a profile of its own (cookies, storage, cache, permissions), so files sharing the
 * browser share no state — and `close()` closes this file's contexts and disconnects (Playwright,
 * `browserType.connect`), leaving the browser to the others. A file run alone launches its own.
 */
export function launchChromium(executablePath: string, extraArgs: string[] = []): Promise<Browser> {
  const shared = process.env[SHARED_CHROMIUM_ENV];
  if (shared && extraArgs.length === 0) return playwright.connect(shared);
  return playwright.launch({ executablePath, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/**
 * One Chromium for a whole test run, served over Playwright's WebSocket protocol: each browser
 * file starting its own cost a second or more of CPU and wall time per file (docs/testing.md,
 * "One Chromium for the run"). Its `wsEndpoint()` goes into {@link SHARED_CHROMIUM_ENV}.
 */
export function launchSharedChromium(executablePath: string): Promise<BrowserServer> {
  return playwright.launchServer({ executablePath, args: CHROMIUM_ARGS });
}

/** axe-core's browser bundle, evaluated in the page (through the DevTools protocol, so the page's CSP does not block it). */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's violations on the page as it is now (WCAG 2.x and 2.1, levels A and AA), as readable lines. */
export async function axeViolations(page: Page): Promise<string[]> {
  // Once per document: the web page changes views without loading a new one, and parsing the
  // 560 KB bundle again each time was a visible share of the browser files' CPU.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const axe = (
      window as unknown as { axe: { run: (context: Document, options: object) => Promise<{ violations: { id: string; nodes: { target: unknown[] }[] }[] }> } }
    ).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
  });
}

/**
 * Adds a virtual platform authenticator through the DevTools protocol (`WebAuthn.*`, with
 * `WebAuthn.enable` sent first): CTAP2, resident keys and user verification, as a phone or laptop
 * passkey provider; its id, to remove it again.
 */
export async function addPlatformAuthenticator(cdp: CDPSession): Promise<string> {
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return authenticatorId;
}
