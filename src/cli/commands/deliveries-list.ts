export { list as default } from './deliveries.js';
