// Link messages of the object view and the pod log viewer, and the UTF-8 chunking of log text.
import { describe, expect, it } from 'vitest';
import { allTierCombinations } from '../src/gen-helm-rbac.js';
import { AgentMessage, HubMessage, LOGS_MAX_CHUNK, isFastAgentText, splitUtf8 } from '../src/index.js';
import { agentRbacRules, permissionsOf } from '../src/rbac.js';

const ID = '6a1c6b0e-8f0e-4a57-9f6e-2f3c1d2b4a10';

describe('splitUtf8', () => {
  it('keeps every piece within the byte bound, never splits a character, and loses nothing', () => {
    const texts = [
      '',
      'a',
      'x'.repeat(100_000),
      'ü'.repeat(50_000),
      '😀'.repeat(40_000),
      `${'a'.repeat(65_535)}😀b`,
      'mixed ü € 😀 \n'.repeat(20_000),
    ];
    for (const text of texts) {
      const pieces = splitUtf8(text, LOGS_MAX_CHUNK);
      expect(pieces.join('')).toBe(text);
      for (const p of pieces) {
        expect(Buffer.byteLength(p, 'utf8')).toBeLessThanOrEqual(LOGS_MAX_CHUNK);
        expect(p.length).toBeGreaterThan(0);
        // No lone surrogate at either end: the piece round-trips through UTF-8.
        expect(Buffer.from(p, 'utf8').toString('utf8')).toBe(p);
      }
    }
    expect(splitUtf8('abcdef', 4)).toEqual(['abcd', 'ef']);
    expect(splitUtf8('ab😀', 4)).toEqual(['ab', '😀']);
  });
});

describe('object and logs link messages', () => {
  it('accepts the hub’s questions and refuses kinds outside the table (Secrets) and path-like names', () => {
    const get = {
      type: 'object.get',
      requestId: ID,
      kind: 'Deployment',
      namespace: 'demo',
      name: 'web',
      user: 'alice',
    };
    expect(HubMessage.safeParse(get).success).toBe(true);
    expect(HubMessage.safeParse({ ...get, kind: 'Node', namespace: '' }).success).toBe(true);
    expect(HubMessage.safeParse({ ...get, kind: 'Secret' }).success).toBe(false);
    expect(HubMessage.safeParse({ ...get, name: '../secrets/x' }).success).toBe(false);
    expect(HubMessage.safeParse({ ...get, namespace: 'a/b' }).success).toBe(false);
    const open = {
      type: 'logs.open',
      streamId: ID,
      namespace: 'demo',
      pod: 'web-0',
      container: 'app',
      follow: true,
      previous: false,
      timestamps: false,
      user: 'alice',
    };
    expect(HubMessage.safeParse(open).success).toBe(true);
    expect(HubMessage.safeParse({ ...open, tailLines: -1 }).success).toBe(false);
    expect(HubMessage.safeParse({ ...open, container: 'a?b' }).success).toBe(false);
    expect(HubMessage.safeParse({ type: 'logs.close', streamId: ID }).success).toBe(true);
  });

  it('accepts the agent’s answers; log text is bounded', () => {
    expect(
      AgentMessage.safeParse({
        type: 'object.result',
        requestId: ID,
        object: { kind: 'Deployment' },
        yaml: 'kind: Deployment\n',
      }).success,
    ).toBe(true);
    expect(
      AgentMessage.safeParse({
        type: 'object.result',
        requestId: ID,
        error: { status: 404, reason: 'NotFound', message: 'not found' },
      }).success,
    ).toBe(true);
    expect(AgentMessage.safeParse({ type: 'logs.data', streamId: ID, text: 'x'.repeat(LOGS_MAX_CHUNK) }).success).toBe(
      true,
    );
    expect(
      AgentMessage.safeParse({ type: 'logs.data', streamId: ID, text: 'x'.repeat(LOGS_MAX_CHUNK + 1) }).success,
    ).toBe(false);
    expect(AgentMessage.safeParse({ type: 'logs.end', streamId: ID, reason: 'eof' }).success).toBe(true);
    expect(AgentMessage.safeParse({ type: 'logs.end', streamId: ID, reason: 'whatever' }).success).toBe(false);
    expect(isFastAgentText(JSON.stringify({ type: 'logs.data', streamId: ID, text: 'x' }))).toBe(true);
    expect(isFastAgentText(JSON.stringify({ type: 'object.result', requestId: ID }))).toBe(true);
    expect(isFastAgentText(JSON.stringify({ type: 'timeline', events: [] }))).toBe(false);
  });
});

describe('agent RBAC for reads', () => {
  it('grants get on pods/log (and get on every readable kind) in every tier combination', () => {
    for (const t of allTierCombinations()) {
      const perms = permissionsOf(agentRbacRules(t)).map((p) => `${p.verb} ${p.apiGroup}/${p.resource}`);
      expect(perms).toContain('get /pods/log');
      expect(perms).toContain('get apps/deployments');
      expect(perms).toContain('get /nodes');
    }
  });
});
