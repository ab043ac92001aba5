import { z } from 'zod';
import type { ActionDeclaration } from './declaration.js';

/** An image reference as a container spec takes it: [registry[:port]/]path[:tag][@sha256:digest]. */
const IMAGE_REFERENCE =
  /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The images a hub offers when not configured otherwise (HubOptions.debugImages): small, well known. */
export const DEFAULT_DEBUG_IMAGES = ['busybox:1.37', 'alpine:3.22', 'nicolaka/netshoot:v0.14'] as const;

// `kubectl debug` semantics: an ephemeral container added through the
// pods/ephemeralcontainers subresource (it cannot be removed, only stopped), with
// stdin and a TTY so a shell can enter it, optionally sharing a container's
// process namespace. A shell in a pod is the podExec tier; adding a container to
// one is at least as much, so it is that tier too — and the hub also asks the
// requester for pod:exec (`userPermissions`). The hub checks the image against its
// configured list (HubOptions.debugImages); this schema checks only its form.
export const debugContainer = {
  id: 'debug-container',
  title: 'Add debug container',
  description:
    "Add an ephemeral debug container (like `kubectl debug -it POD --image=IMAGE --target=CONTAINER`) with an image from the hub's list, optionally sharing a container's process namespace; succeeds once it runs, answering its name to open a shell in. It stays in the pod until the pod is deleted (Kubernetes cannot remove it), and exec guard counts it as drift.",
  tier: 'podExec',
  targetKinds: ['Pod'],
  userPermissions: ['pod:exec'],
  params: z
    .object({
      image: z
        .string()
        .min(1)
        .max(255)
        .regex(IMAGE_REFERENCE, 'must be an image reference such as busybox:1.37 (lower case, no spaces)'),
      target: z
        .string()
        .max(63)
        .regex(DNS_LABEL, 'must be a container name of the pod (a DNS label)')
        .optional()
        .describe("share this container's process namespace (kubectl debug --target)"),
    })
    .strict(),
  // Writes only: reading the pod is the read-only role's.
  permissions: [{ apiGroup: '', resource: 'pods/ephemeralcontainers', verbs: ['patch'] }],
} as const satisfies ActionDeclaration;
