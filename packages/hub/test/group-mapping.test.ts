// Group mapping rules: which bindings a person's IdP groups give, and the
// precise errors a bad rules file gets.
import { describe, expect, it } from 'vitest';
import { mappedBindings, parseGroupMappings } from '../src/oidc/group-mapping.js';

const RULES = parseGroupMappings(
  JSON.stringify([
    { group: 'sre', role: 'operator' },
    { group: 'developers', role: 'viewer', cluster: 'staging', namespace: 'dev-*' },
    { group: 'oncall', role: 'operator' },
    { group: '*', role: 'viewer', cluster: 'demo' },
  ]),
  'rules.json',
);

describe('mappedBindings', () => {
  it('grants each matching rule once, in rule order; "*" matches every SSO user', () => {
    expect(
      mappedBindings(RULES, ['oncall', 'sre']).map((b) => [b.group, b.role, b.clusterPattern, b.namespacePattern]),
    ).toEqual([
      ['sre', 'operator', '*', '*'],
      ['*', 'viewer', 'demo', '*'],
    ]);
    expect(mappedBindings(RULES, ['developers']).map((b) => b.role)).toEqual(['viewer', 'viewer']);
  });

  it('gives someone in no mapped group only the "*" rules', () => {
    expect(mappedBindings(RULES, ['contractors'])).toEqual([
      { group: '*', role: 'viewer', clusterPattern: 'demo', namespacePattern: '*' },
    ]);
  });

  it('matches group names exactly (no case folding, no prefixes)', () => {
    expect(mappedBindings(RULES, ['SRE', 'sre-team']).map((b) => b.group)).toEqual(['*']);
  });
});

describe('parseGroupMappings', () => {
  it('names the source and the bad field', () => {
    expect(() => parseGroupMappings('[{"group":"sre","role":"root"}]', 'WHEELHOUSE_OIDC_GROUP_MAPPINGS')).toThrow(
      /WHEELHOUSE_OIDC_GROUP_MAPPINGS: invalid group mapping rules: \[0\.role\]/,
    );
    expect(() => parseGroupMappings('[{"group":"sre","role":"viewer","cluster":"Prod!"}]', 'f.json')).toThrow(
      /\[0\.cluster\]/,
    );
    expect(() => parseGroupMappings('[{"group":"sre","role":"viewer","extra":1}]', 'f.json')).toThrow(/f\.json/);
    expect(() => parseGroupMappings('not json', 'f.json')).toThrow(/f\.json: not JSON/);
  });
});
