// The ValidatingWebhookConfiguration exec guard needs: CONNECT on pods/exec and
// pods/attach (and pods/portforward when enabled); UPDATE on
// pods/ephemeralcontainers (kubectl debug); and CREATE/UPDATE on pods that
// carry (before or after the change) any exec guard label or annotation. That
// last filter is a CEL matchCondition evaluated inside the API server, so pods
// without exec guard's keys never wait for the webhook — while a pod created
// with a forged timestamp label, or an annotation added by hand, is still seen
// (an objectSelector could only match labels). The Helm chart renders the same shape.
import type * as k8s from '@kubernetes/client-node';
import { LABEL_PREFIX } from './labels.js';
import { CONNECT_PATH, DEBUG_PATH, PODS_PATH } from './server.js';

const hasOwnKey = (obj: string, field: 'labels' | 'annotations'): string =>
  `(has(${obj}.metadata.${field}) && ${obj}.metadata.${field}.exists(k, k.startsWith('${LABEL_PREFIX}/')))`;

/** CEL: the pod carries an exec guard label or annotation before or after the change. */
export const OWN_KEYS_MATCH_CONDITION =
  `${hasOwnKey('object', 'labels')} || ${hasOwnKey('object', 'annotations')} || ` +
  `(oldObject != null && (${hasOwnKey('oldObject', 'labels')} || ${hasOwnKey('oldObject', 'annotations')}))`;

export interface WebhookConfigurationOptions {
  name: string;
  /** Base URL (https://127.0.0.1:8443) for an out-of-cluster exec guard, or a Service reference. */
  url?: string;
  service?: { namespace: string; name: string; port?: number };
  caBundle?: string;
  failurePolicy?: { connect?: 'Fail' | 'Ignore'; update?: 'Fail' | 'Ignore' };
  namespaceSelector?: k8s.V1LabelSelector;
  portForward?: boolean;
  /** Record kubectl debug (UPDATE pods/ephemeralcontainers); default true. */
  debugContainers?: boolean;
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
          {
            operations: ['CREATE', 'UPDATE'],
            apiGroups: [''],
            apiVersions: ['v1'],
            resources: ['pods'],
            scope: 'Namespaced',
          },
        ],
        matchConditions: [{ name: 'carries-exec-guard-keys', expression: OWN_KEYS_MATCH_CONDITION }],
      },
      ...(o.debugContainers === false
        ? []
        : [
            {
              ...common,
              name: 'debug.exec-guard.wheelhouse.dev',
              clientConfig: client(DEBUG_PATH),
              failurePolicy: o.failurePolicy?.connect ?? 'Fail',
              rules: [
                {
                  operations: ['UPDATE'],
                  apiGroups: [''],
                  apiVersions: ['v1'],
                  resources: ['pods/ephemeralcontainers'],
                  scope: 'Namespaced',
                },
              ],
            },
          ]),
    ],
  };
}
