// The ValidatingWebhookConfiguration exec guard needs: CONNECT on pods/exec and
// pods/attach (and pods/portforward when enabled), and UPDATE on pods limited by
// an objectSelector to pods that carry the interaction timestamp label (the
// API server matches the selector against the old and the new object, so
// removing the label is caught too). The Helm chart renders the same shape.
import type * as k8s from '@kubernetes/client-node';
import { INTERACTION_TIMESTAMP_LABEL } from './labels.js';
import { CONNECT_PATH, PODS_PATH } from './server.js';

export interface WebhookConfigurationOptions {
  name: string;
  /** Base URL (https://127.0.0.1:8443) for an out-of-cluster exec guard, or a Service reference. */
  url?: string;
  service?: { namespace: string; name: string; port?: number };
  caBundle?: string;
  failurePolicy?: { connect?: 'Fail' | 'Ignore'; update?: 'Fail' | 'Ignore' };
  namespaceSelector?: k8s.V1LabelSelector;
  portForward?: boolean;
  timeoutSeconds?: number;
}

export function webhookConfiguration(o: WebhookConfigurationOptions): k8s.V1ValidatingWebhookConfiguration {
  const client = (path: string): k8s.AdmissionregistrationV1WebhookClientConfig => {
    const c: k8s.AdmissionregistrationV1WebhookClientConfig = o.service
      ? { service: { namespace: o.service.namespace, name: o.service.name, port: o.service.port ?? 443, path } }
      : { url: `${(o.url ?? '').replace(/\/$/, '')}${path}` };
    if (o.caBundle !== undefined) c.caBundle = o.caBundle;
    return c;
  };
  const common = {
    admissionReviewVersions: ['v1'],
    sideEffects: 'NoneOnDryRun',
    timeoutSeconds: o.timeoutSeconds ?? 5,
    matchPolicy: 'Equivalent',
    namespaceSelector: o.namespaceSelector ?? {},
  };
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: {
      name: o.name,
      labels: { 'app.kubernetes.io/name': 'exec-guard', 'app.kubernetes.io/part-of': 'wheelhouse' },
    },
    webhooks: [
      {
        ...common,
        name: 'connect.exec-guard.wheelhouse.dev',
        clientConfig: client(CONNECT_PATH),
        failurePolicy: o.failurePolicy?.connect ?? 'Fail',
        rules: [
          {
            operations: ['CONNECT'],
            apiGroups: [''],
            apiVersions: ['v1'],
            resources: ['pods/exec', 'pods/attach', ...(o.portForward === true ? ['pods/portforward'] : [])],
            scope: 'Namespaced',
          },
        ],
      },
      {
        ...common,
        name: 'pods.exec-guard.wheelhouse.dev',
        clientConfig: client(PODS_PATH),
        failurePolicy: o.failurePolicy?.update ?? 'Fail',
        rules: [
          { operations: ['UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' },
        ],
        objectSelector: { matchExpressions: [{ key: INTERACTION_TIMESTAMP_LABEL, operator: 'Exists' }] },
      },
    ],
  };
}
