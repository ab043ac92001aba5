// `wheelhouse hub --shell-moderated-namespaces`: CLUSTER/NAMESPACE pairs become
// the hub's per-namespace shell policy (requireObserver); anything else is refused.
import { describe, expect, it } from 'vitest';
import { moderatedShells } from '../src/commands/hub.js';

describe('--shell-moderated-namespaces', () => {
  it('maps pairs to per-namespace requireObserver, grouped by cluster', () => {
    expect(moderatedShells(['prod/payments', 'prod/ledger', 'staging/payments'])).toEqual({
      prod: { namespaces: { payments: { requireObserver: true }, ledger: { requireObserver: true } } },
      staging: { namespaces: { payments: { requireObserver: true } } },
    });
  });
  it('refuses what is not CLUSTER/NAMESPACE, naming it', () => {
    for (const bad of ['prod', 'prod/', '/ns', 'a/b/c'])
      expect(() => moderatedShells([bad])).toThrow(`"${bad}" is not CLUSTER/NAMESPACE`);
  });
});
