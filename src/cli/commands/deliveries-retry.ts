export { retry as default } from './deliveries.js';
