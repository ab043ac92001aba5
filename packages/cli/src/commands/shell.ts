// `wheelhouse shell <pod> -n <ns> [-c <container>] [--cluster C] [-- command…]`:
// a terminal into a container through the hub (authorized, audited, recorded
// there). Raw TTY while connected, resize on SIGWINCH, the terminal restored
// on every way out, and the remote command's exit code as ours.
import { Command } from 'commander';
import WebSocket from 'ws';
import { CLIENT_MAX_FRAME_BYTES, nodeShellPath, shellPath } from '@wheelhouse/protocol';
import { EXIT } from '../exit-codes.js';
import { callApi, resolveCredentials, type HubCredentials } from '../api-client.js';
import { shellJoinCommand } from './shell-join.js';
import { refusalOf } from './ws-refusal.js';

export interface ShellIo {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

export interface ShellRequest {
  creds: HubCredentials;
  cluster: string;
  namespace: string;
  pod: string;
  container?: string;
  command: string[];
  /** A node shell on this node (namespace, pod, container and command unused): `wheelhouse node-shell`. */
  node?: string;
}

export async function pickCluster(creds: HubCredentials, flag?: string): Promise<string> {
  const named = flag ?? process.env.WHEELHOUSE_CLUSTER;
  if (named) return named;
  const { items } = await callApi<{ items: { name: string }[] }>(creds, 'GET', '/api/v1/clusters');
  if (items.length === 1 && items[0]) return items[0].name;
  throw new Error(
    items.length === 0
      ? 'the hub has no clusters you can see'
      : `several clusters (${items.map((c) => c.name).join(', ')}): pick one with --cluster`,
  );
}

/** Opens the session and relays the terminal; resolves with the exit code to use. */
export function runShell(req: ShellRequest, io: ShellIo): Promise<number> {
  const url = new URL(
    req.node !== undefined ? nodeShellPath(req.cluster, req.node) : shellPath(req.cluster, req.namespace, req.pod),
    req.creds.hub,
  );
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  if (req.container) url.searchParams.set('container', req.container);
  for (const c of req.command) url.searchParams.append('command', c);
  const tty = io.stdin.isTTY && io.stdout.isTTY;
  if (io.stdout.isTTY) {
    url.searchParams.set('cols', String(io.stdout.columns || 80));
    url.searchParams.set('rows', String(io.stdout.rows || 24));
  }
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${req.creds.token}` }, perMessageDeflate: false });

  return new Promise((resolve) => {
    let exitCode: number | null = null;
    let failed = false;
    let unreachable = false;
    let rawSet = false;
    const onInput = (buf: Buffer): void => {
      if (ws.readyState !== WebSocket.OPEN) return;
      // The hub takes input frames of at most CLIENT_MAX_FRAME_BYTES.shell.
      const max = CLIENT_MAX_FRAME_BYTES.shell;
      for (let i = 0; i < buf.length; i += max) ws.send(buf.subarray(i, i + max), { binary: true });
      // Local backpressure: stop reading the keyboard/pipe while the socket is backed up.
      if (ws.bufferedAmount > 1024 * 1024) {
        io.stdin.pause();
        const wait = setInterval(() => {
          if (ws.bufferedAmount < 256 * 1024 || ws.readyState !== WebSocket.OPEN) {
            clearInterval(wait);
            io.stdin.resume();
          }
        }, 20);
      }
    };
    const onResize = (): void => {
      if (ws.readyState === WebSocket.OPEN)
        ws.send(JSON.stringify({ type: 'resize', cols: io.stdout.columns || 80, rows: io.stdout.rows || 24 }));
    };
    const restore = (): void => {
      io.stdin.off('data', onInput);
      process.off('SIGWINCH', onResize);
      if (rawSet) io.stdin.setRawMode(false);
      rawSet = false;
      io.stdin.pause();
    };
    const finish = (code: number): void => {
      process.off('exit', restore);
      restore();
      resolve(code);
    };
    // The terminal comes back even when we die of an exception.
    process.once('exit', restore);

    ws.on('unexpected-response', (_r, res) => {
      void refusalOf(res).then(({ message, exitCode }) => {
        io.stderr.write(`error: ${message}\n`);
        // Refused before connecting: the exit code says why, as for every command (docs/cli.md).
        finish(exitCode);
      });
    });
    ws.on('error', (err) => {
      io.stderr.write(`error: cannot reach the hub at ${req.creds.hub}: ${err.message}\n`);
      unreachable = true;
    });
    ws.on('open', () => {
      if (tty) {
        io.stdin.setRawMode(true);
        rawSet = true;
        process.on('SIGWINCH', onResize);
      }
      io.stdin.on('data', onInput);
      io.stdin.resume();
    });
    ws.on('message', (data, isBinary) => {
      const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      if (isBinary) {
        // Remote backpressure: a full stdout stops our reading, and so the hub's credit, and so the exec.
        if (!io.stdout.write(buf)) {
          ws.pause();
          io.stdout.once('drain', () => ws.resume());
        }
        return;
      }
      let msg: { type?: string; code?: number; message?: string; reason?: string };
      try {
        msg = JSON.parse(buf.toString('utf8')) as typeof msg;
      } catch {
        return;
      }
      if (msg.type === 'exit' && typeof msg.code === 'number') exitCode = msg.code;
      else if (msg.type === 'error') {
        failed = true;
        io.stderr.write(`\r\nwheelhouse shell: ${msg.message ?? 'error'}\r\n`);
      } else if (msg.type === 'closed' && msg.reason !== 'closed') {
        io.stderr.write(
          `\r\nwheelhouse shell: session closed (${msg.reason ?? '?'})${msg.message ? `: ${msg.message}` : ''}\r\n`,
        );
        if (msg.reason === 'idle') failed = true;
      }
    });
    ws.on('close', () => finish(exitCode ?? (unreachable ? EXIT.unavailable : failed ? 1 : 0)));
    io.stdin.on('end', () => {
      // Piped input ended: the remote side is a TTY, where end of input is Ctrl-D.
      if (!tty && ws.readyState === WebSocket.OPEN) ws.send(Buffer.from([4]), { binary: true });
    });
  });
}

export function shellCommand(): Command {
  return new Command('shell')
    .addCommand(shellJoinCommand())
    .description(
      'open a shell in a pod through the hub (authorized, audited and recorded there), like kubectl exec -it',
    )
    .argument('<pod>', 'pod name')
    .argument('[command...]', 'command to run (after --); default: bash, else sh')
    .option('-n, --namespace <ns>', 'namespace of the pod', 'default')
    .option('-c, --container <name>', 'container (required when the pod has several)')
    .option('--cluster <name>', 'cluster (default: $WHEELHOUSE_CLUSTER, or the only one you can see)')
    .option('--hub <url>', 'hub URL (default: $WHEELHOUSE_HUB_URL or `wheelhouse login`)')
    .option('--api-token <token>', 'API token (default: $WHEELHOUSE_API_TOKEN or `wheelhouse login`)')
    .action(
      async (
        pod: string,
        command: string[],
        o: { namespace: string; container?: string; cluster?: string; hub?: string; apiToken?: string },
      ) => {
        const creds = resolveCredentials(o);
        const cluster = await pickCluster(creds, o.cluster);
        const code = await runShell(
          { creds, cluster, namespace: o.namespace, pod, command, ...(o.container ? { container: o.container } : {}) },
          { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
        );
        process.exitCode = code;
      },
    );
}

export function nodeShellCommand(): Command {
  return new Command('node-shell')
    .description(
      "open a root shell on a node through the hub: the cluster's agent runs a short-lived privileged pod there and removes it when the shell ends (needs node:shell and the cluster's nodeShell tier)",
    )
    .argument('<node>', 'node name')
    .option('--cluster <name>', 'cluster (default: $WHEELHOUSE_CLUSTER, or the only one you can see)')
    .option('--hub <url>', 'hub URL (default: $WHEELHOUSE_HUB_URL or `wheelhouse login`)')
    .option('--api-token <token>', 'API token (default: $WHEELHOUSE_API_TOKEN or `wheelhouse login`)')
    .action(async (node: string, o: { cluster?: string; hub?: string; apiToken?: string }) => {
      const creds = resolveCredentials(o);
      const cluster = await pickCluster(creds, o.cluster);
      const code = await runShell(
        { creds, cluster, namespace: '', pod: '', command: [], node },
        { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
      );
      process.exitCode = code;
    });
}
