// Commands that talk to a running hub through its API: login, token create,
// cluster add/list/revoke, user add.
import { messageOf, optionalString, recordOf } from '@wheelhouse/protocol';
import { hostname } from 'node:os';
import { Command, Option } from 'commander';
import { callApi, readSecret, resolveCredentials, saveCredentials, type HubCredentials } from '../api-client.js';

const hubOption = (): Option => new Option('--hub <url>', 'hub URL').env('WHEELHOUSE_HUB_URL');
const tokenOption = (): Option => new Option('--api-token <token>', 'API token').env('WHEELHOUSE_API_TOKEN');

interface Common {
  hub?: string;
  apiToken?: string;
}

async function loginToken(
  hub: string,
  username: string,
  password: string,
  name: string,
  expiresInDays?: number,
): Promise<string> {
  const login = await fetch(new URL('/api/v1/auth/login', hub), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const body = recordOf(await login.json());
  const csrfToken = optionalString(body.csrfToken) ?? '';
  if (!login.ok) throw new Error(`login failed: ${messageOf(body) ?? `HTTP ${login.status}`}`);
  const cookie = login.headers.get('set-cookie')?.split(';')[0] ?? '';
  let current = password;
  if (recordOf(body.user).mustChangePassword === true) {
    // A one-time password (first admin, or reset by an admin) must be replaced first.
    const next = await readSecret('This password must be changed. New password (at least 10 characters): ');
    current = next;
    const res = await fetch(new URL('/api/v1/auth/password', hub), {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken },
      body: JSON.stringify({ current: password, next }),
    });
    if (!res.ok)
      throw new Error(`changing the password failed: ${messageOf(await res.json()) ?? `HTTP ${res.status}`}`);
  }
  const res = await fetch(new URL('/api/v1/tokens', hub), {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken },
    // Creating a token re-checks the password (the hub's re-authentication rule).
    body: JSON.stringify({ name, password: current, ...(expiresInDays ? { expiresInDays } : {}) }),
  });
  const tok: unknown = await res.json();
  const token = optionalString(recordOf(tok).token);
  if (!res.ok || !token) throw new Error(`creating a token failed: ${messageOf(tok) ?? `HTTP ${res.status}`}`);
  return token;
}

export function loginCommand(): Command {
  return new Command('login')
    .description('sign in to a hub and save an API token for later commands (~/.config/wheelhouse/config.json)')
    .addOption(hubOption().makeOptionMandatory())
    .option('-u, --username <name>', 'user name (password sign-in)')
    .option('--password-stdin', 'read the password from standard input')
    .option('--sso', "sign in with the hub's single sign-on in a browser (prints the URL to open)")
    .action(async (o: { hub: string; username?: string; sso?: boolean }) => {
      if (o.sso) {
        if (o.username) throw new Error('--sso and --username exclude each other');
        const { ssoLogin } = await import('./sso-login.js');
        const signedIn = await ssoLogin({ hub: o.hub, tokenName: `wheelhouse-cli@${hostname()}` });
        saveCredentials({ hub: o.hub, token: signedIn.token });
        process.stdout.write(`Signed in to ${o.hub} as ${signedIn.username}.\n`);
        return;
      }
      if (!o.username) throw new Error('give --username (password sign-in) or --sso');
      const password = await readSecret(`Password for ${o.username}: `);
      const token = await loginToken(o.hub, o.username, password, `wheelhouse-cli@${hostname()}`);
      saveCredentials({ hub: o.hub, token });
      process.stdout.write(`Signed in to ${o.hub} as ${o.username}.\n`);
    });
}

export function tokenCommand(): Command {
  const token = new Command('token').description('API tokens');
  token
    .command('create')
    .description('create an API token (prints it once)')
    .addOption(hubOption())
    .addOption(tokenOption())
    .option('--name <name>', 'a name to recognise it by', `token@${hostname()}`)
    .option('--expires-in-days <n>', "expiry in days (default: the hub's default, 90)", (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new Error('--expires-in-days must be a positive whole number');
      return n;
    })
    .option(
      '-u, --username <name>',
      'sign in as this user instead of using a saved token (password from stdin or prompt)',
    )
    .action(async (o: Common & { name: string; expiresInDays?: number; username?: string }) => {
      if (o.username) {
        const hub = o.hub ?? process.env.WHEELHOUSE_HUB_URL;
        if (!hub) throw new Error('--hub is required with --username');
        const password = await readSecret(`Password for ${o.username}: `);
        process.stdout.write(`${await loginToken(hub, o.username, password, o.name, o.expiresInDays)}\n`);
        return;
      }
      const creds = resolveCredentials(o);
      // The hub asks for the password again before it mints a token.
      const password = await readSecret('Your password (to create an API token): ');
      const r = await callApi<{ token: string }>(creds, 'POST', '/api/v1/tokens', {
        name: o.name,
        password,
        ...(o.expiresInDays ? { expiresInDays: o.expiresInDays } : {}),
      });
      process.stdout.write(`${r.token}\n`);
    });
  return token;
}

export function clusterCommand(): Command {
  const cluster = new Command('cluster').description('clusters and their agents');
  cluster
    .command('add <name>')
    .description('register a cluster and print its agent token (shown once)')
    .addOption(hubOption())
    .addOption(tokenOption())
    .action(async (name: string, o: Common) => {
      const creds = resolveCredentials(o);
      const r = await callApi<{ token: string }>(creds, 'POST', '/api/v1/clusters', { name });
      process.stdout.write(
        `Cluster "${name}" registered. Agent token (shown once):\n${r.token}\n\n` +
          `Run the agent in that cluster:\n  wheelhouse agent --hub ${creds.hub} --token ${r.token} --tiers basic\n` +
          `or install deploy/helm/wheelhouse-agent with hub.url=${creds.hub} and the token in a Secret.\n`,
      );
    });
  cluster
    .command('revoke <name>')
    .description("revoke the cluster's agent token (the agent is disconnected at once)")
    .addOption(hubOption())
    .addOption(tokenOption())
    .action(async (name: string, o: Common) => {
      await callApi(resolveCredentials(o), 'POST', `/api/v1/clusters/${encodeURIComponent(name)}/token/revoke`);
      process.stdout.write(`Agent token of "${name}" revoked.\n`);
    });
  return cluster;
}

export function userCommand(): Command {
  const user = new Command('user').description('hub users');
  user
    .command('add <username>')
    .description('create a user, bound to a role on a scope; prints a generated password once')
    .addOption(hubOption())
    .addOption(tokenOption())
    .addOption(
      new Option('--role <role>', 'built-in role')
        .choices(['account-admin', 'operator', 'viewer', 'auditor', 'inventory-viewer'])
        .default('viewer'),
    )
    .option('--cluster <pattern>', 'clusters the role applies to', '*')
    .option('--namespace <pattern>', 'namespaces the role applies to', '*')
    .action(async (username: string, o: Common & { role: string; cluster: string; namespace: string }) => {
      const creds: HubCredentials = resolveCredentials(o);
      const r = await callApi<{ username: string; password?: string }>(creds, 'POST', '/api/v1/users', {
        username,
        role: o.role,
        cluster: o.cluster,
        namespace: o.namespace,
      });
      process.stdout.write(
        `User "${r.username}" created as ${o.role} on clusters ${o.cluster}, namespaces ${o.namespace}.\n`,
      );
      if (r.password) process.stdout.write(`Password (shown once): ${r.password}\n`);
    });
  return user;
}
