// `wheelhouse shell join <session-id> [--observer|--peer]`: join someone's live
// pod shell (a shared shell, docs/shell.md) from a terminal. An observer gets
// the output only: stdin is not read at all, so nothing it types can reach the
// pod (and Ctrl-C stays a local signal that leaves). A peer types into the
// owner's exec in raw mode; Ctrl-] leaves, since Ctrl-C/Ctrl-D belong to the
// remote shell. Who is in the session, and a moderated namespace's holds, are
// shown on stderr as they change, so stdout stays the session's output.
import { Command, Option } from 'commander';
import WebSocket from 'ws';
import {
  CLIENT_MAX_FRAME_BYTES,
  shellJoinPath,
  type ShellJoinMode,
  type ShellParticipant,
  type ShellServerControl,
} from '@wheelhouse/protocol';
import { resolveCredentials, type HubCredentials } from '../api-client.js';
import { CliError, EXIT } from '../exit-codes.js';
import type { ShellIo } from './shell.js';
import { refusalOf } from './ws-refusal.js';

/** The key a peer presses to leave (telnet's escape): Ctrl-C and Ctrl-D go to the remote shell. */
export const LEAVE_KEY = 0x1d;

export interface JoinRequest {
  creds: HubCredentials;
  sessionId: string;
  mode: ShellJoinMode;
}

/** "alice (owner), bob (observer)" */
export function participantsLine(ps: readonly ShellParticipant[]): string {
  return ps.map((p) => `${p.user} (${p.role})`).join(', ');
}

/**
 * Joins the session and relays it until it ends or we leave. Exit code: 0 when
 * the session ended or we left, 1 when the hub dropped us (an error), 7 when the
 * hub cannot be reached, and the refusal's code when the join is refused.
 */
export function runJoin(req: JoinRequest, io: ShellIo): Promise<number> {
  const url = new URL(shellJoinPath(req.sessionId, req.mode), req.creds.hub);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const peer = req.mode === 'peer';
  const tty = io.stdin.isTTY && io.stdout.isTTY;
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${req.creds.token}` }, perMessageDeflate: false });
  // In raw mode the terminal needs \r\n; stderr notes start on a fresh line either way.
  const note = (text: string): void => void io.stderr.write(`\r\n[wheelhouse] ${text}\r\n`);

  return new Promise((resolve) => {
    let failed = false;
    let unreachable = false;
    let rawSet = false;
    let left = false;
    const onInput = (buf: Buffer): void => {
      if (ws.readyState !== WebSocket.OPEN) return;
      const leave = tty ? buf.indexOf(LEAVE_KEY) : -1;
      const send = leave >= 0 ? buf.subarray(0, leave) : buf;
      const max = CLIENT_MAX_FRAME_BYTES.shell;
      for (let i = 0; i < send.length; i += max) ws.send(send.subarray(i, i + max), { binary: true });
      if (leave >= 0) {
        left = true;
        ws.close(1000, 'left');
      }
    };
    const restore = (): void => {
      io.stdin.off('data', onInput);
      if (rawSet) io.stdin.setRawMode(false);
      rawSet = false;
      io.stdin.pause();
    };
    const finish = (code: number): void => {
      process.off('exit', restore);
      restore();
      resolve(code);
    };
    process.once('exit', restore);

    ws.on('unexpected-response', (_r, res) => {
      void refusalOf(res).then(({ message, exitCode }) => {
        io.stderr.write(`error: ${message}\n`);
        finish(exitCode);
      });
    });
    ws.on('error', (err) => {
      io.stderr.write(`error: cannot reach the hub at ${req.creds.hub}: ${err.message}\n`);
      unreachable = true;
    });
    ws.on('open', () => {
      // An observer never reads stdin: its keys stay local (the hub would refuse them anyway).
      if (!peer) return;
      if (tty) {
        io.stdin.setRawMode(true);
        rawSet = true;
      }
      io.stdin.on('data', onInput);
      io.stdin.resume();
    });
    ws.on('message', (data, isBinary) => {
      const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      if (isBinary) {
        if (!io.stdout.write(buf)) {
          ws.pause();
          io.stdout.once('drain', () => ws.resume());
        }
        return;
      }
      let msg: ShellServerControl;
      try {
        msg = JSON.parse(buf.toString('utf8')) as ShellServerControl;
      } catch {
        return;
      }
      switch (msg.type) {
        case 'joined':
          note(
            `joined ${msg.owner}'s shell in ${msg.cluster}/${msg.namespace}/${msg.pod} (${msg.container}) as ${msg.role}: ` +
              (msg.role === 'observer'
                ? 'output only, what you type is not sent; Ctrl-C leaves'
                : tty
                  ? 'what you type runs in the session; Ctrl-] leaves'
                  : 'what you type runs in the session'),
          );
          return;
        case 'participants':
          note(`in the session: ${participantsLine(msg.participants)}`);
          return;
        case 'moderation':
          note(msg.message);
          return;
        case 'error':
          // "fell too far behind" ends our part; an observer's refused input cannot happen (we send none).
          failed = true;
          note(`error: ${msg.message}`);
          return;
        case 'exit':
          note(`the session's command exited with code ${msg.code}`);
          return;
        case 'closed':
          note(
            `the session ended${msg.reason !== 'closed' ? ` (${msg.reason})` : ''}${msg.message ? `: ${msg.message}` : ''}`,
          );
          return;
        default:
          return;
      }
    });
    ws.on('close', () => {
      if (left) note('you left the session');
      finish(unreachable ? EXIT.unavailable : failed ? EXIT.failure : EXIT.ok);
    });
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The session id of an id or of the console's invite link (https://hub/join/<id>); a usage error naming the argument otherwise. */
export function sessionIdOf(given: string): string {
  // The hub checks the id too; checking here spares a round trip and names the argument.
  const id = given.replace(/\/+$/, '').split('/').pop() ?? '';
  if (!UUID.test(id) || (id !== given && !/\/join\/[^/]+\/?$/.test(given)))
    throw new CliError(
      'usage',
      `session-id "${given}" is neither a session id (a UUID) nor an invite link (…/join/<id>)`,
    );
  return id.toLowerCase();
}

export function shellJoinCommand(): Command {
  return new Command('join')
    .description(
      "join someone's live pod shell: --observer (default) sees the output only, --peer types too (needs pod:exec on its namespace)",
    )
    .argument('<session-id>', "the session's id, or its invite link (…/join/<id>) from the console's shell dock")
    .addOption(new Option('--observer', 'output only: what you type is not sent (default)').conflicts('peer'))
    .addOption(new Option('--peer', "type into the session too (as the owner's exec); Ctrl-] leaves"))
    .option('--hub <url>', 'hub URL (default: $WHEELHOUSE_HUB_URL or `wheelhouse login`)')
    .option('--api-token <token>', 'API token (default: $WHEELHOUSE_API_TOKEN or `wheelhouse login`)')
    .action(async (given: string, o: { observer?: boolean; peer?: boolean; hub?: string; apiToken?: string }) => {
      const sessionId = sessionIdOf(given);
      const creds = resolveCredentials(o);
      process.exitCode = await runJoin(
        { creds, sessionId, mode: o.peer ? 'peer' : 'observer' },
        { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
      );
    });
}
