import { UsageError } from '../errors.js';
import { Output, type GlobalOptions } from '../output.js';
import { openDeliveryLog } from '../sources.js';
import { loadCliConfig } from '../context.js';
import { formatDuration } from '../../config/duration.js';

interface ReplayOptions {
  to: string;
  since: string;
  type?: string;
  dryRun?: boolean;
  store?: string;
}

export default async function replay(_: string[], options: ReplayOptions, globals: GlobalOptions): Promise<void> {
  const out = new Output(globals);
  if (!options.to || !options.since) throw new UsageError('--to <destination> and --since <duration> are required');
  const log = await openDeliveryLog(globals, options.store);
  try {
    const count = await log.backfill(options.to, { since: options.since, type: options.type, dryRun: options.dryRun === true });
    if (out.json) return out.data({ destination: options.to, events: count, dryRun: options.dryRun === true });
    if (count === 0) {
      const { config } = await loadCliConfig(globals);
      const typed = options.type ? ` of type ${options.type}` : '';
      out.line(`no event to replay to ${options.to}: none stored since ${options.since}${typed} lacks a delivery to it`);
      out.info(
        `replay sends only events that ${options.to} has no delivery for (delivered or queued ones are left alone; \`vidhook deliveries retry\` sends those again), ` +
          `and the store keeps events for ${formatDuration(config.retentionMs)} (retention). Widen --since${options.type ? ' or drop --type' : ''}; \`vidhook tail\` shows what was sent`,
      );
    } else if (options.dryRun) out.line(`${count} stored event(s) since ${options.since} would be delivered to ${options.to}; run again without --dry-run to send`);
    else out.line(`${count} event(s) queued for ${options.to}`);
  } finally {
    await log.close();
  }
}
