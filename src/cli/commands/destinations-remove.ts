export { remove as default } from './destinations.js';
