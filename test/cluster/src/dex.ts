// Dex, the real OIDC provider, for SSO tests and `wheelhouse demo --sso`: a
// config file with the issuer on a loopback port, static clients and static
// password users with groups (Dex's local password database carries `groups`
// into the ID token), in-memory storage unless a test names a database (Dex
// is built without cgo, so no sqlite), started as a process and health-waited on its discovery document.
// Browser sessions are on (DEX_SESSIONS_ENABLED) unless a test turns them
// off, so Dex advertises an end_session_endpoint and RP-initiated logout can
// be tested for real.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { stringify } from 'yaml';
import { binaryPaths, buildBinaries } from './binaries.js';
import { freePort } from './processes.js';

export interface DexUser {
  /** Dex signs password users in by email. */
  email: string;
  /** The `name` claim (and preferred_username unless given). */
  username: string;
  password: string;
  groups: string[];
  /** Dex's stable subject for the user (default: derived from the email). */
  userId?: string;
}

export interface DexClient {
  id: string;
  secret: string;
  redirectURIs: string[];
  postLogoutRedirectURIs?: string[];
  name?: string;
  /** Clients whose tokens may name this one as audience (Dex cross-client trust). */
  trustedPeers?: string[];
}

export interface DexOptions {
  users: DexUser[];
  clients: DexClient[];
  /** Listen port (default: a free one). */
  port?: number;
  /** ID token lifetime, a Go duration (default 10m). */
  idTokenTtl?: string;
  /**
   * Dex's storage (default: in memory, lost when Dex stops). A test that restarts Dex with changed
   * users and needs the refresh tokens it issued to survive gives it a database, e.g.
   * { type: 'postgres', config: { host, port, database, user, password, ssl: { mode: 'disable' } } }.
   */
  storage?: { type: string; config?: Record<string, unknown> };
  /**
   * Dex's browser sessions (default on). With them on, a refresh reuses the claims of the last
   * login; off, it asks the connector again, so a person's changed groups show at the next refresh.
   */
  sessions?: boolean;
  /** Print Dex's log lines on this process's stderr (the demo); tests keep them for failures. */
  inheritOutput?: boolean;
}

export interface RunningDex {
  /** e.g. http://127.0.0.1:41234/dex */
  readonly issuer: string;
  readonly port: number;
  readonly configPath: string;
  /** Dex's log so far (tests print it on failure). */
  output(): string;
  /** SIGTERM, then SIGKILL after 5 s; removes the config directory. */
  stop(): Promise<void>;
}

// Tests sign in many times: bcrypt at Dex's minimum cost (10) keeps that quick.
const BCRYPT_COST = 10;

export function dexConfig(opts: DexOptions, port: number): Record<string, unknown> {
  const issuer = `http://127.0.0.1:${port}/dex`;
  return {
    issuer,
    storage: opts.storage ?? { type: 'memory' },
    web: { http: `127.0.0.1:${port}` },
    logger: { level: 'info', format: 'text' },
    oauth2: { skipApprovalScreen: true, responseTypes: ['code'], passwordConnector: 'local' },
    expiry: { idTokens: opts.idTokenTtl ?? '10m', authRequests: '10m' },
    ...(opts.sessions === false ? {} : { sessions: {} }),
    enablePasswordDB: true,
    staticClients: opts.clients.map((c) => ({
      id: c.id,
      secret: c.secret,
      name: c.name ?? c.id,
      redirectURIs: c.redirectURIs,
      ...(c.postLogoutRedirectURIs ? { postLogoutRedirectURIs: c.postLogoutRedirectURIs } : {}),
      ...(c.trustedPeers ? { trustedPeers: c.trustedPeers } : {}),
    })),
    staticPasswords: opts.users.map((u) => ({
      email: u.email,
      hash: bcrypt.hashSync(u.password, BCRYPT_COST),
      username: u.username,
      preferredUsername: u.username,
      userID: u.userId ?? `user-${u.email.replace(/[^a-z0-9]/gi, '-')}`,
      groups: u.groups,
    })),
  };
}

/** Starts Dex and resolves once its discovery document answers (builds the binary first if missing). */
export async function startDex(opts: DexOptions): Promise<RunningDex> {
  await buildBinaries();
  const { dex } = await binaryPaths();
  const port = opts.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'wh-dex-'));
  const configPath = join(dir, 'config.yaml');
  const config = dexConfig(opts, port);
  writeFileSync(configPath, stringify(config), { mode: 0o600 });
  const issuer = config.issuer as string;

  const child: ChildProcess = spawn(dex, ['serve', configPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DEX_SESSIONS_ENABLED: opts.sessions === false ? 'false' : 'true' },
  });
  let out = '';
  const keep = (c: Buffer): void => {
    out = out.length > 200_000 ? out.slice(-100_000) + c.toString() : out + c.toString();
    if (opts.inheritOutput) process.stderr.write(c);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A test process that dies must not leave Dex listening.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`dex exited before it was ready:\n${out.slice(-4000)}`);
    }
    try {
      const res = await fetch(`${issuer}/.well-known/openid-configuration`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`dex did not answer ${issuer}/.well-known/openid-configuration in 30 s:\n${out.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { issuer, port, configPath, output: () => out, stop };
}

/** A minimal cookie jar for driving Dex's pages over HTTP (one origin). */
export class CookieJar {
  private readonly cookies = new Map<string, string>();
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (!pair || eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

/**
 * Signs in at Dex's own login page the way a browser would: starting from an
 * authorization URL, it follows Dex's redirects, posts the email and password
 * to the form Dex served, and returns the URL Dex redirects to outside itself
 * (the client's redirect URI with `code` and `state`, or with `error`). Throws
 * with Dex's page text when the login is refused.
 */
export async function dexPasswordLogin(
  authorizationUrl: string,
  credentials: { email: string; password: string },
  jar: CookieJar = new CookieJar(),
): Promise<string> {
  const dexOrigin = new URL(authorizationUrl).origin;
  const request = async (url: string, init: RequestInit = {}): Promise<Response> => {
    const res = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string> | undefined), cookie: jar.header() },
    });
    jar.store(res);
    return res;
  };
  let url = authorizationUrl;
  let posted = false;
  for (let hop = 0; hop < 20; hop++) {
    if (new URL(url).origin !== dexOrigin) return url;
    const res = await request(url);
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      url = new URL(location, url).toString();
      continue;
    }
    const html = await res.text();
    const form = /<form method="post" action="([^"]+)"/.exec(html);
    if (res.status !== 200 || !form?.[1] || !/name="password"/.test(html)) {
      throw new Error(
        `dex answered ${res.status} at ${url}: ${html
          .replace(/<[^>]+>/g, ' ')
          .replace(/\s+/g, ' ')
          .slice(0, 400)}`,
      );
    }
    if (posted) throw new Error(`dex refused the password of ${credentials.email} (the login form came back)`);
    posted = true;
    const action = new URL(form[1].replace(/&amp;/g, '&'), url).toString();
    const post = await request(action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ login: credentials.email, password: credentials.password }).toString(),
    });
    const next = post.headers.get('location');
    if (post.status >= 300 && post.status < 400 && next) {
      url = new URL(next, action).toString();
      continue;
    }
    const body = await post.text();
    if (/name="password"/.test(body)) throw new Error(`dex refused the password of ${credentials.email}`);
    throw new Error(`dex answered ${post.status} to the login form: ${body.slice(0, 400)}`);
  }
  throw new Error(`more than 20 redirects signing in at dex from ${authorizationUrl}`);
}
