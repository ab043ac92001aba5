export { buildHub, type HubOptions } from './server.js';
