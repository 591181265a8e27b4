import { chromium as playwright, type Browser } from 'playwright-core';

/** Headless, no sandbox (containers), no network beyond loopback, no first-run noise. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Launches the Chromium at `executablePath` (from `chromium()` in ./services.js) through playwright-core, with `extraArgs` after ours. */
export function launchChromium(executablePath: string, extraArgs: string[] = []): Promise<Browser> {
  return playwright.launch({ executablePath, args: [...CHROMIUM_ARGS, ...extraArgs] });
}
