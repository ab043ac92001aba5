export { createHub, type Hub, type HubOptions } from './server.js';
export { TimelineStore } from './timeline/timeline-store.js';
export { InventoryStore } from './inventory/inventory-store.js';
export { openDatabase, type HubDb } from './store/db.js';
export { createApiToken, createBinding, createUser } from './auth/identity-store.js';
export { readPasswordFile, redactUrl, isPostgresUrl } from './store/postgres.js';
export { copyStore, StoreCopyError, type StoreCopyOptions, type StoreCopyResult } from './store/store-copy.js';
export { parseByteSize } from './retention/byte-size.js';
export { Retention, type RetentionPolicy, type RetentionReport } from './retention/retention.js';
