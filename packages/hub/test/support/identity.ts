// Test helpers for users, tokens and sessions: create them straight in the
// store (fast) and sign in over HTTP where the cookie matters.
import type { Hub } from '../../src/server.js';
import { createApiToken, createBinding, createUser } from '../../src/auth/identity-store.js';
import { configurePasswordHashing, hashPassword } from '../../src/auth/password.js';
import type { BuiltinRole } from '../../src/auth/types.js';

/** scrypt at N=2^10: ~1 ms per hash instead of ~100 ms. Call once per test file. */
export function useFastPasswordHashing(): void {
  configurePasswordHashing({ logN: 10 });
}

export interface BindingSpec {
  role: BuiltinRole;
  /** Cluster pattern, default '*'. */
  cluster?: string;
  /** Namespace pattern, default '*'. */
  namespace?: string;
}

export interface TestUser {
  userId: string;
  username: string;
  password: string;
  /** A bearer API token for this user. */
  token: string;
  tokenId: string;
}

let counter = 0;

export async function addUser(
  hub: Hub,
  opts: { username?: string; password?: string; bindings?: BindingSpec[]; mustChangePassword?: boolean } = {},
): Promise<TestUser> {
  const username = opts.username ?? `user-${process.pid}-${++counter}`;
  const password = opts.password ?? `pw-${username}-secret`;
  const passwordHash = await hashPassword(password);
  const { user } = await createUser(hub.db, {
    username,
    passwordHash,
    mustChangePassword: opts.mustChangePassword ?? false,
    createdBy: 'test',
  });
  for (const b of opts.bindings ?? []) {
    await createBinding(hub.db, {
      userId: user.id,
      role: b.role,
      clusterPattern: b.cluster ?? '*',
      namespacePattern: b.namespace ?? '*',
      createdBy: 'test',
    });
  }
  const token = await createApiToken(hub.db, { userId: user.id, name: 'test' });
  return { userId: user.id, username, password, token: token.token, tokenId: token.id };
}

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

export interface TestSession {
  /** Value for a `cookie` request header. */
  cookie: string;
  csrfToken: string;
  /** The raw Set-Cookie header of the login response. */
  setCookie: string;
}

export async function login(hub: Hub, username: string, password: string): Promise<TestSession> {
  const res = await hub.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });
  if (res.statusCode !== 200) throw new Error(`login as ${username} failed: ${res.statusCode} ${res.body}`);
  const raw = res.headers['set-cookie'];
  const setCookie = Array.isArray(raw) ? (raw[0] ?? '') : (raw ?? '');
  const cookie = setCookie.split(';')[0] ?? '';
  const body = res.json<{ csrfToken: string }>();
  return { cookie, csrfToken: body.csrfToken, setCookie };
}

/** Headers for a cookie-authenticated request, with the CSRF token. */
export const sessionHeaders = (s: TestSession): Record<string, string> => ({
  cookie: s.cookie,
  'x-csrf-token': s.csrfToken,
});
