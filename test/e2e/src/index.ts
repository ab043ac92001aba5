export * from './console.js';
export * from './chromium.js';
export * from './seeded-items.js';
export * from './live-reads.js';
