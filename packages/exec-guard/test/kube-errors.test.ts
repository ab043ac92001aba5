// The shared error vocabulary: what a person reads for an API server error, and
// which errors are worth retrying.
import * as k8s from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { KubeApiError, errorText, isTerminalKubeError, kubeApiError, kubeStatus } from '../src/kube-errors.js';

const status = (code: number, reason: string, message: string): string =>
  JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, message, code });
const apiException = (code: number, body: unknown): k8s.ApiException<unknown> =>
  new k8s.ApiException(code, 'Unknown API Status Code!', body, {});

describe('kube errors', () => {
  it('reads the API server message, reason and status out of the typed client exception', () => {
    const err = apiException(
      403,
      status(403, 'Forbidden', 'pods "web" is forbidden: User "bob" cannot patch resource "pods"'),
    );
    expect(errorText(err)).toBe('pods "web" is forbidden: User "bob" cannot patch resource "pods"');
    expect(kubeApiError(err)).toMatchObject({ status: 403, reason: 'Forbidden' });
    expect(kubeStatus(err)).toBe(403);
  });

  it('accepts an already parsed body and a body that is not JSON', () => {
    expect(errorText(apiException(422, { reason: 'Invalid', message: 'metadata.labels: Invalid value' }))).toBe(
      'metadata.labels: Invalid value',
    );
    expect(errorText(apiException(502, '<html>bad gateway</html>'))).toBe('<html>bad gateway</html>');
    expect(errorText(apiException(500, ''))).toBe('HTTP 500');
  });

  it('passes a KubeApiError through and says plain errors as they are', () => {
    const e = new KubeApiError(404, 'NotFound', 'Deployment ns/web not found');
    expect(kubeApiError(e)).toBe(e);
    expect(errorText(e)).toBe('Deployment ns/web not found');
    expect(errorText(new Error('connect ECONNREFUSED 127.0.0.1:6443'))).toBe('connect ECONNREFUSED 127.0.0.1:6443');
    expect(errorText('plain')).toBe('plain');
    expect(kubeStatus(new Error('x'))).toBeUndefined();
  });

  it('treats answers that would come back the same as terminal, and conflicts, throttling, 5xx and network errors as retryable', () => {
    for (const code of [400, 403, 404, 405, 422])
      expect(isTerminalKubeError(new KubeApiError(code, '', 'x')), String(code)).toBe(true);
    expect(isTerminalKubeError(apiException(403, status(403, 'Forbidden', 'no')))).toBe(true);
    for (const code of [401, 408, 409, 429, 500, 503])
      expect(isTerminalKubeError(new KubeApiError(code, '', 'x')), String(code)).toBe(false);
    expect(isTerminalKubeError(new Error('socket hang up'))).toBe(false);
  });
});
