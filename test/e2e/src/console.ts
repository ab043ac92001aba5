// The end-to-end harness: a hub serving the built console, an agent on the
// real local cluster, a signed-in user, and Debian's Chromium driven by
// playwright-core. Each test file gets its own hub, cluster name and browser.
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterEach } from 'vitest';
import { launchChromium } from './chromium.js';
import type { Capabilities } from '@wheelhouse/protocol';
import type { AgentOptions } from '@wheelhouse/agent';
import type { HubOptions } from '@wheelhouse/hub';
import { ALL_TIERS, startPipeline, type Pipeline } from '../../../packages/hub/test/support/hub-with-agent.js';
import {
  addUser,
  useFastPasswordHashing,
  type BindingSpec,
  type TestUser,
} from '../../../packages/hub/test/support/identity.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const SCREENSHOTS = join(repoRoot, 'docs', 'screenshots');

export interface Console {
  pipeline: Pipeline;
  url: string;
  cluster: string;
  user: TestUser;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Saves docs/screenshots/<name>.png (the README shows them). */
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function openConsole(
  opts: {
    capabilities?: Capabilities;
    bindings?: BindingSpec[];
    /** The signed-in user's name (default: a generated one). */
    username?: string;
    hub?: HubOptions;
    agent?: Partial<AgentOptions>;
    signIn?: boolean;
    theme?: 'light' | 'dark';
    /** The hub's port (default: any free one). */
    port?: number;
  } = {},
): Promise<Console> {
  useFastPasswordHashing();
  const pipeline = await startPipeline({
    capabilities: opts.capabilities ?? ALL_TIERS,
    hub: opts.hub,
    agent: opts.agent,
    ...(opts.port !== undefined ? { port: opts.port } : {}),
  });
  const user = await addUser(pipeline.hub, {
    bindings: opts.bindings ?? [{ role: 'account-admin' }],
    ...(opts.username !== undefined ? { username: opts.username } : {}),
  });
  const browser = await launchChromium();
  const context = await browser.newContext({
    viewport: { width: 1440, height: 900 },
    colorScheme: opts.theme ?? 'light',
  });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const c: Console = {
    pipeline,
    url: pipeline.url,
    cluster: pipeline.cluster,
    user,
    browser,
    context,
    page,
    async screenshot(name) {
      await mkdir(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
    },
    async close() {
      await browser.close().catch(() => undefined);
      await pipeline.stop();
      if (errors.length) throw new Error(`uncaught errors in the page: ${errors.join('; ')}`);
    },
  };
  if (opts.signIn !== false) await signIn(page, pipeline.url, user);
  return c;
}

export async function signIn(page: Page, url: string, user: { username: string; password: string }): Promise<void> {
  await page.goto(`${url}/`);
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

/** Waits for a command dialog's status to reach a terminal state and returns it. */
export async function terminalState(page: Page): Promise<string> {
  const status = page.getByRole('status', { name: 'Command status' });
  try {
    await status
      .and(
        page.locator(
          '[data-state="succeeded"], [data-state="failed"], [data-state="rejected"], [data-state="expired"]',
        ),
      )
      .waitFor({ timeout: 60_000 });
  } catch (err) {
    const dialog = await page
      .getByRole('dialog')
      .allTextContents()
      .catch(() => []);
    const shown = await status.allTextContents().catch(() => []);
    throw new Error(
      `no terminal command state; status shows ${JSON.stringify(shown)}; dialog: ${JSON.stringify(dialog).slice(0, 2000)}`,
      { cause: err },
    );
  }
  return (await status.getAttribute('data-state')) ?? '';
}

/** Call at describe level: a failed test leaves a screenshot in test/e2e/failures/ (git-ignored) for whoever reads the log. */
export function screenshotOnFailure(get: () => Console | undefined): void {
  afterEach(async (ctx) => {
    const c = get();
    if (!c || ctx.task.result?.state !== 'fail') return;
    const dir = join(repoRoot, 'test', 'e2e', 'failures');
    await mkdir(dir, { recursive: true });
    const file = join(dir, `${ctx.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 80)}.png`);
    await c.page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
    console.error(`[e2e] failure screenshot: ${file}`);
  });
}
