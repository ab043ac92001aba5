import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { z } from 'zod';
import { ACTIONS, actionList } from '../src/actions/catalog.js';
import type { ActionDeclaration, PermissionRule } from '../src/actions/declaration.js';
import { parseManifest } from '../src/actions/manifest.js';
import { RESOURCE_KINDS, isResourceKind } from '../src/kinds.js';

/** One rule per resource, verbs merged and sorted (the shape a ClusterRole renders). */
function permissionsFor(actions: readonly ActionDeclaration[]): PermissionRule[] {
  const merged = new Map<string, Set<string>>();
  for (const a of actions)
    for (const r of a.permissions)
      for (const v of r.verbs)
        merged.set(`${r.apiGroup} ${r.resource}`, (merged.get(`${r.apiGroup} ${r.resource}`) ?? new Set()).add(v));
  return [...merged]
    .map(([key, verbs]) => ({
      apiGroup: key.split(' ')[0] ?? '',
      resource: key.split(' ')[1] ?? '',
      verbs: [...verbs].sort(),
    }))
    .sort((a, b) => a.apiGroup.localeCompare(b.apiGroup) || a.resource.localeCompare(b.resource));
}

describe('action catalog', () => {
  it('declares every action of issue 4 with its tier', () => {
    const tiers = Object.fromEntries(actionList().map((a) => [a.id, a.tier]));
    expect(tiers).toMatchObject({
      scale: 'basic',
      restart: 'basic',
      rollback: 'basic',
      'delete-pod': 'basic',
      'trigger-job': 'basic',
      'suspend-cronjob': 'basic',
      'resume-cronjob': 'basic',
      'force-delete-pod': 'advanced',
      cordon: 'advanced',
      uncordon: 'advanced',
      drain: 'advanced',
      apply: 'advanced',
      delete: 'advanced',
    });
    for (const [key, a] of Object.entries(ACTIONS)) {
      expect(a.id).toBe(key);
      for (const k of a.targetKinds) expect(isResourceKind(k), `${a.id}: ${k}`).toBe(true);
      // Writes only — reads are the read-only role's — except ControllerRevisions, which it does not watch.
      for (const r of a.permissions) {
        for (const v of r.verbs)
          expect(
            r.resource === 'controllerrevisions' ? ['list'] : ['create', 'patch', 'update', 'delete'],
            `${a.id} ${r.resource}`,
          ).toContain(v);
      }
    }
  });

  it('merges the permissions of a tier into one rule per resource (what the chart renders)', () => {
    const basic = permissionsFor(actionList().filter((a) => a.tier === 'basic'));
    expect(basic).toEqual([
      { apiGroup: '', resource: 'pods', verbs: ['delete'] },
      { apiGroup: 'apps', resource: 'controllerrevisions', verbs: ['list'] },
      { apiGroup: 'apps', resource: 'daemonsets', verbs: ['patch'] },
      { apiGroup: 'apps', resource: 'deployments', verbs: ['patch'] },
      { apiGroup: 'apps', resource: 'deployments/scale', verbs: ['patch'] },
      { apiGroup: 'apps', resource: 'replicasets', verbs: ['patch'] },
      { apiGroup: 'apps', resource: 'replicasets/scale', verbs: ['patch'] },
      { apiGroup: 'apps', resource: 'statefulsets', verbs: ['patch'] },
      { apiGroup: 'apps', resource: 'statefulsets/scale', verbs: ['patch'] },
      { apiGroup: 'batch', resource: 'cronjobs', verbs: ['patch'] },
      { apiGroup: 'batch', resource: 'jobs', verbs: ['create'] },
    ]);
    const advanced = permissionsFor(actionList().filter((a) => a.tier === 'advanced'));
    expect(advanced).toContainEqual({ apiGroup: '', resource: 'pods/eviction', verbs: ['create'] });
    expect(advanced).toContainEqual({ apiGroup: '', resource: 'nodes', verbs: ['patch'] });
    expect(advanced).toContainEqual({
      apiGroup: 'apps',
      resource: 'deployments',
      verbs: ['create', 'delete', 'patch'],
    });
  });

  it('renders every params schema as JSON Schema (the hub catalog endpoint, UI forms, CLI flags)', () => {
    for (const a of actionList()) expect(() => z.toJSONSchema(a.params), a.id).not.toThrow();
    expect(z.toJSONSchema(ACTIONS.scale.params)).toMatchObject({
      properties: { replicas: { type: 'integer', minimum: 0 } },
    });
  });

  it('validates params precisely', () => {
    expect(ACTIONS.scale.params.safeParse({ replicas: -1 }).error?.issues[0]).toMatchObject({
      path: ['replicas'],
      message: 'must be 0 or more',
    });
    expect(ACTIONS.scale.params.safeParse({ replicas: 0 }).data).toEqual({ replicas: 0, timeoutSeconds: 120 });
    expect(ACTIONS.drain.params.safeParse({ timeoutSeconds: 0 }).error?.issues[0]?.path).toEqual(['timeoutSeconds']);
    expect(ACTIONS['delete-pod'].params.safeParse({ gracePeriodSeconds: 0 }).error?.issues[0]?.message).toContain(
      'force-delete-pod',
    );
    expect(ACTIONS.rollback.params.safeParse({ toRevision: 0 }).success).toBe(false);
    expect(ACTIONS.delete.params.safeParse({}).data).toEqual({ propagationPolicy: 'Background', timeoutSeconds: 120 });
  });
});

describe('manifest parsing', () => {
  const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  a: "1"\n`;

  it('reads several YAML documents and JSON, ignoring empty ones', () => {
    const r = parseManifest(
      `---\n${cm('a')}---\n---\n${JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'n' } })}\n`,
    );
    expect(r.ok && r.objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['ConfigMap/a', 'Deployment/d']);
  });

  it('names every invalid document by position', () => {
    const r = parseManifest(
      `${cm('a')}---\nkind: [\n---\n${cm('B')}---\napiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n`,
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors[0]).toMatch(/^document 2: invalid YAML/);
    expect(r.errors[1]).toMatch(/^document 3: metadata.name must be a Kubernetes object name/);
    expect(r.errors[2]).toMatch(/^document 4: kind Namespace cannot be applied/);
  });

  it('refuses duplicates, generateName, a wrong apiVersion and an empty manifest', () => {
    expect(parseManifest(`${cm('a')}---\n${cm('a')}`)).toEqual({
      ok: false,
      errors: ['document 2: ConfigMap a appears twice'],
    });
    expect(parseManifest('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: x-\n')).toMatchObject({
      ok: false,
    });
    expect(parseManifest('apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata:\n  name: d\n')).toEqual({
      ok: false,
      errors: ['document 1: apiVersion of a Deployment must be apps/v1, got "extensions/v1beta1"'],
    });
    expect(parseManifest('\n---\n')).toEqual({ ok: false, errors: ['contains no document'] });
  });

  it('never throws, whatever the text', () => {
    fc.assert(fc.property(fc.string(), (s) => void parseManifest(s)));
  });

  it('apply refuses a manifest that would change its target’s kind, name or namespace', () => {
    const check = (target: { kind: string; namespace: string; name: string }, manifest: string) =>
      ACTIONS.apply.checkTarget(target, { manifest });
    expect(check({ kind: 'ConfigMap', namespace: 'n', name: 'a' }, cm('a'))).toEqual([]);
    expect(check({ kind: 'ConfigMap', namespace: 'n', name: 'b' }, cm('a'))[0]?.message).toContain(
      "apply cannot change an object's kind or name",
    );
    expect(check({ kind: 'Deployment', namespace: 'n', name: 'a' }, cm('a'))[0]?.path).toBe('params.manifest');
    expect(
      check(
        { kind: 'ConfigMap', namespace: 'n', name: 'a' },
        cm('a').replace('name: a', 'name: a\n  namespace: other'),
      )[0]?.message,
    ).toContain('not the target\'s namespace "n"');
    expect(Object.keys(RESOURCE_KINDS)).toContain('ConfigMap');
  });
});

describe('danger actions', () => {
  it('are the ones that remove or replace running things', () => {
    const danger = Object.values(ACTIONS)
      .filter((a) => 'danger' in a)
      .map((a) => a.id)
      .sort();
    expect(danger).toEqual(['delete', 'delete-pod', 'drain', 'force-delete-pod', 'rollback']);
  });
});
