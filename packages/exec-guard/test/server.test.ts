// The webhook endpoints without a cluster: decisions, error answers and
// fuzzing of AdmissionReview bodies (malformed JSON, wrong kinds, missing
// fields, huge payloads) → 400, no crash, nothing recorded.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCert } from '../src/certs.js';
import { Journal, type JournalEntry } from '../src/journal.js';
import {
  EXTENSION_REQUEST_ANNOTATION,
  INTERACTION_TIMESTAMP_LABEL,
  TERMINATION_TIME_ANNOTATION,
  TTL_LABEL,
} from '../src/labels.js';
import { createMetrics, type Metrics } from '../src/metrics.js';
import { CONNECT_BODY_LIMIT, CONNECT_PATH, PODS_PATH, buildServer } from '../src/server.js';
import { connectReview, postReview, type Answer } from './reviews.js';

function pod(labels: Record<string, string>, annotations: Record<string, string> = {}): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-1', namespace: 'shop', uid: 'u-1', labels, annotations },
    spec: { containers: [] },
  };
}

export function updateReview(oldObject: unknown, object: unknown, username = 'bob'): unknown {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'u-42',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      name: 'web-1',
      namespace: 'shop',
      operation: 'UPDATE',
      userInfo: { username, groups: ['devs'] },
      object,
      oldObject,
    },
  };
}

const interacted = { [INTERACTION_TIMESTAMP_LABEL]: '1700000000', [TTL_LABEL]: '10m0s' };

describe('webhook endpoints', () => {
  let app: FastifyInstance;
  let dir: string;
  let journal: Journal;
  let metrics: Metrics;
  const recorded: JournalEntry[] = [];
  let failRecording = false;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eg-server-'));
    ({ journal } = await Journal.open({ dir }));
    metrics = createMetrics();
    const cert = await selfSignedCert([]);
    app = await buildServer({
      key: cert.key,
      cert: cert.cert,
      allowlist: new Set(['kube-system']),
      portForward: false,
      metrics,
      log: pino({ level: 'silent' }),
      selfUsernames: () => new Set(['system:serviceaccount:wheelhouse:exec-guard']),
      ready: () => true,
      record: async (e) => {
        if (failRecording) throw new Error('disk full');
        await journal.append(e);
        recorded.push(e);
      },
    });
  });

  afterAll(async () => {
    await app.close();
    await journal.close();
    await rm(dir, { recursive: true, force: true });
  });

  const post = (url: string, payload: unknown): Promise<Answer> => postReview(app, url, payload);

  it('allows an exec after recording it durably, with user, groups, container and command', async () => {
    const before = recorded.length;
    const r = await post(CONNECT_PATH, connectReview());
    expect(r.status).toBe(200);
    expect(r.body.response).toEqual({ uid: 'c0ffee', allowed: true });
    expect(recorded.length).toBe(before + 1);
    expect(recorded.at(-1)).toMatchObject({
      kind: 'interaction',
      namespace: 'shop',
      pod: 'web-1',
      operation: 'exec',
      container: 'app',
      command: ['sh'],
      tty: true,
      stdin: true,
      user: 'alice@example.com',
      groups: ['devs', 'system:authenticated'],
    });
    const { pending } = await journal.scan();
    expect(pending.map((e) => e.id)).toContain(recorded.at(-1)?.id);
  });

  it('names the person behind a Wheelhouse shell from the on-behalf-of extra, beside the Kubernetes user', async () => {
    const agent = 'system:serviceaccount:wheelhouse:agent';
    const r = await post(
      CONNECT_PATH,
      connectReview({
        userInfo: { username: agent, extra: { 'wheelhouse.dev/on-behalf-of': ['alice'], other: ['x'] } },
      }),
    );
    expect(r.body.response?.allowed).toBe(true);
    expect(recorded.at(-1)).toMatchObject({
      user: `alice via Wheelhouse (agent ${agent})`,
      onBehalfOf: 'alice',
    });
    // Anything but exactly one person is not a claim: the Kubernetes user alone.
    for (const extra of [{ 'wheelhouse.dev/on-behalf-of': ['a', 'b'] }, { 'wheelhouse.dev/on-behalf-of': [''] }, {}]) {
      await post(CONNECT_PATH, connectReview({ userInfo: { username: agent, extra } }));
      expect(recorded.at(-1)).toMatchObject({ user: agent });
      expect(recorded.at(-1)).not.toHaveProperty('onBehalfOf');
    }
  });

  it('records attach; ignores allowlisted namespaces and port-forward unless enabled', async () => {
    const before = recorded.length;
    expect(
      (
        await post(
          CONNECT_PATH,
          connectReview({ subResource: 'attach' }, { kind: 'PodAttachOptions', container: 'app' }),
        )
      ).body.response?.allowed,
    ).toBe(true);
    expect(recorded.at(-1)?.kind === 'interaction' && recorded.at(-1)).toMatchObject({ operation: 'attach' });
    expect((await post(CONNECT_PATH, connectReview({ namespace: 'kube-system' }))).body.response?.allowed).toBe(true);
    expect(
      (
        await post(
          CONNECT_PATH,
          connectReview({ subResource: 'portforward' }, { kind: 'PodPortForwardOptions', ports: [80] }),
        )
      ).body.response?.allowed,
    ).toBe(true);
    expect(recorded.length).toBe(before + 1);
  });

  it('bounds the recorded command', async () => {
    await post(CONNECT_PATH, connectReview({}, { kind: 'PodExecOptions', command: ['sh', '-c', 'x'.repeat(100_000)] }));
    const e = recorded.at(-1);
    expect(e?.kind === 'interaction' && e.commandTruncated).toBe(true);
    expect(JSON.stringify(e).length).toBeLessThan(6000);
  });

  it('answers 500 when the interaction cannot be made durable, so the failurePolicy decides', async () => {
    failRecording = true;
    try {
      const r = await post(CONNECT_PATH, connectReview());
      expect(r.status).toBe(500);
      expect(r.body.message).toContain('could not record the interaction durably: disk full');
    } finally {
      failRecording = false;
    }
  });

  it('denies changing or removing protected labels, naming them', async () => {
    const r = await post(PODS_PATH, updateReview(pod(interacted), pod({ ...interacted, [TTL_LABEL]: '1h0m0s' })));
    expect(r.body.response?.allowed).toBe(false);
    expect(r.body.response?.status?.code).toBe(403);
    expect(r.body.response?.status?.message).toContain(`the label ${TTL_LABEL} cannot be changed or removed once set`);
    const both = await post(PODS_PATH, updateReview(pod(interacted), pod({})));
    expect(both.body.response?.status?.message).toContain(
      `the labels ${INTERACTION_TIMESTAMP_LABEL}, ${TTL_LABEL} cannot`,
    );
  });

  it('lets only exec guard itself change its annotations', async () => {
    const old = pod(interacted, { [TERMINATION_TIME_ANNOTATION]: '2030-01-01T00:00:00Z' });
    const moved = pod(interacted, { [TERMINATION_TIME_ANNOTATION]: '2099-01-01T00:00:00Z' });
    const r = await post(PODS_PATH, updateReview(old, moved, 'mallory'));
    expect(r.body.response?.allowed).toBe(false);
    expect(r.body.response?.status?.message).toContain(
      `${TERMINATION_TIME_ANNOTATION} can only be changed by exec guard`,
    );
    expect(
      (await post(PODS_PATH, updateReview(old, moved, 'system:serviceaccount:wheelhouse:exec-guard'))).body.response
        ?.allowed,
    ).toBe(true);
  });

  it('records a valid extension request with its requester; denies an invalid duration clearly', async () => {
    const before = recorded.length;
    const ok = await post(
      PODS_PATH,
      updateReview(pod(interacted), pod(interacted, { [EXTENSION_REQUEST_ANNOTATION]: '1h30m' }), 'carol'),
    );
    expect(ok.body.response?.allowed).toBe(true);
    expect(recorded.at(-1)).toMatchObject({
      kind: 'extension',
      duration: '1h30m',
      requester: 'carol',
      podUid: 'u-1',
      pod: 'web-1',
    });
    for (const bad of ['soon', '5 minutes', '-5m', '0s', '1d']) {
      const r = await post(
        PODS_PATH,
        updateReview(pod(interacted), pod(interacted, { [EXTENSION_REQUEST_ANNOTATION]: bad })),
      );
      expect(r.body.response?.allowed, bad).toBe(false);
      expect(r.body.response?.status?.message).toContain(`annotation ${EXTENSION_REQUEST_ANNOTATION}:`);
    }
    const notInteracted = await post(
      PODS_PATH,
      updateReview(pod({}), pod({}, { [EXTENSION_REQUEST_ANNOTATION]: '5m' })),
    );
    expect(notInteracted.body.response?.status?.message).toContain('has not been interacted with');
    expect(recorded.length).toBe(before + 1);
    // Unrelated updates pass.
    expect(
      (await post(PODS_PATH, updateReview(pod(interacted), pod({ ...interacted, team: 'x' })))).body.response?.allowed,
    ).toBe(true);
  });

  it('observes webhook latency per hook', async () => {
    await post(CONNECT_PATH, connectReview());
    const h = await metrics.webhookLatency.get();
    expect(h.values.some((v) => v.labels.hook === 'connect' && v.metricName?.endsWith('_count') && v.value > 0)).toBe(
      true,
    );
  });

  describe('malformed input → 400, nothing recorded, server keeps serving', () => {
    const expect400 = async (url: string, payload: string): Promise<void> => {
      const before = recorded.length;
      const r = await app.inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/json' } });
      expect(r.statusCode, payload.slice(0, 200)).toBe(400);
      expect(r.json<{ message: string }>().message.length).toBeGreaterThan(0);
      expect(recorded.length).toBe(before);
    };

    it('names the offending field', async () => {
      const r = await post(CONNECT_PATH, connectReview({ userInfo: {} }));
      expect(r.status).toBe(400);
      expect(r.body.message).toBe(
        'invalid AdmissionReview: request.userInfo.username: Invalid input: expected string, received undefined',
      );
      expect((await post(CONNECT_PATH, '{"apiVersion":')).body.message).toMatch(/^malformed JSON/);
      expect((await post(CONNECT_PATH, connectReview({ operation: 'UPDATE' }))).body.message).toContain(
        'request.operation',
      );
      expect((await post(PODS_PATH, connectReview())).status).toBe(400);
    });

    it('rejects payloads over the limit', async () => {
      const huge = JSON.stringify(
        connectReview({}, { kind: 'PodExecOptions', command: ['x'.repeat(CONNECT_BODY_LIMIT)] }),
      );
      const r = await app.inject({
        method: 'POST',
        url: CONNECT_PATH,
        payload: huge,
        headers: { 'content-type': 'application/json' },
      });
      expect(r.statusCode).toBe(400);
      expect(r.json<{ message: string }>().message).toBe(`AdmissionReview body exceeds ${CONNECT_BODY_LIMIT} bytes`);
    });

    it('fuzz: arbitrary strings', async () => {
      await fc.assert(
        fc.asyncProperty(fc.string({ maxLength: 2000 }), fc.constantFrom(CONNECT_PATH, PODS_PATH), async (s, url) => {
          let valid = true;
          try {
            JSON.parse(s);
          } catch {
            valid = false;
          }
          fc.pre(!valid || !s.includes('AdmissionReview'));
          await expect400(url, s);
        }),
        { numRuns: 150 },
      );
    });

    it('fuzz: arbitrary JSON values and reviews with fields removed, retyped or replaced', async () => {
      const paths = [
        ['apiVersion'],
        ['kind'],
        ['request'],
        ['request', 'uid'],
        ['request', 'name'],
        ['request', 'namespace'],
        ['request', 'operation'],
        ['request', 'subResource'],
        ['request', 'resource'],
        ['request', 'userInfo'],
        ['request', 'userInfo', 'username'],
        ['request', 'userInfo', 'groups'],
        ['request', 'object', 'command'],
      ];
      const breakReview = fc.record({
        path: fc.constantFrom(...paths),
        value: fc.oneof(
          fc.constant(undefined),
          fc.constant(null),
          fc.integer(),
          fc.boolean(),
          fc.array(fc.integer(), { maxLength: 3 }),
          fc.constant(''),
          fc.constant({}),
        ),
      });
      await fc.assert(
        fc.asyncProperty(breakReview, async ({ path, value }) => {
          const review = connectReview() as Record<string, unknown>;
          let node = review;
          for (const k of path.slice(0, -1)) node = node[k] as Record<string, unknown>;
          const last = path.at(-1) ?? '';
          if (value === undefined) {
            // Removing optional fields is fine; only required ones must fail.
            if (last === 'groups' || last === 'command') return;
            node[last] = undefined;
          } else {
            node[last] = value;
          }
          // An empty list is a well-formed value for these (no groups; no command recorded).
          if ((last === 'groups' || last === 'command') && Array.isArray(value) && value.length === 0) return;
          await expect400(CONNECT_PATH, JSON.stringify(review));
        }),
        { numRuns: 200 },
      );
      await fc.assert(
        fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), fc.constantFrom(CONNECT_PATH, PODS_PATH), async (v, url) => {
          await expect400(url, JSON.stringify(v));
        }),
        { numRuns: 200 },
      );
    });

    it('fuzz: wrong kinds and operations for each hook', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('AdmissionReview', 'Pod', 'Status', ''),
          fc.constantFrom('admission.k8s.io/v1', 'admission.k8s.io/v1beta1', 'v1'),
          fc.constantFrom('CREATE', 'UPDATE', 'DELETE', 'CONNECT', 'PATCH'),
          fc.constantFrom('exec', 'attach', 'log', 'status', ''),
          async (kind, apiVersion, operation, subResource) => {
            fc.pre(
              !(
                kind === 'AdmissionReview' &&
                apiVersion === 'admission.k8s.io/v1' &&
                operation === 'CONNECT' &&
                ['exec', 'attach'].includes(subResource)
              ),
            );
            const review = connectReview({ operation, subResource }) as Record<string, unknown>;
            review.kind = kind;
            review.apiVersion = apiVersion;
            await expect400(CONNECT_PATH, JSON.stringify(review));
          },
        ),
        { numRuns: 120 },
      );
    });

    it('still serves valid reviews after the fuzzing', async () => {
      expect((await post(CONNECT_PATH, connectReview())).body.response?.allowed).toBe(true);
    });
  });
});
