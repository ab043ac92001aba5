// The start-up preload's requests (issue 18): what index.html's early script asks for each address —
// the same URLs the pages then ask, so they take the preloaded answers (Chromium checks that in
// test/e2e/test/start-preload.int.test.ts).
import { describe, expect, it } from 'vitest';
import { firstRequests } from '../src/start/first-requests.js';

describe('firstRequests', () => {
  it('asks the Pods page’s count and first page with the filters and sort of the address, and the namespaces', () => {
    expect(firstRequests('/c/prod/pods', '?status=Failed&q=%20Api-&order=desc&sort=age')).toEqual([
      '/api/v1/clusters/prod/resources?kind=Pod&prefix=api-&status=Failed&sort=age&order=desc&count=true&limit=1',
      '/api/v1/clusters/prod/resources?kind=Pod&prefix=api-&status=Failed&sort=age&order=desc&limit=50',
      '/api/v1/clusters/prod/resources?kind=Namespace&limit=1000',
    ]);
  });

  it('reads unknown sorts and impossible name prefixes as the page does', () => {
    expect(firstRequests('/c/prod/pods', '?sort=bogus&q=UPPER_')[1]).toBe(
      '/api/v1/clusters/prod/resources?kind=Pod&prefix=%7E&sort=namespace&order=asc&limit=50',
    );
  });

  it('asks the Workloads page’s (also at /c/<cluster>) and the Nodes and node pages’ first requests', () => {
    const workloads = [
      '/api/v1/clusters/prod/workloads?kind=Deployment&unhealthy=true&sort=health&order=desc&count=true&limit=1',
      '/api/v1/clusters/prod/workloads?kind=Deployment&unhealthy=true&sort=health&order=desc&limit=50',
      '/api/v1/clusters/prod/resources?kind=Namespace&limit=1000',
    ];
    expect(firstRequests('/c/prod/workloads', '?kind=Deployment&unhealthy=1&sort=health&dir=desc')).toEqual(workloads);
    expect(firstRequests('/c/prod', '?kind=Deployment&unhealthy=1&sort=health&dir=desc')).toEqual(workloads);
    expect(firstRequests('/c/prod/nodes', '')).toEqual([
      '/api/v1/clusters/prod/nodes?sort=name&order=asc&count=true&limit=1',
      '/api/v1/clusters/prod/nodes?sort=name&order=asc&limit=50',
    ]);
    // The page's filters and sort; a status the page does not offer is left out, as the page leaves it.
    expect(firstRequests('/c/prod/nodes', '?q=Kwok-&status=SchedulingDisabled&sort=age&order=desc')[1]).toBe(
      '/api/v1/clusters/prod/nodes?prefix=kwok-&status=SchedulingDisabled&sort=age&order=desc&limit=50',
    );
    expect(firstRequests('/c/prod/nodes', '?status=Running&sort=namespace')[1]).toBe(
      '/api/v1/clusters/prod/nodes?sort=name&order=asc&limit=50',
    );
    expect(firstRequests('/c/prod/nodes/node-1', '')).toEqual([
      '/api/v1/clusters/prod/resources?kind=Node&name=node-1&limit=1',
      '/api/v1/clusters/prod/resources?kind=Pod&node=node-1&sort=namespace&order=asc&count=true&limit=1',
      '/api/v1/clusters/prod/resources?kind=Pod&node=node-1&sort=namespace&order=asc&limit=50',
    ]);
  });

  it("preloads a pod's page's pod by name (its ReplicaSet waits for the pod's owner reference)", () => {
    expect(firstRequests('/c/prod/pods/default/web-1', '?tab=logs')).toEqual([
      '/api/v1/clusters/prod/resources?kind=Pod&namespace=default&name=web-1&limit=1',
    ]);
    expect(firstRequests('/c/prod/pods/default/web-1/', '')).toHaveLength(1);
  });

  it('preloads nothing for other pages or addresses it cannot read', () => {
    expect(firstRequests('/', '')).toEqual([]);
    expect(firstRequests('/c/prod/pods/default', '')).toEqual([]);
    expect(firstRequests('/c/prod/nodes/node-1/x', '')).toEqual([]);
    expect(firstRequests('/c/prod/w/Deployment/default', '')).toEqual([]);
    expect(firstRequests('/c/prod/pods/default/%E0%A4%A', '')).toEqual([]);
    expect(firstRequests('/c/prod/timeline', '')).toEqual([]);
    expect(firstRequests('/c/%E0%A4%A/pods', '')).toEqual([]);
  });
});
