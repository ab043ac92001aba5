// The global search's one rule (GET …/search ranks with it): words, the kinds
// a word names, and the order of matches.
import { describe, expect, it } from 'vitest';
import { kindsOfWord, rankSearch, searchScore, searchWords } from '../src/object-search.js';

const o = (kind: string, namespace: string, name: string) => ({
  kind,
  namespace,
  name,
  uid: `${kind}/${namespace}/${name}`,
});

describe('object search', () => {
  it('splits a query into lower-case words at spaces and slashes', () => {
    expect(searchWords(' Deploy/Web  prod ')).toEqual(['deploy', 'web', 'prod']);
    expect(searchWords(' / ')).toEqual([]);
  });

  it('maps a word to the searched kinds it names: a short name, a plural, or a kind prefix', () => {
    expect(kindsOfWord('pvc')).toEqual(['PersistentVolumeClaim']);
    expect(kindsOfWord('deploy')).toEqual(['Deployment']);
    expect(kindsOfWord('po')).toEqual(['Pod', 'PodDisruptionBudget']);
    expect(kindsOfWord('rs')).toEqual([]);
    expect(kindsOfWord('web')).toEqual([]);
  });

  it('needs every word to match; ranks an exact name, then a prefix, then inside, then kind or namespace', () => {
    expect(searchScore(o('Pod', 'prod', 'web-1'), ['web', 'staging'])).toBeNull();
    const items = [
      o('Pod', 'web', 'api'),
      o('Pod', 'prod', 'front-web'),
      o('Pod', 'prod', 'web-1'),
      o('Deployment', 'prod', 'web'),
      o('ReplicaSet', 'prod', 'webhook-5d9c'),
    ];
    expect(rankSearch(items, 'web').map((i) => `${i.namespace}/${i.name}`)).toEqual([
      'prod/web',
      'prod/web-1',
      'prod/webhook-5d9c',
      'prod/front-web',
      'web/api',
    ]);
    expect(rankSearch(items, 'web', 2)).toHaveLength(2);
    expect(rankSearch(items, '  ')).toEqual([]);
  });

  it('orders equal matches by kind (workloads first), then namespace, whatever their uids: Enter opens the same one', () => {
    const same = [
      { ...o('Service', 'a-shop', 'payments'), uid: '1' },
      { ...o('Deployment', 'z-shop', 'payments'), uid: '2' },
      { ...o('Deployment', 'b-shop', 'payments'), uid: '3' },
    ];
    const order = (items: typeof same) => rankSearch(items, 'payments').map((i) => `${i.kind} ${i.namespace}`);
    expect(order(same)).toEqual(['Deployment b-shop', 'Deployment z-shop', 'Service a-shop']);
    expect(order(same.map((it, i) => ({ ...it, uid: String(9 - i) })).reverse())).toEqual(order(same));
  });
});
