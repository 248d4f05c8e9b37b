export * from './gateway-error.js';
export * from './render.js';
