import { appendFile } from 'node:fs/promises';
import { z } from 'zod';
import { described } from '../core/settings.js';
import type { Connector } from '../core/types.js';

const settings = z.object({
  path: described(z.string().trim().min(1).optional(), 'File to append NDJSON lines to; stdout when absent or "-".'),
});

export type LogSettings = z.output<typeof settings>;

export const log: Connector<LogSettings> = {
  kind: 'log',
  title: 'Log (NDJSON)',
  category: 'webhooks',
  description: 'Writes each event as one JSON line to stdout or a file, for local debugging.',
  settings,
  defaultEvents: ['*'],
  async deliver(event, dest, http) {
    if (http.dryRun) return;
    const line = `${JSON.stringify(event)}\n`;
    const path = dest.settings.path;
    if (!path || path === '-') process.stdout.write(line);
    else await appendFile(path, line, { mode: 0o600 });
  },
};
