export { enable as default } from './destinations.js';
