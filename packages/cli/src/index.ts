export { buildProgram } from './program.js';
export { seedDemo, DEMO_NAMESPACE } from './demo-seed.js';
