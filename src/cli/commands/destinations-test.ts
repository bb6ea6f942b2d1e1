export { test as default } from './destinations.js';
