import { SkipDelivery } from '../../connectors/core/errors.js';
import type { AnyConnector } from '../../connectors/core/types.js';
import { connectorState, secretValues } from '../../delivery/connector-context.js';
import type { ResolvedDestination } from '../../destinations/index.js';
import { closeHttpAgents, createHttp, type Exchange } from '../../delivery/http.js';
import { BUILTIN_EVENT_TYPES, SAMPLES, buildEnvelope, matchesEventFilter, type Envelope } from '../../events/index.js';
import type { Store } from '../../store/types.js';
import { UsageError } from '../errors.js';
import type { Output } from '../output.js';
import { showsProgress } from '../tty.js';

export interface TestResult {
  destination: string;
  connector: string;
  eventType: string;
  eventId: string;
  outcome: 'delivered' | 'skipped' | 'failed';
  statusCode?: number;
  durationMs: number;
  error?: string;
  exchanges: Exchange[];
}

type SampleType = keyof typeof SAMPLES;

/** The sample a test sends: the first type with a sample that the destination takes, else its connector's first default, else video.completed. */
export function sampleTypeFor(resolved: ResolvedDestination<AnyConnector>): SampleType {
  const pick = (patterns: readonly string[]) => BUILTIN_EVENT_TYPES.find((t) => matchesEventFilter(t, patterns));
  return pick(resolved.dest.events) ?? pick(resolved.connector.defaultEvents) ?? 'video.completed';
}

function sampleEvent(type: string, customTypes: readonly string[]): Envelope {
  if (!(type in SAMPLES)) throw new UsageError(`--type ${type}: there is a sample only for ${BUILTIN_EVENT_TYPES.join(', ')}`);
  return buildEnvelope({ type, data: SAMPLES[type as SampleType]() }, { customTypes });
}

/**
 * One attempt, sent directly through the connector (no queue, no retries): a test should answer now,
 * and should work on a destination that is paused, so it can be checked before it is enabled again.
 */
export async function testDestination(
  resolved: ResolvedDestination<AnyConnector>,
  store: Store,
  options: { type?: string; customTypes?: readonly string[]; timeoutMs?: number; out?: Output },
): Promise<TestResult> {
  const { dest, connector } = resolved;
  const event = sampleEvent(options.type ?? sampleTypeFor(resolved), options.customTypes ?? []);
  if (options.out && showsProgress(options.out.options)) options.out.info(`sending a sample ${event.type} to ${dest.name}…`);
  const http = createHttp({ secrets: secretValues(resolved), timeoutMs: options.timeoutMs });
  const started = Date.now();
  let outcome: TestResult['outcome'] = 'delivered';
  let error: string | undefined;
  try {
    await connector.deliver(event, dest, http, { state: connectorState(store, dest.name), now: () => new Date() });
  } catch (err) {
    outcome = err instanceof SkipDelivery ? 'skipped' : 'failed';
    error = err instanceof SkipDelivery ? err.reason : ((err as Error)?.message ?? String(err));
  } finally {
    await closeHttpAgents();
  }
  const status = http.exchanges.at(-1)?.response?.status;
  return {
    destination: dest.name,
    connector: connector.kind,
    eventType: event.type,
    eventId: event.id,
    outcome,
    ...(status !== undefined ? { statusCode: status } : {}),
    durationMs: Date.now() - started,
    ...(error ? { error } : {}),
    exchanges: http.exchanges,
  };
}

export function printTestResult(out: Output, r: TestResult): void {
  const c = out.color;
  if (r.outcome === 'delivered') {
    out.line(`${c.green('✓')} ${r.destination} ${c.dim(`(${r.connector})`)} took a sample ${r.eventType}: ${r.statusCode ?? ''} in ${r.durationMs} ms`.replace(':  in', ': in'));
  } else if (r.outcome === 'skipped') {
    out.line(`${c.dim('–')} ${r.destination} ${c.dim(`(${r.connector})`)} skips ${r.eventType}: ${r.error}; try --type with an event it takes`);
  } else {
    process.stderr.write(`${out.errColor.red('✗')} ${r.destination} (${r.connector}) failed the test with a sample ${r.eventType}: ${r.error}\n`);
  }
  if (out.options.verbose) for (const x of r.exchanges) out.verbose(`${x.request.method} ${x.request.url} → ${x.response?.status ?? x.error}`);
}
