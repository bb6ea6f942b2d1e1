import { UsageError } from '../errors.js';
import { Output, type GlobalOptions } from '../output.js';
import { openDeliveryLog, type ReplayAnswer } from '../sources.js';
import { loadCliConfig } from '../context.js';
import { formatDuration, parseSince } from '../../config/duration.js';
import { matchesEventFilter } from '../../events/filter.js';

interface ReplayOptions {
  to: string;
  since: string;
  type?: string;
  dryRun?: boolean;
  store?: string;
}

/** One reason a replay matched nothing: a code for scripts and a sentence that says what to change. */
export interface NothingToReplay {
  reason: 'retention' | 'none_received' | 'type' | 'destination_events' | 'already_delivered';
  message: string;
}

interface ReplayQuestion {
  destination: string;
  sinceText: string;
  since: number;
  type?: string;
  retentionMs: number;
  now: number;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const counted = (stored: ReplayAnswer['stored']) => stored.map((s) => `${s.type} ×${s.events}`).join(', ');

/** Every reason that applies when a replay matched nothing, each as far as the counts show it. */
export function whyNothingToReplay(answer: ReplayAnswer, q: ReplayQuestion): NothingToReplay[] {
  const why: NothingToReplay[] = [];
  const kept = answer.stored.reduce((n, s) => n + s.events, 0);
  const takes = (type: string) => matchesEventFilter(type, answer.destinationEvents);
  const filter = answer.destinationEvents.join(', ');
  if (q.since < q.now - q.retentionMs) {
    why.push({
      reason: 'retention',
      message: `the store keeps events for ${formatDuration(q.retentionMs)} (retention), so --since ${q.sinceText} reaches back no further than that`,
    });
  }
  if (kept === 0) {
    why.push({ reason: 'none_received', message: `no event received since ${q.sinceText} is stored` });
  }
  const ofType = q.type === undefined ? answer.stored : answer.stored.filter((s) => s.type === q.type);
  if (q.type !== undefined && kept > 0 && ofType.length === 0) {
    why.push({ reason: 'type', message: `--type ${q.type}: no event of that type is stored since ${q.sinceText} (stored: ${counted(answer.stored)})` });
  }
  if (q.type !== undefined && !takes(q.type)) {
    why.push({ reason: 'destination_events', message: `${q.destination} does not take ${q.type}: its events are ${filter} (change them with its \`events\` setting)` });
  } else if (q.type === undefined && kept > 0 && !answer.stored.some((s) => takes(s.type))) {
    why.push({
      reason: 'destination_events',
      message: `${q.destination} takes none of the types stored since ${q.sinceText} (${counted(answer.stored)}): its events are ${filter} (change them with its \`events\` setting)`,
    });
  }
  const taken = ofType.filter((s) => takes(s.type));
  const matching = taken.reduce((n, s) => n + s.events, 0);
  if (matching > 0) {
    why.push({
      reason: 'already_delivered',
      message: `all ${plural(matching, 'event')} that match already have a delivery to ${q.destination} (delivered or queued); \`vidhook deliveries retry\` sends those again`,
    });
  }
  return why;
}

export default async function replay(_: string[], options: ReplayOptions, globals: GlobalOptions): Promise<void> {
  const out = new Output(globals);
  if (!options.to || !options.since) throw new UsageError('--to <destination> and --since <duration> are required');
  const dryRun = options.dryRun === true;
  const log = await openDeliveryLog(globals, options.store);
  try {
    const answer = await log.backfill(options.to, { since: options.since, type: options.type, dryRun });
    const why =
      answer.events === 0
        ? whyNothingToReplay(answer, {
            destination: options.to,
            sinceText: options.since,
            since: parseSince(options.since)!,
            type: options.type,
            retentionMs: (await loadCliConfig(globals)).config.retentionMs,
            now: Date.now(),
          })
        : undefined;
    if (out.json) return out.data({ destination: options.to, events: answer.events, dryRun, destinationEvents: answer.destinationEvents, stored: answer.stored, ...(why ? { why } : {}) });
    if (why) {
      out.line(`no event to replay to ${options.to} since ${options.since}${options.type ? ` of type ${options.type}` : ''}:`);
      for (const w of why) out.line(`  - ${w.message}`);
    } else if (dryRun) out.line(`${answer.events} stored event(s) since ${options.since} would be delivered to ${options.to}; run again without --dry-run to send`);
    else out.line(`${answer.events} event(s) queued for ${options.to}`);
  } finally {
    await log.close();
  }
}
