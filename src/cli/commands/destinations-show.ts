export { show as default } from './destinations.js';
