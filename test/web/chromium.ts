/**
 * Debian's Chromium under playwright-core, as the browser tests and `npm run bench -- web` launch it:
 * the flags the closed network needs, a fresh profile each time, and every request off loopback
 * aborted and recorded (the page may load this machine's server only).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Where Debian's `chromium` package puts the browser. */
export const CHROMIUM = '/usr/bin/chromium';

const LOOPBACK = /^(?:https?|wss?):\/\/(?:127\.\d+\.\d+\.\d+|localhost|\[::1\])(?::\d+)?\//;

/** The Chromium flags the closed network needs, and a fresh profile. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Nothing but loopback resolves, whatever a page asks for.
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1, EXCLUDE localhost',
];

/** Launches Chromium with a fresh profile; every request off loopback is aborted and recorded. `close` removes the profile too. */
export async function launchChromium(viewport = { width: 1100, height: 900 }): Promise<{ context: BrowserContext; offLoopback: string[]; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'chromium-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
    acceptDownloads: true,
    reducedMotion: 'reduce',
  });
  const offLoopback: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (LOOPBACK.test(url) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
    offLoopback.push(url);
    return route.abort('blockedbyclient');
  });
  return {
    context,
    offLoopback,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

