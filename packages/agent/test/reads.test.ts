// Object paths and log queries the agent builds for the hub's reads.
import { describe, expect, it } from 'vitest';
import { logQuery } from '../src/reads/log-streams.js';
import { objectApiPath } from '../src/reads/object-get.js';

describe('reads', () => {
  it('builds the API path of each kind from the kinds table', () => {
    expect(objectApiPath('Pod', 'demo', 'web-0')).toBe('/api/v1/namespaces/demo/pods/web-0');
    expect(objectApiPath('Deployment', 'demo', 'web')).toBe('/apis/apps/v1/namespaces/demo/deployments/web');
    expect(objectApiPath('HorizontalPodAutoscaler', 'demo', 'web')).toBe(
      '/apis/autoscaling/v2/namespaces/demo/horizontalpodautoscalers/web',
    );
    expect(objectApiPath('Node', '', 'kwok-node-0')).toBe('/api/v1/nodes/kwok-node-0');
    expect(objectApiPath('Namespace', '', 'demo')).toBe('/api/v1/namespaces/demo');
  });

  it('asks for the last 500 lines unless told otherwise, and passes the flags through', () => {
    expect(logQuery({ container: 'app', follow: false, previous: false, timestamps: false }).toString()).toBe(
      'container=app&tailLines=500',
    );
    expect(
      logQuery({
        container: 'app',
        follow: true,
        previous: true,
        timestamps: true,
        tailLines: 0,
        sinceSeconds: 60,
      }).toString(),
    ).toBe('container=app&follow=true&previous=true&timestamps=true&tailLines=0&sinceSeconds=60');
  });
});
