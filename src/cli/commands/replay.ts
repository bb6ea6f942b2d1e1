import { UsageError } from '../errors.js';
import { Output, type GlobalOptions } from '../output.js';
import { openDeliveryLog } from '../sources.js';

interface ReplayOptions {
  to: string;
  since: string;
  type?: string;
  dryRun?: boolean;
}

export default async function replay(_: string[], options: ReplayOptions, globals: GlobalOptions): Promise<void> {
  const out = new Output(globals);
  if (!options.to || !options.since) throw new UsageError('--to <destination> and --since <duration> are required');
  const log = await openDeliveryLog(globals);
  try {
    const count = await log.backfill(options.to, { since: options.since, type: options.type, dryRun: options.dryRun === true });
    if (out.json) return out.data({ destination: options.to, events: count, dryRun: options.dryRun === true });
    if (options.dryRun) out.line(`${count} stored event(s) since ${options.since} would be delivered to ${options.to}; run again without --dry-run to send`);
    else out.line(`${count} event(s) queued for ${options.to}`);
  } finally {
    await log.close();
  }
}
