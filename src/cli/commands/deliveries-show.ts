export { show as default } from './deliveries.js';
