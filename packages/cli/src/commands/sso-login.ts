// `wheelhouse login --sso`: single sign-on from a terminal. The CLI listens on
// a loopback port, prints the hub URL that starts the sign-in (the person
// opens it in a browser and signs in at the identity provider), and the hub
// redirects the browser back to the loopback port with a one-time code. The
// code is bound to the PKCE challenge the CLI sent first, so only this
// process — which holds the verifier — can exchange it for an API token.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { messageOf, optionalString, recordOf } from '@wheelhouse/protocol';

const b64url = (buf: Buffer): string => buf.toString('base64url');

export interface SsoLoginOptions {
  hub: string;
  tokenName: string;
  /** Where to say what to open (default: stderr). */
  say?: (line: string) => void;
  timeoutMs?: number;
}

const PAGE = (text: string): string =>
  `<!doctype html><meta charset="utf-8"><title>Wheelhouse</title><p style="font:16px system-ui;margin:3em">${text}</p>`;

export async function ssoLogin(o: SsoLoginOptions): Promise<{ token: string; username: string }> {
  const state = b64url(randomBytes(24));
  const verifier = b64url(randomBytes(32));
  const challenge = b64url(createHash('sha256').update(verifier).digest());
  const say = o.say ?? ((line: string) => process.stderr.write(`${line}\n`));

  let server: Server | undefined;
  const code = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('no sign-in within 5 minutes; run `wheelhouse login --sso` again')),
      o.timeoutMs ?? 5 * 60_000,
    );
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (url.pathname !== '/callback') {
        res.writeHead(404).end();
        return;
      }
      // Only the redirect this sign-in asked for counts; anything else is answered and ignored.
      if (url.searchParams.get('state') !== state || !url.searchParams.get('code')) {
        res.writeHead(400, { 'content-type': 'text/html' }).end(PAGE('This is not the sign-in this terminal started.'));
        return;
      }
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end(PAGE('Signed in. You can close this tab and go back to the terminal.'));
      clearTimeout(timer);
      resolve(url.searchParams.get('code') ?? '');
    });
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server?.address() as AddressInfo).port;
      const start = new URL('/api/v1/auth/oidc/login', o.hub);
      start.search = new URLSearchParams({
        cliRedirect: `http://127.0.0.1:${port}/callback`,
        cliState: state,
        cliChallenge: challenge,
      }).toString();
      say(`Open this URL in a browser and sign in:\n\n  ${start.toString()}\n`);
    });
  }).finally(() => {
    server?.close();
  });

  const res = await fetch(new URL('/api/v1/auth/oidc/token', o.hub), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code, codeVerifier: verifier, name: o.tokenName }),
  });
  const body = recordOf(await res.json());
  const token = optionalString(body.token);
  const username = optionalString(body.username);
  if (!res.ok || !token || !username)
    throw new Error(`single sign-on failed: ${messageOf(body) ?? `HTTP ${res.status}`}`);
  return { token, username };
}
