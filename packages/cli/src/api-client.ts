// The CLI's view of a hub: URL and API token from flags, the environment
// (WHEELHOUSE_HUB_URL, WHEELHOUSE_API_TOKEN) or ~/.config/wheelhouse/config.json
// (written by `wheelhouse login`).
import { recordOf } from '@wheelhouse/protocol';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ApiErrorBody } from '@wheelhouse/protocol';
import { ApiError, CliError } from './exit-codes.js';

export { ApiError } from './exit-codes.js';

export interface HubCredentials {
  hub: string;
  token: string;
}

export function configPath(): string {
  return join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'wheelhouse', 'config.json');
}

export function saveCredentials(c: HubCredentials): void {
  const file = configPath();
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(c, null, 2)}\n`, { mode: 0o600 });
}

export function resolveCredentials(flags: { hub?: string; apiToken?: string }): HubCredentials {
  let saved: Partial<HubCredentials> = {};
  try {
    saved = JSON.parse(readFileSync(configPath(), 'utf8')) as Partial<HubCredentials>;
  } catch {
    // no saved login
  }
  const hub = flags.hub ?? process.env.WHEELHOUSE_HUB_URL ?? saved.hub;
  const token = flags.apiToken ?? process.env.WHEELHOUSE_API_TOKEN ?? saved.token;
  if (!hub)
    throw new CliError('unauthenticated', 'no hub URL: pass --hub, set WHEELHOUSE_HUB_URL, or run `wheelhouse login`');
  if (!token)
    throw new CliError(
      'unauthenticated',
      'no API token: pass --api-token, set WHEELHOUSE_API_TOKEN, or run `wheelhouse login`',
    );
  return { hub, token };
}

/** The error body of a failed answer; a proxy's non-JSON page becomes its message. */
function errorBody(status: number, json: Record<string, unknown>): ApiErrorBody {
  return {
    ...json,
    error: typeof json.error === 'string' ? json.error : `http_${status}`,
    message: typeof json.message === 'string' ? json.message : '',
  };
}

export async function callApi<T = Record<string, unknown>>(
  creds: HubCredentials,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(new URL(path, creds.hub), {
      method,
      headers: {
        authorization: `Bearer ${creds.token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (err) {
    throw new CliError(
      'unreachable',
      `cannot reach the hub at ${creds.hub}: ${err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)}`,
    );
  }
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = text ? recordOf(JSON.parse(text)) : {};
  } catch {
    json = { message: text };
  }
  if (!res.ok) throw new ApiError(res.status, errorBody(res.status, json));
  return json as T;
}

/** Reads a secret from stdin (piped) or asks on the terminal without echo. */
export async function readSecret(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const c of stdin) if (Buffer.isBuffer(c)) chunks.push(c);
    return Buffer.concat(chunks).toString('utf8').split('\n')[0] ?? '';
  }
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise((resolve) => {
    let value = '';
    const onData = (buf: Buffer): void => {
      for (const ch of buf.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.off('data', onData);
          process.stderr.write('\n');
          resolve(value);
          return;
        }
        if (ch === '\u0003') process.exit(130);
        value = ch === '\u007f' ? value.slice(0, -1) : value + ch;
      }
    };
    stdin.on('data', onData);
  });
}
