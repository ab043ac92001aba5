// trigger-job's Job construction (actions/job-build.ts).
import { describe, expect, it } from 'vitest';
import type { CommandEnvelope } from '@wheelhouse/protocol';
import type { KubeObject } from '../src/projections.js';
import { jobFromCronJob, jobFromJob, triggeredJobName } from '../src/actions/job-build.js';

const command: CommandEnvelope = {
  id: 'abcdef12-3456-4789-8abc-def012345678',
  action: 'trigger-job',
  target: { kind: 'Job', namespace: 'n', name: 'x' },
  params: {},
  reason: 'why',
  dryRun: false,
  requestedBy: 'alice',
};

describe('trigger-job construction', () => {
  const job: KubeObject = {
    metadata: {
      name: 'report',
      namespace: 'n',
      uid: 'u1',
      labels: { team: 'data', 'batch.kubernetes.io/controller-uid': 'u1', 'job-name': 'report' },
    },
    spec: {
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u1' } },
      manualSelector: false,
      suspend: true,
      backoffLimit: 1,
      template: {
        metadata: {
          labels: {
            'controller-uid': 'u1',
            'batch.kubernetes.io/controller-uid': 'u1',
            'job-name': 'report',
            'batch.kubernetes.io/job-name': 'report',
            task: 'r',
          },
        },
        spec: { restartPolicy: 'Never' },
      },
    },
  };

  it('derives a stable, valid name from the command id', () => {
    expect(triggeredJobName('report', command.id)).toBe('report-run-abcdef');
    const long = triggeredJobName(`${'a'.repeat(60)}-x`, command.id);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });

  it('copies a Job without its selector and controller labels, labelled with its source', () => {
    const j = jobFromJob(job, 'report-run-abcdef', command);
    expect(j.metadata).toEqual({
      name: 'report-run-abcdef',
      namespace: 'n',
      labels: { team: 'data', 'wheelhouse.dev/triggered-from': 'report' },
      annotations: {
        'kubernetes.io/change-cause': 'run Job report now by alice via Wheelhouse: why',
        'wheelhouse.dev/commands': command.id,
        'wheelhouse.dev/source': 'Job/report',
      },
    });
    expect(j.spec).toEqual({
      backoffLimit: 1,
      template: { metadata: { labels: { task: 'r' } }, spec: { restartPolicy: 'Never' } },
    });
    expect(job.spec?.selector).toBeDefined(); // the source is not mutated
  });

  it('builds a Job from a CronJob like kubectl create job --from=cronjob', () => {
    const cj: KubeObject = {
      metadata: { name: 'nightly', namespace: 'n', uid: 'cj1' },
      spec: { jobTemplate: { metadata: { labels: { a: 'b' }, annotations: { x: 'y' } }, spec: { backoffLimit: 2 } } },
    };
    const j = jobFromCronJob(cj, 'nightly-run-abcdef', command);
    expect(j.metadata.ownerReferences).toEqual([
      { apiVersion: 'batch/v1', kind: 'CronJob', name: 'nightly', uid: 'cj1', controller: true },
    ]);
    expect(j.metadata.annotations).toMatchObject({
      x: 'y',
      'cronjob.kubernetes.io/instantiate': 'manual',
      'wheelhouse.dev/source': 'CronJob/nightly',
    });
    expect(j.metadata.labels).toEqual({ a: 'b', 'wheelhouse.dev/triggered-from': 'nightly' });
    expect(j.spec).toEqual({ backoffLimit: 2 });
  });
});
