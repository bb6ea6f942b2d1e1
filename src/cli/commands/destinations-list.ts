export { list as default } from './destinations.js';
