// Debian's Chromium driven by playwright-core (no browser download), for the
// end-to-end tests and the console benchmark.
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.WHEELHOUSE_CHROMIUM ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // No sandbox: tests run as root on CI machines. The rest keeps Chromium
    // from phoning home or reaching for a GPU the machine does not have.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
