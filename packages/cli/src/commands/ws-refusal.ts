// A WebSocket upgrade the hub refused (shell, join, port-forward): the hub's
// error body read the same way every command reads one.
import type { IncomingMessage } from 'node:http';
import { messageOf, recordOf } from '@wheelhouse/protocol';
import { exitCodeOfApiError } from '../exit-codes.js';

/** The hub's refusal of a WebSocket upgrade: its message, and the exit code its error code maps to. */
export function refusalOf(res: IncomingMessage): Promise<{ message: string; exitCode: number }> {
  return new Promise((resolve) => {
    let body = '';
    res.on('data', (c: Buffer) => (body += c.toString()));
    res.on('end', () => {
      let message = body;
      let code = '';
      try {
        const json = recordOf(JSON.parse(body));
        message = messageOf(json) ?? body;
        code = typeof json.error === 'string' ? json.error : '';
      } catch {
        // not JSON: print as is
      }
      resolve({
        message: message || `HTTP ${res.statusCode ?? '?'}`,
        exitCode: exitCodeOfApiError(res.statusCode ?? 0, code),
      });
    });
  });
}
