// object.get: read one live object for the hub's object view. Only the kinds of
// the inventory table (never Secrets, the link schema refuses any other kind),
// with metadata.managedFields stripped, as JSON and as YAML.
import type { KubeClientConfig } from '../kube-config.js';
import { stringify } from 'yaml';
import {
  isRecord,
  toJsonObject,
  RESOURCE_KINDS,
  type ObjectGetMessage,
  type ObjectResultMessage,
} from '@wheelhouse/protocol';
import { errorText, statusFields } from '@wheelhouse/exec-guard/kube-errors';
import { kubeRequest } from '../kube-http.js';

/** The API path of one object of a known kind. */
export function objectApiPath(kind: ObjectGetMessage['kind'], namespace: string, name: string): string {
  const k = RESOURCE_KINDS[kind];
  const base = k.group === '' ? `/api/${k.version}` : `/apis/${k.group}/${k.version}`;
  const ns = k.namespaced ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${k.plural}/${encodeURIComponent(name)}`;
}

/** Reads the object and answers with it, or with the API server's error. Never throws. */
export async function getObject(kc: KubeClientConfig, msg: ObjectGetMessage): Promise<ObjectResultMessage> {
  const { requestId } = msg;
  const k = RESOURCE_KINDS[msg.kind];
  if (k.namespaced !== (msg.namespace !== '')) {
    return {
      type: 'object.result',
      requestId,
      error: {
        status: 400,
        reason: 'BadRequest',
        message: k.namespaced
          ? `${msg.kind} is namespaced: a namespace is required`
          : `${msg.kind} is cluster-scoped: no namespace`,
      },
    };
  }
  try {
    const res = await kubeRequest(kc, 'GET', objectApiPath(msg.kind, msg.namespace, msg.name));
    const body = res.body;
    if (res.status < 200 || res.status >= 300 || !isRecord(body)) {
      const { reason, message } = statusFields(body);
      return {
        type: 'object.result',
        requestId,
        error: {
          status: res.status,
          reason: reason.slice(0, 200),
          message: (message ?? `HTTP ${res.status}`).slice(0, 4096),
        },
      };
    }
    const object = toJsonObject(body);
    if (isRecord(object.metadata)) delete object.metadata.managedFields;
    return { type: 'object.result', requestId, object, yaml: stringify(object) };
  } catch (err) {
    return {
      type: 'object.result',
      requestId,
      error: { status: 0, reason: '', message: errorText(err).slice(0, 4096) },
    };
  }
}
