export * from './sse.js';
export * from './ndjson.js';
