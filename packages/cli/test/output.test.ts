import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { InventoryItem, InventoryItemOf, PodSummary } from '@wheelhouse/protocol';
import { columnsOf, podRestarts, podStatus } from '../src/get-columns.js';
import { parseSelector } from '../src/label-selector.js';
import { alignRows, humanDuration, isoTime, renderList, renderTable, type Column } from '../src/output.js';

const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);
const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

const container = (over: Partial<PodSummary['containers'][number]> = {}): PodSummary['containers'][number] => ({
  name: 'app',
  ready: true,
  restartCount: 0,
  state: 'running',
  reason: null,
  exitCode: null,
  lastTerminated: null,
  ...over,
});

function pod(name: string, summary: Partial<PodSummary>, over: Partial<InventoryItem> = {}): InventoryItemOf<'Pod'> {
  return {
    kind: 'Pod',
    namespace: 'shop',
    name,
    uid: `uid-${name}`,
    resourceVersion: '1',
    createdAt: NOW - 3 * H,
    labels: { app: 'web' },
    ownerRefs: [],
    summary: {
      phase: 'Running',
      ready: true,
      nodeName: 'kwok-node-0',
      podIP: '10.0.0.7',
      qosClass: 'BestEffort',
      startTime: NOW - 3 * H,
      reason: null,
      restarts: 0,
      containers: [container()],
      initContainers: [],
      ...summary,
    },
    ...over,
  } as InventoryItemOf<'Pod'>;
}

describe('tables', () => {
  it('aligns columns three spaces apart with no trailing blanks, like kubectl', () => {
    expect(
      alignRows([
        ['NAME', 'READY', 'STATUS'],
        ['web-1', '1/1', 'Running'],
        ['payments-worker-abc', '0/1', 'CrashLoopBackOff'],
      ]),
    ).toBe(
      [
        'NAME                  READY   STATUS',
        'web-1                 1/1     Running',
        'payments-worker-abc   0/1     CrashLoopBackOff',
        '',
      ].join('\n'),
    );
  });

  it('shows wide columns only with -o wide, empty cells as <none>, one line per row', () => {
    const cols: Column<{ a: string; b: string }>[] = [
      { header: 'A', cell: (r) => r.a },
      { header: 'B', cell: (r) => r.b, wide: true },
    ];
    const rows = [
      { a: 'x', b: '' },
      { a: 'multi\nline', b: 'y' },
    ];
    expect(renderTable(rows, cols, 'table')).toBe('A\nx\nmulti line\n');
    expect(renderTable(rows, cols, 'wide')).toBe('A            B\nx            <none>\nmulti line   y\n');
  });

  it('json and yaml print the API objects exactly as {items}; an empty table speaks on stderr only', () => {
    const items = [{ name: 'web', nested: { deep: [1, null, 'two'] }, at: 1764374400000 }];
    const cols: Column<(typeof items)[number]>[] = [{ header: 'NAME', cell: (r) => r.name }];
    const json = renderList({ items, columns: cols, format: 'json', empty: 'none' });
    expect(JSON.parse(json.out)).toEqual({ items });
    expect(json.err).toBe('');
    const yaml = renderList({ items, columns: cols, format: 'yaml', empty: 'none' });
    expect(parseYaml(yaml.out)).toEqual({ items });
    expect(renderList({ items: [], columns: cols, format: 'table', empty: 'No resources found.' })).toEqual({
      out: '',
      err: 'No resources found.\n',
    });
    expect(JSON.parse(renderList({ items: [], columns: cols, format: 'json', empty: 'x' }).out)).toEqual({ items: [] });
  });

  it('ages read like kubectl (HumanDuration) and times are ISO 8601 UTC to the second', () => {
    expect(humanDuration(45 * S)).toBe('45s');
    expect(humanDuration(119 * S)).toBe('119s');
    expect(humanDuration(150 * S)).toBe('2m30s');
    expect(humanDuration(5 * M)).toBe('5m');
    expect(humanDuration(42 * M)).toBe('42m');
    expect(humanDuration(5 * H + 10 * M)).toBe('5h10m');
    expect(humanDuration(30 * H)).toBe('30h');
    expect(humanDuration(3 * D + 4 * H)).toBe('3d4h');
    expect(humanDuration(200 * D)).toBe('200d');
    expect(humanDuration(800 * D)).toBe('2y70d');
    expect(humanDuration(-500)).toBe('0s');
    expect(isoTime(Date.UTC(2026, 10, 29, 0, 37, 5, 123))).toBe('2026-11-29T00:37:05Z');
  });
});

describe('get columns', () => {
  it('pods: READY, STATUS with the waiting reason, RESTARTS with the last one, AGE; wide adds IP and NODE', () => {
    const crashing = pod('payments-worker-1', {
      ready: false,
      containers: [
        container({
          ready: false,
          state: 'waiting',
          reason: 'CrashLoopBackOff',
          restartCount: 112,
          lastTerminated: { reason: 'OOMKilled', exitCode: 137, finishedAt: NOW - 2 * M },
        }),
      ],
    });
    const ok = pod('web-1', {});
    const cols = columnsOf('Pod', NOW);
    expect(renderTable<InventoryItem>([ok, crashing], cols, 'table')).toBe(
      [
        'NAME                READY   STATUS             RESTARTS       AGE',
        'web-1               1/1     Running            0              3h',
        'payments-worker-1   0/1     CrashLoopBackOff   112 (2m ago)   3h',
        '',
      ].join('\n'),
    );
    expect(renderTable<InventoryItem>([ok], cols, 'wide').split('\n')[0]).toBe(
      'NAME    READY   STATUS    RESTARTS   AGE   IP         NODE',
    );
  });

  it('pod status: terminated reason, exit code, Completed with a running sidecar, Terminating', () => {
    const s = (containers: PodSummary['containers'], over: Partial<PodSummary> = {}): PodSummary =>
      pod('p', { containers, ...over }).summary;
    expect(podStatus(s([container({ state: 'terminated', reason: 'OOMKilled', ready: false })]))).toBe('OOMKilled');
    expect(podStatus(s([container({ state: 'terminated', exitCode: 2, ready: false })]))).toBe('ExitCode:2');
    expect(
      podStatus(
        s([container({ state: 'terminated', reason: 'Completed', ready: false }), container({ name: 'side' })], {
          ready: false,
        }),
      ),
    ).toBe('NotReady');
    expect(podStatus(s([container({ state: 'waiting', reason: null, ready: false })], { phase: 'Pending' }))).toBe(
      'Pending',
    );
    expect(podStatus(s([container()]), NOW)).toBe('Terminating');
    expect(podRestarts(s([container({ restartCount: 0 })]), NOW)).toBe('0');
  });

  it('deployments and PVCs get their kubectl columns', () => {
    const dep = {
      kind: 'Deployment',
      namespace: 'shop',
      name: 'storefront',
      uid: 'u',
      resourceVersion: '1',
      createdAt: NOW - 50 * H,
      labels: {},
      ownerRefs: [],
      summary: {
        replicas: 3,
        readyReplicas: 2,
        availableReplicas: 2,
        updatedReplicas: 3,
        paused: false,
        selector: { app: 'storefront' },
        images: ['shop/storefront:2.1'],
        conditions: {},
        spec: {},
      },
    } as InventoryItem;
    expect(renderTable([dep], columnsOf('Deployment', NOW), 'wide')).toBe(
      [
        'NAME         READY   UP-TO-DATE   AVAILABLE   AGE    IMAGES                SELECTOR',
        'storefront   2/3     3            2           2d2h   shop/storefront:2.1   app=storefront',
        '',
      ].join('\n'),
    );
    const pvc = {
      ...dep,
      kind: 'PersistentVolumeClaim',
      name: 'ledger-data',
      summary: { phase: 'Pending', accessModes: ['ReadWriteOnce'], requested: '10Gi', storageClass: 'fast' },
    } as InventoryItem;
    expect(renderTable([pvc], columnsOf('PersistentVolumeClaim', NOW), 'table')).toBe(
      [
        'NAME          STATUS    VOLUME   CAPACITY   ACCESS MODES   STORAGECLASS   AGE',
        'ledger-data   Pending   <none>   <none>     RWO            fast           2d2h',
        '',
      ].join('\n'),
    );
  });
});

describe('label selectors (-l)', () => {
  const labels = { app: 'web', tier: 'front', env: 'prod' };
  it.each([
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app=web,tier=back', false],
    ['env in (prod,staging)', true],
    ['env notin (prod)', false],
    ['canary', false],
    ['!canary', true],
    ['app,tier in (front)', true],
  ])('%s → %s', (selector, expected) => {
    expect(parseSelector(selector)(labels)).toBe(expected);
  });
  it('rejects a malformed selector as a usage error', () => {
    expect(() => parseSelector('app=web,,')).toThrow(/empty requirement/);
    expect(() => parseSelector('bad key=1')).toThrow(/not a label key/);
  });
});
