export { disable as default } from './destinations.js';
