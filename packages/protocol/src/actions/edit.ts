import { z } from 'zod';
import type { ActionDeclaration, ActionTarget, TargetIssue } from './declaration.js';
import { EDITABLE_KINDS, rulesFor, timeoutSeconds } from './common.js';
import { parseManifest } from './manifest.js';

const manifest = z
  .string()
  .min(1, 'must contain at least one YAML or JSON document')
  .superRefine((text, ctx) => {
    const r = parseManifest(text);
    if (!r.ok) for (const e of r.errors) ctx.addIssue({ code: 'custom', message: e });
  });

export const apply = {
  id: 'apply',
  title: 'Apply',
  description:
    'Create or edit objects from YAML/JSON (one or several documents) with server-side apply, field manager "wheelhouse". The first document is the target; every document must be in its namespace. A field owned by another manager is a conflict unless force is set. Every document is dry-run on the server before any is applied.',
  tier: 'advanced',
  targetKinds: EDITABLE_KINDS,
  params: z
    .object({
      manifest,
      force: z
        .boolean()
        .default(false)
        .describe('take ownership of fields other managers own (server-side apply force)'),
    })
    .strict(),
  permissions: rulesFor(EDITABLE_KINDS, ['create', 'patch']),
  checkTarget(target: ActionTarget, params: { manifest: string }): TargetIssue[] {
    const r = parseManifest(params.manifest);
    if (!r.ok) return []; // the params schema reports these
    const issues: TargetIssue[] = [];
    const [first] = r.objects;
    if (first && (first.kind !== target.kind || first.metadata.name !== target.name)) {
      issues.push({
        path: 'params.manifest',
        message: `document 1 is ${first.kind} "${first.metadata.name}" but the action targets ${target.kind} "${target.name}": apply cannot change an object's kind or name (target the new object to create it)`,
      });
    }
    for (const [i, o] of r.objects.entries()) {
      if (o.metadata.namespace !== undefined && o.metadata.namespace !== target.namespace) {
        issues.push({
          path: 'params.manifest',
          message: `document ${i + 1} is in namespace "${o.metadata.namespace}", not the target's namespace "${target.namespace}"`,
        });
      }
    }
    return issues;
  },
} as const satisfies ActionDeclaration;

export const deleteObject = {
  id: 'delete',
  danger: true,
  title: 'Delete',
  description:
    'Delete an object with a propagation policy: Background (default; dependents are removed afterwards), Foreground (the object goes once its dependents are gone) or Orphan (dependents stay). Succeeds once the object is gone.',
  tier: 'advanced',
  targetKinds: EDITABLE_KINDS,
  params: z
    .object({
      propagationPolicy: z.enum(['Foreground', 'Background', 'Orphan']).default('Background'),
      timeoutSeconds: timeoutSeconds(120),
    })
    .strict(),
  permissions: [
    ...rulesFor(EDITABLE_KINDS, ['delete']),
    // The preview follows ownerReferences into ControllerRevisions, which the read-only role does not watch.
    { apiGroup: 'apps', resource: 'controllerrevisions', verbs: ['list'] },
  ],
} as const satisfies ActionDeclaration;
