// AdmissionReviews as the API server sends them, and a way to post them to the
// webhook server in-process (Fastify inject), for the tests that need no cluster.
import type { FastifyInstance } from 'fastify';

/** A CONNECT pods/exec review: alice@example.com opens a shell in shop/web-1; `over` replaces request fields. */
export function connectReview(
  over: Record<string, unknown> = {},
  object: unknown = { kind: 'PodExecOptions', container: 'app', command: ['sh'], stdin: true, tty: true },
): unknown {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'c0ffee',
      kind: { group: '', version: 'v1', kind: 'PodExecOptions' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      subResource: 'exec',
      name: 'web-1',
      namespace: 'shop',
      operation: 'CONNECT',
      userInfo: { username: 'alice@example.com', groups: ['devs', 'system:authenticated'] },
      object,
      ...over,
    },
  };
}

/** What the webhook server answered: the HTTP status and the AdmissionReview (or error) body. */
export interface Answer {
  status: number;
  body: {
    response?: { uid: string; allowed: boolean; status?: { code: number; message: string } };
    message?: string;
  };
}

/** POSTs a review (a string is sent as is, for malformed bodies) to the server without a socket. */
export async function postReview(app: FastifyInstance, url: string, payload: unknown): Promise<Answer> {
  const r = await app.inject({
    method: 'POST',
    url,
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    headers: { 'content-type': 'application/json' },
  });
  return { status: r.statusCode, body: r.json() };
}
