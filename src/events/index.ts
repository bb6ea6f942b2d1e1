export * from './catalog.js';
export * from './schemas.js';
export * from './samples.js';
export * from './envelope.js';
export * from './ids.js';
export * from './filter.js';
export * from './safe-json.js';
export { eventJsonSchema } from './json-schema.js';
export * from './stored-envelope.js';
