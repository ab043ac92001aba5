// Role × permission × scope evaluation, glob patterns, and the effective
// permission summary — pure functions, table-driven.
import { describe, expect, it } from 'vitest';
import {
  bindingCovers,
  can,
  canSomewhere,
  describeScope,
  effectivePermissions,
  matchesPattern,
  roleGrants,
} from '../src/auth/rbac.js';
import type { BuiltinRole, Permission, RoleBinding, Scope } from '../src/auth/types.js';

const bind = (role: BuiltinRole, clusterPattern = '*', namespacePattern = '*'): RoleBinding => ({
  id: `${role}:${clusterPattern}/${namespacePattern}`,
  role,
  clusterPattern,
  namespacePattern,
});

describe('roles grant permissions', () => {
  const PERMS: Permission[] = [
    'admin',
    'audit:read',
    'pod:exec',
    'pod:port-forward',
    // Root on a node: account-admins only; operators of a whole cluster do not get it.
    'node:shell',
    'view',
    'logs:read',
    'object:read',
    'action:annotate',
    'action:scale',
  ];
  const TABLE: Record<BuiltinRole, Permission[]> = {
    'account-admin': PERMS,
    operator: ['pod:exec', 'pod:port-forward', 'view', 'logs:read', 'object:read', 'action:annotate', 'action:scale'],
    viewer: ['view', 'logs:read', 'object:read'],
    auditor: ['audit:read', 'view', 'logs:read', 'object:read'],
    // A viewer without container logs or object contents: how an admin takes those away.
    'inventory-viewer': ['view'],
  };
  for (const [role, granted] of Object.entries(TABLE) as [BuiltinRole, Permission[]][]) {
    it.each(PERMS)(`${role} → %s`, (perm) => {
      expect(roleGrants(role, perm)).toBe(granted.includes(perm));
    });
  }
});

describe('patterns', () => {
  it.each([
    ['*', 'anything', true],
    ['*', '', true],
    ['prod', 'prod', true],
    ['prod', 'prod-eu', false],
    ['prod-*', 'prod-eu', true],
    ['prod-*', 'prod-', true],
    ['prod-*', 'prod', false],
    ['prod-*', 'staging-prod-eu', false],
    ['*-eu', 'prod-eu', true],
    ['*-eu', 'prod-us', false],
    ['team-*-web', 'team-a-web', true],
    ['team-*-web', 'team-a-api', false],
    ['a.b', 'a.b', true],
    ['a.b', 'axb', false], // '.' is literal, not a regex wildcard
    ['a.*', 'a.x', true],
  ] as const)('%s matches %s: %s', (pattern, value, expected) => {
    expect(matchesPattern(pattern, value)).toBe(expected);
  });
});

describe('can(): role × permission × scope', () => {
  type Row = [label: string, bindings: RoleBinding[], permission: Permission, scope: Scope, expected: boolean];
  const ROWS: Row[] = [
    // global scope {} needs a '*' × '*' binding
    ['admin */* → admin on {}', [bind('account-admin')], 'admin', {}, true],
    ['admin prod-*/* → admin on {}', [bind('account-admin', 'prod-*')], 'admin', {}, false],
    ['admin */team-a → admin on {}', [bind('account-admin', '*', 'team-a')], 'admin', {}, false],
    ['auditor */* → audit:read on {}', [bind('auditor')], 'audit:read', {}, true],
    ['auditor prod/* → audit:read on {}', [bind('auditor', 'prod')], 'audit:read', {}, false],
    ['viewer */* → audit:read on {}', [bind('viewer')], 'audit:read', {}, false],
    ['operator */* → admin on {}', [bind('operator')], 'admin', {}, false],
    // namespaced scope
    [
      'operator */* → action on prod/web',
      [bind('operator')],
      'action:annotate',
      { cluster: 'prod', namespace: 'web' },
      true,
    ],
    [
      'operator prod-*/* → action on prod-eu/web',
      [bind('operator', 'prod-*')],
      'action:scale',
      { cluster: 'prod-eu', namespace: 'web' },
      true,
    ],
    [
      'operator prod-*/* → action on staging/web',
      [bind('operator', 'prod-*')],
      'action:scale',
      { cluster: 'staging', namespace: 'web' },
      false,
    ],
    [
      'operator prod/team-* → pod:exec on prod/team-a',
      [bind('operator', 'prod', 'team-*')],
      'pod:exec',
      { cluster: 'prod', namespace: 'team-a' },
      true,
    ],
    [
      'operator prod/team-* → pod:exec on prod/kube-system',
      [bind('operator', 'prod', 'team-*')],
      'pod:exec',
      { cluster: 'prod', namespace: 'kube-system' },
      false,
    ],
    [
      'viewer */* → action on prod/web',
      [bind('viewer')],
      'action:annotate',
      { cluster: 'prod', namespace: 'web' },
      false,
    ],
    ['viewer */* → view on prod/web', [bind('viewer')], 'view', { cluster: 'prod', namespace: 'web' }, true],
    ['auditor */* → pod:exec on prod/web', [bind('auditor')], 'pod:exec', { cluster: 'prod', namespace: 'web' }, false],
    // cluster-wide scope (no namespace) needs namespace pattern '*'
    [
      'operator prod/* → cordon (cluster-wide) on prod',
      [bind('operator', 'prod')],
      'action:cordon',
      { cluster: 'prod' },
      true,
    ],
    [
      'operator prod/team-a → cluster-wide on prod',
      [bind('operator', 'prod', 'team-a')],
      'action:cordon',
      { cluster: 'prod' },
      false,
    ],
    [
      'operator prod/team-* → cluster-wide on prod',
      [bind('operator', 'prod', 'team-*')],
      'view',
      { cluster: 'prod' },
      false,
    ],
    // namespace without cluster = that namespace on every cluster
    ['viewer */team-a → view on */team-a', [bind('viewer', '*', 'team-a')], 'view', { namespace: 'team-a' }, true],
    [
      'viewer prod/team-a → view on */team-a',
      [bind('viewer', 'prod', 'team-a')],
      'view',
      { namespace: 'team-a' },
      false,
    ],
    // several bindings: any one suffices, and they do not combine across scopes
    [
      'viewer */* + operator prod/* → action on prod/x',
      [bind('viewer'), bind('operator', 'prod')],
      'action:annotate',
      { cluster: 'prod', namespace: 'x' },
      true,
    ],
    [
      'viewer */* + operator prod/* → action on dev/x',
      [bind('viewer'), bind('operator', 'prod')],
      'action:annotate',
      { cluster: 'dev', namespace: 'x' },
      false,
    ],
    [
      'operator prod/a + auditor */* → audit:read on {}',
      [bind('operator', 'prod', 'a'), bind('auditor')],
      'audit:read',
      {},
      true,
    ],
    ['no bindings → view', [], 'view', { cluster: 'prod', namespace: 'web' }, false],
  ];
  it.each(ROWS)('%s: %s', (_label, bindings, permission, scope, expected) => {
    expect(can(bindings, permission, scope)).toBe(expected);
  });

  it('canSomewhere: held on at least one namespace of the cluster (for listing, not authorizing)', () => {
    const scoped = [bind('viewer', 'prod-*', 'team-a')];
    expect(canSomewhere(scoped, 'view', { cluster: 'prod-eu' })).toBe(true);
    expect(canSomewhere(scoped, 'view', { cluster: 'dev' })).toBe(false);
    expect(canSomewhere(scoped, 'view')).toBe(true);
    expect(canSomewhere(scoped, 'pod:exec', { cluster: 'prod-eu' })).toBe(false);
    expect(can(scoped, 'view', { cluster: 'prod-eu' })).toBe(false);
  });

  it('bindingCovers treats missing scope fields as "all"', () => {
    expect(bindingCovers({ clusterPattern: '*', namespacePattern: '*' }, {})).toBe(true);
    expect(bindingCovers({ clusterPattern: 'a', namespacePattern: '*' }, {})).toBe(false);
  });
});

describe('effective permission summary', () => {
  it('merges roles per scope and lists global permissions', () => {
    const summary = effectivePermissions([bind('viewer'), bind('auditor'), bind('operator', 'prod-*', 'team-a')]);
    expect(summary.global).toEqual(['audit:read', 'view', 'logs:read', 'object:read']);
    expect(summary.scopes).toEqual([
      { cluster: '*', namespace: '*', permissions: ['audit:read', 'view', 'logs:read', 'object:read'] },
      {
        cluster: 'prod-*',
        namespace: 'team-a',
        permissions: ['view', 'logs:read', 'object:read', 'pod:exec', 'pod:port-forward', 'action:*', 'access:approve'],
      },
    ]);
  });

  it('describes scopes for error messages', () => {
    expect(describeScope({})).toBe('every cluster (global scope)');
    expect(describeScope({ cluster: 'prod' })).toBe("cluster 'prod', all namespaces");
    expect(describeScope({ cluster: 'prod', namespace: 'web' })).toBe("cluster 'prod', namespace 'web'");
  });
});
