export { createHub, type Hub, type HubOptions } from './server.js';
export { openDatabase, type HubDb } from './store/db.js';
