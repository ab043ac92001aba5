// A real HTTP server standing in for a Slack/webhook endpoint: it records every
// POST (path and parsed JSON body) and answers with the status the test sets.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedPost {
  path: string;
  body: unknown;
  at: number;
}

export interface WebhookReceiver {
  url: string;
  posts: ReceivedPost[];
  /** The status every POST is answered with from now on (default 200). */
  answer(status: number): void;
  /** The next n POSTs get `status`, then the answer set before. */
  failNext(n: number, status: number): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(port = 0): Promise<WebhookReceiver> {
  const posts: ReceivedPost[] = [];
  let status = 200;
  let failing = { n: 0, status: 500 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // kept as text
      }
      posts.push({ path: req.url ?? '', body, at: Date.now() });
      const answer = failing.n-- > 0 ? failing.status : status;
      res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer < 300 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    posts,
    answer: (s) => (status = s),
    failNext: (n, s) => (failing = { n, status: s }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
