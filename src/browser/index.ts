// `vidhook/browser`. npm run build replaces this file's output with one bundled module (scripts/bundle-browser.mjs).
export { clientContext, track } from './tracking.js';
export type { BrowserEvent, ClientContext, Fbq, Gtag, Tracked } from './tracking.js';
