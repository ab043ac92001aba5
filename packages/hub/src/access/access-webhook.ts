// Notifications of access requests to a Slack-compatible incoming webhook:
// a JSON body {text}. Best effort: a slow or failing webhook is logged and
// never holds up or fails the request that caused it.
import type { FastifyBaseLogger } from 'fastify';

export function notifyWebhook(url: string, text: string, log: FastifyBaseLogger): void {
  void fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
    signal: AbortSignal.timeout(5_000),
  })
    .then((res) => {
      if (!res.ok) log.warn({ status: res.status }, 'access notification webhook answered an error');
    })
    .catch((err: unknown) => log.warn({ err }, 'access notification webhook failed'));
}
