// `node --import ./record-imports.mjs …` logs every URL the ESM loader resolves to $VIDHOOK_IMPORT_LOG.
import { register } from 'node:module';

register('./record-imports-hooks.mjs', import.meta.url, { data: { file: process.env.VIDHOOK_IMPORT_LOG } });
