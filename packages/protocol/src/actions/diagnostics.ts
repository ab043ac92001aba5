import { z } from 'zod';
import type { ActionDeclaration } from './declaration.js';

// Runs read-only tools inside a container through exec: the shell tier
// (podExec), because exec is what a shell is, and it is audited as one; the
// requester needs the shell's permission too (`userPermissions`).
export const diagnosticsSnapshot = {
  id: 'diagnostics-snapshot',
  title: 'Diagnostics snapshot',
  description:
    'Run ps, free and df inside a container (through exec, where the image has them) and return them as tables: top processes by memory and CPU, memory available (flagged under 20 %), disks by use, and which tools the image lacks. Changes nothing.',
  tier: 'podExec',
  userPermissions: ['pod:exec'],
  targetKinds: ['Pod'],
  params: z
    .object({
      /** Default: the pod's first container. */
      container: z.string().min(1).max(63).optional(),
    })
    .strict(),
  permissions: [{ apiGroup: '', resource: 'pods/exec', verbs: ['create'] }],
} as const satisfies ActionDeclaration;
