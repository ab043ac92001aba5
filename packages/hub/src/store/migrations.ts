// Versioned schema migrations, applied in order at start-up (Kysely Migrator).
// Never edit a migration that has shipped: add the next one.
//
// One set for both dialects: write DDL with Kysely's schema builder and the
// portable types below (text, bigint for epoch-ms times and sizes, integer
// 0/1 for booleans, text for JSON). Where SQL differs (auto-increment ids,
// triggers), ask dialectOf(db) — the only branches in this file.
import { sql, type ColumnDataType, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { WORKLOAD_KINDS, workloadHealth, type InventoryItem } from '@wheelhouse/protocol';
import { dialectOf } from './dialect.js';

/**
 * An auto-assigned id column's type: SQLite's INTEGER PRIMARY KEY AUTOINCREMENT
 * (64-bit rowid) or PostgreSQL's BIGSERIAL. Use with seqId().
 */
const seqType = (db: Kysely<unknown>): ColumnDataType => (dialectOf(db) === 'postgres' ? 'bigserial' : 'integer');
const seqId =
  (db: Kysely<unknown>) =>
  <C extends { primaryKey(): C; autoIncrement(): C }>(c: C): C =>
    dialectOf(db) === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement();

/** Makes audit_log append-only: UPDATE/DELETE (and on PostgreSQL TRUNCATE) through the hub fail loudly. */
async function auditAppendOnly(db: Kysely<unknown>): Promise<void> {
  if (dialectOf(db) === 'postgres') {
    await sql`CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$`.execute(db);
    await sql`CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()`.execute(
      db,
    );
    await sql`CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()`.execute(
      db,
    );
    await sql`CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()`.execute(
      db,
    );
    return;
  }
  await sql`CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`.execute(
    db,
  );
  await sql`CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`.execute(
    db,
  );
}

const migrations: Record<string, Migration> = {
  '001_initial': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('clusters')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => c.notNull())
        .addColumn('token_revoked_at', 'bigint')
        .addColumn('agent_version', 'text')
        .addColumn('kubernetes_version', 'text')
        .addColumn('capabilities', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('last_seen_at', 'bigint')
        .addColumn('connected', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();

      await db.schema
        .createTable('resources')
        .addColumn('cluster_id', 'text', (c) => c.notNull().references('clusters.id').onDelete('cascade'))
        .addColumn('uid', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('namespace', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('resource_version', 'text', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('resources_pk', ['cluster_id', 'uid'])
        .execute();
      await db.schema
        .createIndex('resources_by_name')
        .on('resources')
        .columns(['cluster_id', 'kind', 'namespace', 'name'])
        .execute();

      await db.schema
        .createTable('timeline_events')
        .addColumn('seq', seqType(db), seqId(db))
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('cluster_id', 'text', (c) => c.notNull().references('clusters.id').onDelete('cascade'))
        .addColumn('time', 'bigint', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('namespace', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('owner_kind', 'text')
        .addColumn('owner_name', 'text')
        .addColumn('summary', 'text', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('timeline_dedupe')
        .unique()
        .on('timeline_events')
        .columns(['cluster_id', 'id'])
        .execute();
      await db.schema
        .createIndex('timeline_by_target')
        .on('timeline_events')
        .columns(['cluster_id', 'namespace', 'kind', 'name', 'time'])
        .execute();
      await db.schema
        .createIndex('timeline_by_owner')
        .on('timeline_events')
        .columns(['cluster_id', 'namespace', 'owner_kind', 'owner_name', 'time'])
        .execute();
      await db.schema.createIndex('timeline_by_time').on('timeline_events').columns(['cluster_id', 'time']).execute();

      await db.schema
        .createTable('commands')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('cluster_id', 'text', (c) => c.notNull().references('clusters.id').onDelete('cascade'))
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target_kind', 'text', (c) => c.notNull())
        .addColumn('target_namespace', 'text', (c) => c.notNull())
        .addColumn('target_name', 'text', (c) => c.notNull())
        .addColumn('params', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('dry_run', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('requested_by', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('message', 'text')
        .addColumn('result', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('dispatch_count', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createIndex('commands_by_cluster_state')
        .on('commands')
        .columns(['cluster_id', 'state', 'created_at'])
        .execute();

      await db.schema
        .createTable('command_transitions')
        .addColumn('seq', seqType(db), seqId(db))
        .addColumn('command_id', 'text', (c) => c.notNull().references('commands.id').onDelete('cascade'))
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('message', 'text')
        .execute();
      await db.schema
        .createIndex('transitions_by_command')
        .on('command_transitions')
        .columns(['command_id', 'seq'])
        .execute();

      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('username', 'text', (c) => c.notNull().unique())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('must_change_password', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();

      await db.schema
        .createTable('sessions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('csrf_token', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('api_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_used_at', 'bigint')
        .addColumn('expires_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .execute();

      await db.schema
        .createTable('role_bindings')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('cluster_pattern', 'text', (c) => c.notNull())
        .addColumn('namespace_pattern', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('bindings_by_user').on('role_bindings').column('user_id').execute();

      await db.schema
        .createTable('audit_log')
        .addColumn('seq', seqType(db), seqId(db))
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('cluster_id', 'text')
        .addColumn('target', 'text')
        .addColumn('params', 'text')
        .addColumn('reason', 'text')
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('detail', 'text')
        .addColumn('prev_hash', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_by_time').on('audit_log').column('at').execute();
      // Append-only: the store never updates or deletes audit rows.
      await auditAppendOnly(db);
    },
  },
  '002_identity_audit_indexes': {
    // Disabling a user ends their sessions and tokens; audit queries filter by
    // actor, action and cluster and page by seq (newest first).
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.createIndex('sessions_by_user').on('sessions').column('user_id').execute();
      await db.schema.createIndex('api_tokens_by_user').on('api_tokens').column('user_id').execute();
      await db.schema.createIndex('audit_by_actor').on('audit_log').columns(['actor', 'seq']).execute();
      await db.schema.createIndex('audit_by_action').on('audit_log').columns(['action', 'seq']).execute();
      await db.schema.createIndex('audit_by_cluster').on('audit_log').columns(['cluster_id', 'seq']).execute();
    },
  },
  '003_shell_sessions': {
    // Pod shell sessions and their asciicast recordings (chunked, so a long
    // session is written as it runs rather than held in memory).
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('shell_sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('cluster_id', 'text', (c) => c.notNull())
        .addColumn('namespace', 'text', (c) => c.notNull())
        .addColumn('pod', 'text', (c) => c.notNull())
        .addColumn('container', 'text', (c) => c.notNull())
        .addColumn('command', 'text', (c) => c.notNull())
        .addColumn('username', 'text', (c) => c.notNull())
        .addColumn('kube_user', 'text')
        .addColumn('client_address', 'text', (c) => c.notNull())
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('ended_at', 'bigint')
        .addColumn('end_reason', 'text')
        .addColumn('exit_code', 'integer')
        .addColumn('recorded', 'integer', (c) => c.notNull())
        .addColumn('input_captured', 'integer', (c) => c.notNull())
        .addColumn('recording_bytes', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('recording_truncated', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.createIndex('shell_sessions_by_time').on('shell_sessions').column('started_at').execute();
      await db.schema
        .createIndex('shell_sessions_by_user')
        .on('shell_sessions')
        .columns(['username', 'started_at'])
        .execute();
      await db.schema
        .createTable('shell_recordings')
        .addColumn('session_id', 'text', (c) => c.notNull().references('shell_sessions.id').onDelete('cascade'))
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('shell_recordings_pk', ['session_id', 'seq'])
        .execute();
    },
  },
  '004_pod_security': {
    // The Pod Security Standards level an admin chose per cluster (baseline by
    // default), and the policy each command was authorized under, which the
    // agent enforces again.
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable('clusters')
        .addColumn('pod_security_level', 'text', (c) => c.notNull().defaultTo('baseline'))
        .execute();
      await db.schema.alterTable('commands').addColumn('policy', 'text').execute();
    },
  },
  '005_scoped_read_indexes': {
    // Lists a namespace-scoped caller reads are index seeks (issue 13 item 8):
    // inventory by (kind, namespace ∈ permitted) and the cluster's distinct
    // namespaces; commands per (cluster, namespace) newest first; timelines
    // newest first per cluster and per namespace. uid/id/seq end each index
    // so keyset pages need no sort. Plain B-tree indexes: portable.
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createIndex('resources_by_kind')
        .on('resources')
        .columns(['cluster_id', 'kind', 'namespace', 'name', 'uid'])
        .execute();
      await db.schema
        .createIndex('resources_by_namespace')
        .on('resources')
        .columns(['cluster_id', 'namespace', 'kind', 'name', 'uid'])
        .execute();
      // resources_by_kind starts with the same columns.
      await db.schema.dropIndex('resources_by_name').execute();
      await db.schema
        .createIndex('commands_by_namespace')
        .on('commands')
        .columns(['cluster_id', 'target_namespace', 'created_at', 'id'])
        .execute();
      await db.schema.createIndex('commands_by_time').on('commands').columns(['created_at', 'id']).execute();
      await db.schema.createIndex('timeline_by_seq').on('timeline_events').columns(['cluster_id', 'seq']).execute();
      await db.schema
        .createIndex('timeline_by_namespace_seq')
        .on('timeline_events')
        .columns(['cluster_id', 'namespace', 'seq'])
        .execute();
    },
  },
  '006_one_time_password_expiry': {
    // A one-time password (generated, or set by an admin) must be used and
    // replaced before this time; null for a password the user chose.
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('users').addColumn('password_expires_at', 'bigint').execute();
    },
  },
  '007_audit_hmac_keys': {
    // The audit chain is keyed (issue 13 item 14): each new record names the
    // HMAC key that chained it. Records before this stay unkeyed (key_id
    // NULL) and keep verifying with their sha256.
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('audit_log').addColumn('key_id', 'text').execute();
    },
  },
  '008_retention': {
    // Retention deletes timeline events by age (an index on time alone) and
    // removes old recordings while keeping the session's record.
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.createIndex('timeline_by_event_time').on('timeline_events').column('time').execute();
      await db.schema.alterTable('shell_sessions').addColumn('recording_expired_at', 'bigint').execute();
    },
  },
  '009_sso': {
    // Single sign-on: IdP identities, the bindings group mapping made (so the
    // next sign-in can replace exactly those), authorization requests in
    // flight, SSO sessions' ID tokens (logout hint) and CLI exchange codes.
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('oidc_identities')
        .addColumn('issuer', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('groups', 'text', (c) => c.notNull())
        .addColumn('first_seen_at', 'bigint', (c) => c.notNull())
        .addColumn('last_sign_in_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('oidc_identities_pk', ['issuer', 'subject'])
        .execute();
      await db.schema.createIndex('oidc_identities_by_user').on('oidc_identities').column('user_id').execute();
      await db.schema
        .createTable('sso_bindings')
        .addColumn('binding_id', 'text', (c) => c.primaryKey().references('role_bindings.id').onDelete('cascade'))
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('group_name', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sso_bindings_by_user').on('sso_bindings').column('user_id').execute();
      await db.schema
        .createTable('oidc_login_attempts')
        .addColumn('state_hash', 'text', (c) => c.primaryKey())
        .addColumn('browser_hash', 'text', (c) => c.notNull())
        .addColumn('nonce', 'text', (c) => c.notNull())
        .addColumn('code_verifier', 'text', (c) => c.notNull())
        .addColumn('return_to', 'text', (c) => c.notNull())
        .addColumn('cli_redirect', 'text')
        .addColumn('cli_state', 'text')
        .addColumn('cli_challenge', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('oidc_sessions')
        .addColumn('session_id_hash', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('id_token', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('oidc_cli_codes')
        .addColumn('code_hash', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('cli_challenge', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
  '010_access_requests': {
    // Just-in-time access: requests and the time-bound bindings approvals make.
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('role_bindings').addColumn('expires_at', 'bigint').execute();
      await db.schema
        .createTable('access_requests')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('requester_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('requester', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('cluster_pattern', 'text', (c) => c.notNull())
        .addColumn('namespace_pattern', 'text', (c) => c.notNull())
        .addColumn('duration_ms', 'bigint', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('decided_by', 'text')
        .addColumn('decided_at', 'bigint')
        .addColumn('comment', 'text')
        .addColumn('binding_id', 'text')
        .addColumn('expires_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('access_requests_by_state')
        .on('access_requests')
        .columns(['state', 'expires_at'])
        .execute();
    },
  },
  '011_insights': {
    // Health insights the agents report (hub/src/insights/): open or resolved, one row per problem.
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('insights')
        .addColumn('cluster_id', 'text', (c) => c.notNull().references('clusters.id').onDelete('cascade'))
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('check_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('namespace', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('owner_kind', 'text')
        .addColumn('owner_name', 'text')
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('fix', 'text', (c) => c.notNull())
        .addColumn('since', 'bigint', (c) => c.notNull())
        .addColumn('evidence', 'text', (c) => c.notNull())
        .addColumn('action', 'text')
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('opened_at', 'bigint', (c) => c.notNull())
        .addColumn('resolved_at', 'bigint')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('insights_pk', ['cluster_id', 'id'])
        .execute();
      await db.schema
        .createIndex('insights_by_state')
        .on('insights')
        .columns(['cluster_id', 'state', 'namespace'])
        .execute();
    },
  },
  '012_usage_samples': {
    // Resource usage history (hub/src/usage/): a point a minute per node and container, pruned after a day.
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('usage_samples')
        .addColumn('cluster_id', 'text', (c) => c.notNull().references('clusters.id').onDelete('cascade'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('namespace', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('container', 'text', (c) => c.notNull())
        .addColumn('minute', 'bigint', (c) => c.notNull())
        .addColumn('cpu', 'double precision', (c) => c.notNull())
        .addColumn('memory', 'double precision', (c) => c.notNull())
        .addColumn('request_cpu', 'double precision')
        .addColumn('request_memory', 'double precision')
        .addColumn('limit_cpu', 'double precision')
        .addColumn('limit_memory', 'double precision')
        .addPrimaryKeyConstraint('usage_samples_pk', ['cluster_id', 'kind', 'namespace', 'name', 'container', 'minute'])
        .execute();
      await db.schema
        .createIndex('usage_samples_by_minute')
        .on('usage_samples')
        .columns(['cluster_id', 'minute'])
        .execute();
    },
  },
  '013_resource_list_keys': {
    // The console's lists page, sort and filter in SQL (issue 18): a pod's phase
    // ('' for other kinds) and creation time as columns, backfilled from the
    // stored JSON, and one index per sort key, each ending in uid so keyset
    // pages need no sort. Name prefixes are compared bytewise: SQLite's BINARY
    // collation; on PostgreSQL an index on name COLLATE "C" (the database's own
    // collation may ignore '-').
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable('resources')
        .addColumn('status', 'text', (c) => c.notNull().defaultTo(''))
        .execute();
      await db.schema
        .alterTable('resources')
        .addColumn('created_at', 'bigint', (c) => c.notNull().defaultTo(0))
        .execute();
      if (dialectOf(db) === 'postgres') {
        await sql`UPDATE resources SET created_at = COALESCE((data::json->>'createdAt')::bigint, 0),
          status = CASE WHEN kind = 'Pod' THEN COALESCE(data::json->'summary'->>'phase', '') ELSE '' END`.execute(db);
        await sql`CREATE INDEX resources_by_name_c ON resources (cluster_id, kind, (name COLLATE "C"), namespace, uid)`.execute(
          db,
        );
      } else {
        await sql`UPDATE resources SET created_at = COALESCE(json_extract(data, '$.createdAt'), 0),
          status = CASE WHEN kind = 'Pod' THEN COALESCE(json_extract(data, '$.summary.phase'), '') ELSE '' END`.execute(
          db,
        );
        await db.schema
          .createIndex('resources_by_name_c')
          .on('resources')
          .columns(['cluster_id', 'kind', 'name', 'namespace', 'uid'])
          .execute();
      }
      await db.schema
        .createIndex('resources_by_age')
        .on('resources')
        .columns(['cluster_id', 'kind', 'created_at', 'uid'])
        .execute();
      await db.schema
        .createIndex('resources_by_status')
        .on('resources')
        .columns(['cluster_id', 'kind', 'status', 'namespace', 'name', 'uid'])
        .execute();
    },
  },
  '014_login_throttle': {
    // Sign-in throttling in the store (auth/store-login-throttle.ts): hub replicas sharing a
    // PostgreSQL database count failed sign-ins together. Rows expire (updated_at) and are pruned.
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('login_throttle')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('failures', 'text', (c) => c.notNull()) // JSON array of epoch ms within the window
        .addColumn('locked_until', 'bigint', (c) => c.notNull())
        .addColumn('locks', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('login_throttle_by_update').on('login_throttle').column('updated_at').execute();
    },
  },
  '015_access_pending_expiry': {
    // Pending access requests lapse unanswered (hub/src/access/): when, per request, fixed when asked.
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('access_requests').addColumn('pending_until', 'bigint').execute();
      // Requests already waiting get the default day from when they were made.
      await sql`UPDATE access_requests SET pending_until = created_at + 86400000 WHERE state = 'pending'`.execute(db);
    },
  },
  '016_replicas': {
    // Hubs sharing a PostgreSQL store (docs/architecture.md, "Replicas"): who runs, and which one holds each agent link.
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('hub_replicas')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('peer_url', 'text') // where siblings reach its internal peer route; null: none (SQLite, tests)
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('heartbeat_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('agent_links')
        .addColumn('cluster_id', 'text', (c) => c.primaryKey().references('clusters.id').onDelete('cascade'))
        .addColumn('replica_id', 'text', (c) => c.notNull())
        .addColumn('connected_at', 'bigint', (c) => c.notNull())
        .execute();
      // The replica relaying a shell: start-up cleanup closes only its own (or a dead replica's) sessions.
      await db.schema.alterTable('shell_sessions').addColumn('replica_id', 'text').execute();
    },
  },
  '017_pod_node': {
    // Per-node pod counts in SQL (issue 18, the Nodes page): a pod's node
    // ('' for other kinds and unscheduled pods) as a column, backfilled from
    // the stored JSON, with an index so counting a cluster's pods by node is
    // an index scan (never the rows' JSON) — see InventoryStore.podsByNode.
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable('resources')
        .addColumn('node', 'text', (c) => c.notNull().defaultTo(''))
        .execute();
      if (dialectOf(db) === 'postgres')
        await sql`UPDATE resources SET node = COALESCE(data::json->'summary'->>'nodeName', '') WHERE kind = 'Pod'`.execute(
          db,
        );
      else
        await sql`UPDATE resources SET node = COALESCE(json_extract(data, '$.summary.nodeName'), '') WHERE kind = 'Pod'`.execute(
          db,
        );
      await db.schema
        .createIndex('resources_by_node')
        .on('resources')
        .columns(['cluster_id', 'kind', 'node', 'namespace'])
        .execute();
    },
  },
  '018_shell_reattach': {
    // A shell survives a reload: its row counts how often the client took it back (hub/src/shell/shell-relay.ts).
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable('shell_sessions')
        .addColumn('reattach_count', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
    },
  },
  '019_timeline_object_seq': {
    // An object's timeline (a workload and its pods) newest first, in pages
    // by seq (issue 18: a workload with 100k events): one ordered seek on the
    // object's own events and one on its pods' (TimelineStore.query merges
    // them). The indexes they replace ended in time, so every page sorted the
    // object's whole history, or walked the namespace's; time and type close
    // the index so range and type filters are checked without reading rows.
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('timeline_by_target').execute();
      await db.schema.dropIndex('timeline_by_owner').execute();
      await db.schema
        .createIndex('timeline_by_target_seq')
        .on('timeline_events')
        .columns(['cluster_id', 'namespace', 'kind', 'name', 'seq', 'time', 'type'])
        .execute();
      await db.schema
        .createIndex('timeline_by_owner_seq')
        .on('timeline_events')
        .columns(['cluster_id', 'namespace', 'owner_kind', 'owner_name', 'seq', 'time', 'type'])
        .execute();
    },
  },
  '020_workload_pods': {
    // The Workloads page's pod counts in SQL (issue 18): each object's first
    // owner reference ("ReplicaSet/web-5d9c"), a pod's readiness and restarts
    // as columns, and an index that covers counting a workload's pods (an
    // index-only range per owner, never the rows' JSON). A workload's health
    // level goes into status, so "only unhealthy" is a filter in SQL. Backfilled
    // from the stored JSON (health in Node: workloads are few).
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable('resources')
        .addColumn('owner', 'text', (c) => c.notNull().defaultTo(''))
        .execute();
      await db.schema
        .alterTable('resources')
        .addColumn('ready', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .alterTable('resources')
        .addColumn('restarts', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      if (dialectOf(db) === 'postgres') {
        await sql`UPDATE resources SET owner = COALESCE((data::json->'ownerRefs'->0->>'kind') || '/' || (data::json->'ownerRefs'->0->>'name'), '')`.execute(
          db,
        );
        await sql`UPDATE resources SET ready = CASE WHEN data::json->'summary'->>'ready' = 'true' THEN 1 ELSE 0 END,
          restarts = COALESCE((data::json->'summary'->>'restarts')::integer, 0) WHERE kind = 'Pod'`.execute(db);
      } else {
        await sql`UPDATE resources SET owner = COALESCE(json_extract(data, '$.ownerRefs[0].kind') || '/' || json_extract(data, '$.ownerRefs[0].name'), '')`.execute(
          db,
        );
        await sql`UPDATE resources SET ready = CASE WHEN json_extract(data, '$.summary.ready') THEN 1 ELSE 0 END,
          restarts = COALESCE(json_extract(data, '$.summary.restarts'), 0) WHERE kind = 'Pod'`.execute(db);
      }
      const workloads = await sql<{ cluster_id: string; uid: string; data: string }>`SELECT cluster_id, uid, data
        FROM resources WHERE kind IN (${sql.join([...WORKLOAD_KINDS])})`.execute(db);
      for (const w of workloads.rows) {
        const status = workloadHealth(JSON.parse(w.data) as InventoryItem).level;
        await sql`UPDATE resources SET status = ${status} WHERE cluster_id = ${w.cluster_id} AND uid = ${w.uid}`.execute(
          db,
        );
      }
      await db.schema
        .createIndex('resources_by_owner')
        .on('resources')
        .columns(['cluster_id', 'kind', 'namespace', 'owner', 'ready', 'restarts'])
        .execute();
    },
  },
  '021_notifications': {
    // Notification rules and their delivery bookkeeping (hub/src/notifications/, docs/notifications.md).
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('notification_rules')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('cluster_pattern', 'text', (c) => c.notNull())
        .addColumn('namespace_pattern', 'text', (c) => c.notNull())
        .addColumn('min_severity', 'text', (c) => c.notNull())
        .addColumn('events', 'text', (c) => c.notNull())
        .addColumn('format', 'text', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_at', 'bigint')
        .addColumn('last_ok', 'integer')
        .addColumn('last_status', 'integer')
        .addColumn('last_error', 'text')
        .addColumn('last_attempts', 'integer')
        .addColumn('delivered', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('failed', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('suppressed', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('dropped', 'bigint', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createTable('notification_sent')
        .addColumn('rule_id', 'text', (c) => c.notNull().references('notification_rules.id').onDelete('cascade'))
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('sent_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('notification_sent_pk', ['rule_id', 'key'])
        .execute();
      await db.schema.createIndex('notification_sent_by_time').on('notification_sent').column('sent_at').execute();
      await db.schema
        .createTable('notification_cursor')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
  '022_sso_session_refresh': {
    // SSO sessions end with the provider's say (hub/src/oidc/sso-sessions.ts): the ID token's
    // expiry, the refresh token (encrypted; NULL when the provider gave none) and a short claim
    // so one replica at a time uses it. Rows from before stay unbounded (NULL expiry).
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('oidc_sessions').addColumn('refresh_token', 'text').execute();
      await db.schema.alterTable('oidc_sessions').addColumn('id_token_expires_at', 'bigint').execute();
      await db.schema.alterTable('oidc_sessions').addColumn('refresh_claimed_until', 'bigint').execute();
      await db.schema
        .createIndex('oidc_sessions_by_expiry')
        .on('oidc_sessions')
        .column('id_token_expires_at')
        .execute();
    },
  },
  '023_timeline_dedupe_by_object': {
    // SQLite: timeline events are deduplicated per (cluster, object, id), no
    // longer per (cluster, id) (issue 18: ingest). Event ids begin with the
    // object's uid (`pod-phase:<uid>:…`), so the old key put every new event
    // on a random leaf of a B-tree as large as the table: one more page
    // written to the WAL per event at each commit, about 40 % of an agent
    // batch's pages. Keyed like the object's own timeline index, an event
    // lands beside its object's earlier ones. Every id the agent and the hub
    // make names one object (its uid, command, shell or request), so a
    // re-sent event still conflicts; rows unique under the old key are
    // unique under this one.
    // PostgreSQL keeps timeline_dedupe for now: during a rolling upgrade the
    // previous version's replicas insert with ON CONFLICT (cluster_id, id),
    // which needs that index. This version's inserts name no conflict target
    // (any unique index decides), so a later migration may swap the index on
    // PostgreSQL too once no replica runs a version older than this one.
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialectOf(db) === 'postgres') return;
      await db.schema
        .createIndex('timeline_dedupe_by_object')
        .unique()
        .on('timeline_events')
        .columns(['cluster_id', 'namespace', 'kind', 'name', 'id'])
        .execute();
      await db.schema.dropIndex('timeline_dedupe').execute();
    },
  },
  '024_timeline_without_event_time_index': {
    // SQLite: every timeline row is one B-tree insert fewer (issue 18: ingest).
    // The index on time alone (008) served only retention's delete by age,
    // which now seeks per cluster on timeline_by_time (cluster_id, time), as
    // every time range of the Timeline views does; no other statement the
    // hub runs on the timeline takes it (timeline-query-plans.test.ts).
    // PostgreSQL keeps it (its indexes were not measured in this change).
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialectOf(db) === 'postgres') return;
      await db.schema.dropIndex('timeline_by_event_time').execute();
    },
  },
  '025_resource_labels_gin': {
    // PostgreSQL: a Service's pods by label selector (issue 18) are read from
    // an index, not by parsing the JSON of every row of the namespace (5,000
    // rows for 3 matches: 54 ms, 320 ms under load). A GIN index on exactly
    // the expression InventoryStore's labelsHold compares, jsonb_path_ops (a
    // hash per key=value; by PostgreSQL's documentation smaller and faster
    // for `@>` than jsonb_ops, whose key-exists operators we never use). The
    // query keeps its cluster, kind and namespace conditions: the planner
    // checks them on the index's matches, or ANDs the index with that B-tree
    // range when the selector matches many. The build fills it from the rows
    // already stored. An expression index rather than a stored generated
    // labels column: no table rewrite under an exclusive lock at upgrade, no
    // PostgreSQL-only column for SQLite and store copy to know of, cheaper
    // bulk upserts (measured: docs/performance.md, "PostgreSQL: the selector
    // from a GIN index"). SQLite keeps json_extract over the namespace's
    // index range (13.9 ms for 5,000 rows): it has no inverted index, and an
    // index per label key cannot serve arbitrary keys.
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialectOf(db) !== 'postgres') return;
      await sql`CREATE INDEX resources_by_labels ON resources
        USING gin (((data::json -> 'labels')::jsonb) jsonb_path_ops)`.execute(db);
    },
  },
  '026_workload_template_labels_gin': {
    // PostgreSQL: a Service's workloads by its selector over their pod
    // template's labels (issue 18, `templateSelector`), read from an index
    // rather than by parsing every workload of the namespace and kind (10,000
    // Deployments of a team's namespace: docs/performance.md, "A Service's
    // workloads by their pod template"). Like 025: GIN, jsonb_path_ops, on
    // exactly the expression InventoryStore's templateLabelsHold compares
    // (TEMPLATE_LABELS_PATH, written as a literal there too). Partial: only
    // the kinds that carry a template, so a pod's write (the bulk of an
    // agent's) neither parses its JSON for it nor adds an entry; the query's
    // kind (one of them: the route admits no other) implies the predicate.
    // fastupdate = off: rows written after the migration (a new store's
    // snapshots) go straight into the index rather than GIN's pending list,
    // which only (auto)vacuum flushes — measured: 24,500 workloads stored
    // after it left a 1.4 MB index the planner passed over for the namespace's
    // every row (3 of 2,000 in 126 ms, as without an index), against 200 kB
    // and 17 ms without a pending list. Workloads are written rarely, so the
    // direct insert's cost goes unnoticed (their batches of 1,000 within the noise).
    // SQLite keeps json_extract over the namespace's index range.
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialectOf(db) !== 'postgres') return;
      await sql`CREATE INDEX resources_by_template_labels ON resources
        USING gin (((data::json #> '{summary,spec,template,labels}')::jsonb) jsonb_path_ops)
        WITH (fastupdate = off)
        WHERE kind IN ('Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob')`.execute(db);
    },
  },
};

/** Every migration's name, in the order applied. */
export const migrationNames = (): string[] => Object.keys(migrations).sort();

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};
