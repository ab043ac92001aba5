// `wheelhouse port-forward <pod | kind/name> [-n NS] LOCAL:REMOTE…`: listens on
// 127.0.0.1 (or --address) and forwards each TCP connection through the hub
// and the cluster's agent to the pod's port (one WebSocket per connection,
// authorized and audited at the hub). For a workload it picks one pod as
// kubectl does, and says which. Runs until interrupted.
//
// Backpressure both ways: a local socket is read only while its last chunk is
// on its way to the hub; the hub socket is paused while the local one is full.
import { createServer, type Server, type Socket } from 'node:net';
import { Command } from 'commander';
import WebSocket from 'ws';
import { PORTFWD_MAX_CHUNK, portForwardPath, type PortForwardServerControl } from '@wheelhouse/protocol';
import type { HubCredentials } from '../api-client.js';
import { ApiError, CliError } from '../exit-codes.js';
import { clusterContext, withClusterOptions, type HubFlags } from '../hub-context.js';
import { namespaceOf } from './get.js';
import { choosePod } from './logs.js';

interface PortForwardFlags extends HubFlags {
  namespace?: string;
  address: string;
}

export interface PortMapping {
  /** 0: any free port. */
  local: number;
  remote: number;
}

const port = (s: string, what: string, spec: string, allowZero: boolean): number => {
  const n = Number(s);
  if (!/^\d+$/.test(s) || n > 65535 || n < (allowZero ? 0 : 1))
    throw new CliError('usage', `port-forward: ${what} port in "${spec}" must be a number from 1 to 65535`);
  return n;
};

/** "8080:80", ":80" (any free local port), "80" (the same port locally), as kubectl. */
export function parsePortMapping(spec: string): PortMapping {
  const parts = spec.split(':');
  if (parts.length === 1) {
    const p = port(parts[0] ?? '', 'the', spec, false);
    return { local: p, remote: p };
  }
  if (parts.length !== 2) throw new CliError('usage', `port-forward: "${spec}" is not LOCAL:REMOTE`);
  const [l = '', r = ''] = parts;
  return { local: l === '' ? 0 : port(l, 'the local', spec, true), remote: port(r, 'the remote', spec, false) };
}

async function errorOf(res: import('node:http').IncomingMessage): Promise<ApiError> {
  let body = '';
  for await (const c of res) body += (c as Buffer).toString();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(body) as Record<string, unknown>;
  } catch {
    json = { message: body };
  }
  return apiErrorOf(res.statusCode ?? 0, json);
}

function apiErrorOf(status: number, json: Record<string, unknown>): ApiError {
  return new ApiError(status, {
    ...json,
    error: typeof json.error === 'string' ? json.error : `http_${status}`,
    message: typeof json.message === 'string' ? json.message : '',
  });
}

/** The route's checks without opening anything: a plain GET answers 426 when a connection would be allowed. */
async function preflight(creds: HubCredentials, url: URL): Promise<void> {
  const http = new URL(url);
  http.protocol = http.protocol === 'wss:' ? 'https:' : 'http:';
  const res = await fetch(http, { headers: { authorization: `Bearer ${creds.token}` } });
  if (res.status === 426) return;
  let json: Record<string, unknown> = {};
  try {
    json = (await res.json()) as Record<string, unknown>;
  } catch {
    // not JSON
  }
  throw apiErrorOf(res.status, json);
}

/** Relays one local connection over its own hub WebSocket. */
function relay(creds: HubCredentials, url: URL, local: Socket, say: (s: string) => void): void {
  local.pause();
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${creds.token}` }, perMessageDeflate: false });
  ws.on('unexpected-response', (_req, res) => {
    void errorOf(res).then((err) => say(`error: ${err.message}\n`));
    local.destroy();
  });
  ws.on('error', (err) => {
    say(`error: ${err.message}\n`);
    local.destroy();
  });
  ws.on('open', () => local.resume());
  ws.on('message', (data, isBinary) => {
    const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    if (!isBinary) {
      const end = JSON.parse(buf.toString('utf8')) as PortForwardServerControl;
      if (end.reason === 'error' || end.reason === 'agent-lost')
        say(`error: ${end.message ?? `the connection ended (${end.reason})`}\n`);
      return;
    }
    if (!local.write(buf)) {
      ws.pause();
      local.once('drain', () => ws.resume());
    }
  });
  ws.on('close', () => local.end());
  local.on('data', (chunk: Buffer) => {
    if (ws.readyState !== WebSocket.OPEN) return;
    local.pause();
    for (let i = 0; i < chunk.length; i += PORTFWD_MAX_CHUNK) {
      const last = i + PORTFWD_MAX_CHUNK >= chunk.length;
      ws.send(chunk.subarray(i, i + PORTFWD_MAX_CHUNK), { binary: true }, last ? () => local.resume() : undefined);
    }
  });
  local.on('error', () => undefined);
  local.on('close', () => {
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(1000);
  });
}

function listen(server: Server, address: string, p: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new CliError('usage', `port-forward: cannot listen on ${address}:${p}: ${err.code ?? err.message}`)),
    );
    server.listen(p, address, () => {
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : p);
    });
  });
}

export function portForwardCommand(): Command {
  return withClusterOptions(
    new Command('port-forward')
      .description("forward local ports to a pod's ports through the hub, like kubectl port-forward")
      .argument('<pod>', 'pod name, or deploy/NAME, sts/NAME, ds/NAME, rs/NAME, job/NAME, cj/NAME, svc/NAME')
      .argument('<ports...>', 'LOCAL:REMOTE, :REMOTE (any free local port) or PORT (the same on both sides)')
      .option('-n, --namespace <ns>', 'namespace (default: $WHEELHOUSE_NAMESPACE or "default")')
      .option('--address <ip>', 'local address to listen on', '127.0.0.1'),
  ).action(async (spec: string, portSpecs: string[], o: PortForwardFlags) => {
    const mappings = portSpecs.map(parsePortMapping);
    const namespace = namespaceOf(o);
    const { creds, cluster } = await clusterContext(o);
    const say = (s: string): void => void process.stderr.write(s);
    const pod = await choosePod(creds, cluster, namespace, spec, say);
    const servers: Server[] = [];
    for (const m of mappings) {
      const url = new URL(portForwardPath(cluster, pod.namespace, pod.name, m.remote), creds.hub);
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
      // Refusals (permission, tier off, pod not running) before anything listens, as kubectl does.
      await preflight(creds, url);
      const server = createServer((socket) => {
        say(`Handling connection for ${m.local === 0 ? m.remote : m.local}\n`);
        relay(creds, url, socket, say);
      });
      const bound = await listen(server, o.address, m.local);
      servers.push(server);
      process.stdout.write(`Forwarding from ${o.address}:${bound} -> ${m.remote}\n`);
    }
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        for (const s of servers) s.close();
        resolve();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  });
}
