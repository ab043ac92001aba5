export * from './console.js';
export * from './chromium.js';
