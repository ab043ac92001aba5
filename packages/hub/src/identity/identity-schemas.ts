// The identity API's bodies and answers (zod): what the routes validate and
// what the OpenAPI document shows.
import { z } from 'zod';
import type { BindingView } from '../auth/identity-store.js';
import { PATTERN_RE } from '../auth/rbac.js';
import { BUILTIN_ROLES } from '../auth/types.js';

export const Username = z
  .string()
  .min(1)
  .max(128)
  .regex(
    /^[a-z0-9][a-z0-9._@-]*$/,
    'must be lowercase letters, digits, ".", "_", "@" or "-", starting with a letter or digit',
  );
/** New passwords; login accepts any non-empty string up to the same bound. */
export const NewPassword = z.string().min(10, 'must be at least 10 characters').max(1024);
export const Pattern = z
  .string()
  .regex(PATTERN_RE, "must be '*' or a name with '*' wildcards (lowercase letters, digits, '.', '-'; at most 253)");
export const Role = z.enum(BUILTIN_ROLES);
export const Id = z.string().min(1).max(64);
export const IdParams = z.strictObject({ id: Id });

export const UserOut = z.object({
  id: z.string(),
  username: z.string(),
  createdAt: z.number().describe('epoch ms'),
  disabled: z.boolean(),
  mustChangePassword: z.boolean(),
});
export const BindingOut = z.object({
  id: z.string(),
  userId: z.string(),
  role: Role,
  cluster: z.string().describe('cluster pattern'),
  namespace: z.string().describe('namespace pattern'),
  createdAt: z.number(),
  createdBy: z.string(),
  expiresAt: z
    .number()
    .nullable()
    .describe('just-in-time grants: when the binding ends by itself; null: until removed'),
});
export const PermissionsOut = z.object({
  global: z.array(z.string()).describe('permissions held on every cluster and namespace'),
  scopes: z.array(z.object({ cluster: z.string(), namespace: z.string(), permissions: z.array(z.string()) })),
});
export const TokenOut = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.number(),
  lastUsedAt: z.number().nullable(),
  expiresAt: z.number().nullable(),
  revokedAt: z.number().nullable(),
});

export const bindingOut = (b: BindingView): z.infer<typeof BindingOut> => ({
  id: b.id,
  userId: b.userId,
  role: b.role,
  cluster: b.clusterPattern,
  namespace: b.namespacePattern,
  createdAt: b.createdAt,
  createdBy: b.createdBy,
  expiresAt: b.expiresAt,
});
