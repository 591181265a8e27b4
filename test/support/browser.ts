import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium as playwright, type Browser, type CDPSession, type Page } from 'playwright-core';

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

/** Launches the Chromium at `executablePath` (from `chromium()` in ./services.js) through playwright-core, with `extraArgs` after ours. */
export function launchChromium(executablePath: string, extraArgs: string[] = []): Promise<Browser> {
  return playwright.launch({ executablePath, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/** axe-core's browser bundle, evaluated in the page (through the DevTools protocol, so the page's CSP does not block it). */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's violations on the page as it is now (WCAG 2.x and 2.1, levels A and AA), as readable lines. */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
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
