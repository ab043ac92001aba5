export { humanAge } from './age.js';
