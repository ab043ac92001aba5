// `wheelhouse login --sso` end to end with real processes: a hub started with
// the SSO flags, a real Dex, the CLI waiting on its loopback port; the test is
// the person's browser (hub → Dex's login page → hub → the CLI's port). The
// CLI saves an API token that the hub knows as the IdP's user with the mapped
// role. The code the browser carried is useless without the CLI's verifier.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieJar, dexPasswordLogin, startDex, type RunningDex } from '@wheelhouse/test-cluster/dex';
import { WHEELHOUSE_CLI, freePort, startProcess, type TestProcess } from '@wheelhouse/test-cluster/processes';

const SRE = { email: 'sre@example.com', username: 'sam', password: 'sre-password', groups: ['sre'] };

describe('wheelhouse login --sso', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wh-login-sso-'));
  let dex: RunningDex;
  let hub: TestProcess;
  let hubUrl = '';

  beforeAll(async () => {
    const port = await freePort();
    hubUrl = `http://127.0.0.1:${port}`;
    dex = await startDex({
      users: [SRE],
      clients: [{ id: 'wheelhouse', secret: 'cli-test-secret', redirectURIs: [`${hubUrl}/api/v1/auth/oidc/callback`] }],
    });
    writeFileSync(join(dir, 'client-secret'), 'cli-test-secret\n');
    writeFileSync(join(dir, 'mappings.json'), JSON.stringify([{ group: 'sre', role: 'operator' }]));
    hub = startProcess(
      [
        WHEELHOUSE_CLI,
        'hub',
        '--listen',
        `127.0.0.1:${port}`,
        '--data-dir',
        join(dir, 'hub'),
        '--log-level',
        'warn',
        '--oidc-issuer',
        dex.issuer,
        '--oidc-client-id',
        'wheelhouse',
        '--oidc-client-secret-file',
        join(dir, 'client-secret'),
        '--oidc-group-mappings',
        join(dir, 'mappings.json'),
        '--local-accounts',
        'break-glass',
      ],
      { label: 'hub' },
    );
    await hub.waitForOutput(/single sign-on: /);
  }, 600_000);

  afterAll(async () => {
    await hub.stop();
    await dex.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The browser's part: from the URL the CLI printed to the CLI's loopback callback. */
  async function browse(startUrl: string): Promise<{ loopback: string }> {
    const jar = new CookieJar();
    const start = await fetch(startUrl, { redirect: 'manual' });
    expect(start.status).toBe(302);
    jar.store(start);
    const back = await dexPasswordLogin(start.headers.get('location') ?? '', {
      email: SRE.email,
      password: SRE.password,
    });
    const cb = await fetch(back, { redirect: 'manual', headers: { cookie: jar.header() } });
    expect(cb.status, await cb.clone().text()).toBe(303);
    return { loopback: cb.headers.get('location') ?? '' };
  }

  it('signs in through Dex in the browser and saves an API token of the mapped user', async () => {
    const config = join(dir, 'config');
    const cli = startProcess([WHEELHOUSE_CLI, 'login', '--sso', '--hub', hubUrl], {
      label: 'login --sso',
      env: { ...process.env, XDG_CONFIG_HOME: config },
    });
    const printed = await cli.waitForOutput(/(http:\/\/127\.0\.0\.1:\d+\/api\/v1\/auth\/oidc\/login\?\S+)/);
    const { loopback } = await browse(printed[1] ?? '');
    expect(loopback).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback\?code=/);
    const page = await fetch(loopback);
    expect(await page.text()).toMatch(/Signed in/);
    expect(await cli.exited).toBe(0);
    expect(cli.output()).toMatch(/Signed in to .* as sre@example\.com\./);

    const saved = JSON.parse(readFileSync(join(config, 'wheelhouse', 'config.json'), 'utf8')) as { token: string };
    expect(saved.token).toMatch(/^whu_/);
    const me = await fetch(`${hubUrl}/api/v1/me`, { headers: { authorization: `Bearer ${saved.token}` } });
    expect(await me.json()).toMatchObject({
      user: { username: 'sre@example.com' },
      bindings: [{ role: 'operator', cluster: '*', namespace: '*' }],
    });
  });

  it('a code taken from the browser cannot be exchanged without the CLI verifier, and is then used up', async () => {
    const cli = startProcess([WHEELHOUSE_CLI, 'login', '--sso', '--hub', hubUrl], {
      label: 'login --sso',
      env: { ...process.env, XDG_CONFIG_HOME: join(dir, 'config2') },
    });
    const printed = await cli.waitForOutput(/(http:\/\/127\.0\.0\.1:\d+\/api\/v1\/auth\/oidc\/login\?\S+)/);
    const { loopback } = await browse(printed[1] ?? '');
    const code = new URL(loopback).searchParams.get('code') ?? '';
    const stolen = await fetch(`${hubUrl}/api/v1/auth/oidc/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code, codeVerifier: 'x'.repeat(43), name: 'thief' }),
    });
    expect(stolen.status).toBe(401);
    expect(await stolen.json()).toMatchObject({ error: 'sso_failed', reason: 'cli_code_rejected' });
    // The CLI's own exchange now fails too: a code is good for one try.
    await fetch(loopback);
    expect(await cli.exited).not.toBe(0);
    expect(cli.output()).toMatch(/single sign-on failed: .*cli_code_rejected/);
  });

  it('password sign-in is off for everyone but the break-glass admin', async () => {
    const res = await fetch(`${hubUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'sre@example.com', password: SRE.password }),
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: 'local_accounts_disabled' });
  });
});
