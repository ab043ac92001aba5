export { createHub, type Hub, type HubOptions } from './server.js';
export { TimelineStore } from './timeline/timeline-store.js';
export { InventoryStore } from './inventory/inventory-store.js';
export { openDatabase, type HubDb } from './store/db.js';
export { parseGroupMappings, type GroupMappingRule } from './oidc/group-mapping.js';
export type { LocalAccountsPolicy, OidcSettings } from './oidc/oidc-settings.js';
