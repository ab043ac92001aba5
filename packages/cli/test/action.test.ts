import { describe, expect, it } from 'vitest';
import { coerceParams, formatPreview, parseTarget } from '../src/commands/action.js';

describe('wheelhouse action: argument parsing', () => {
  it('reads kind/name with kubectl kinds, plurals and short names', () => {
    expect(parseTarget('deployment/web')).toEqual({ kind: 'Deployment', name: 'web' });
    expect(parseTarget('Deployments/web')).toEqual({ kind: 'Deployment', name: 'web' });
    expect(parseTarget('deploy/web')).toEqual({ kind: 'Deployment', name: 'web' });
    expect(parseTarget('sts/db')).toEqual({ kind: 'StatefulSet', name: 'db' });
    expect(parseTarget('node/kwok-node-0')).toEqual({ kind: 'Node', name: 'kwok-node-0' });
    expect(() => parseTarget('web')).toThrow(/<kind>\/<name>/);
    expect(() => parseTarget('widget/x')).toThrow(/unknown kind "widget"/);
  });

  it('types --param values by the action schema', () => {
    expect(coerceParams('scale', ['replicas=3'])).toEqual({ replicas: 3 });
    expect(coerceParams('scale', ['replicas=0', 'timeoutSeconds=30'])).toEqual({ replicas: 0, timeoutSeconds: 30 });
    expect(coerceParams('annotate', ['key=example.com/a', 'value=42'])).toEqual({ key: 'example.com/a', value: '42' });
    expect(coerceParams('annotate', ['key=example.com/a', 'value=null'])).toEqual({
      key: 'example.com/a',
      value: null,
    });
    expect(coerceParams('annotate', ['key=example.com/a', 'value=a=b'])).toEqual({
      key: 'example.com/a',
      value: 'a=b',
    });
    expect(coerceParams('scale', [], '{"replicas": 2}')).toEqual({ replicas: 2 });
    expect(coerceParams('scale', ['replicas=4'], '{"replicas": 2}')).toEqual({ replicas: 4 });
  });

  it('refuses bad params before calling the hub, naming the field', () => {
    expect(() => coerceParams('scale', ['replicas=many'])).toThrow('--param replicas: "many" is not a number');
    expect(() => coerceParams('scale', ['replicas=-1'])).toThrow('params.replicas: must be 0 or more');
    expect(() => coerceParams('scale', ['size=3'])).toThrow(/no param "size"; its params: replicas, timeoutSeconds/);
    expect(() => coerceParams('scale', ['replicas'])).toThrow(/must be key=value/);
    expect(() => coerceParams('scale', [], '[1]')).toThrow(/JSON object/);
    expect(() => coerceParams('nope', [])).toThrow(/unknown action "nope"; known actions: annotate, scale/);
  });

  it('prints a preview: diff lines, warnings, affected objects', () => {
    const text = formatPreview({
      summary: 'scale Deployment web from 2 to 0',
      diff: [{ path: 'spec.replicas', from: 2, to: 0 }],
      warnings: ['a HorizontalPodAutoscaler targets this workload'],
      affected: [{ kind: 'Pod', namespace: 'prod', name: 'web-1', effect: 'deleted' }],
    });
    expect(text).toBe(
      [
        'Preview: scale Deployment web from 2 to 0',
        'Changes:',
        '  spec.replicas: 2 -> 0',
        'Warnings:',
        '  ! a HorizontalPodAutoscaler targets this workload',
        'Affected objects:',
        '  Pod prod/web-1: deleted',
        '',
      ].join('\n'),
    );
  });
});
