export * from './gateway-error.js';
export * from './render.js';
export * from './startup-error.js';
export * from './budget-store-error.js';
export * from './key-store-error.js';
