// Whether a running daemon took a change made by the CLI (configure, destinations enable|disable|remove).
import type { LoadedConfig } from '../config/index.js';
import type { DestinationStatus } from '../destinations/index.js';
import { findDaemon } from './context.js';
import type { GlobalOptions, Output } from './output.js';

interface DaemonStatus {
  daemon: { configGeneration?: number };
  destinations: DestinationStatus[];
}

export interface Pickup {
  url: string;
  generation: number;
  status(): Promise<DaemonStatus | undefined>;
}

export interface PickupReport {
  url: string;
  pickedUp: boolean;
}

/** How long the CLI waits for the daemon to reload (it debounces file events for 250 ms). */
const WAIT_MS = 3_000;

/** Before a change: the running daemon, if one answers, and its configuration generation. */
export async function beforeChange(globals: GlobalOptions, config?: LoadedConfig): Promise<Pickup | undefined> {
  const daemon = await findDaemon(globals, config).catch(() => undefined);
  if (!daemon) return undefined;
  const { createClient } = await import('../client.js');
  const client = createClient({ url: daemon.url, token: daemon.token, retryForMs: 0 });
  const status = () => client.request<DaemonStatus>('GET', '/api/integrations/status').catch(() => undefined);
  const now = await status();
  if (!now) return undefined;
  return { url: daemon.url, generation: now.daemon.configGeneration ?? 0, status };
}

/** After a change: waits briefly until `took` holds for the daemon's status. */
export async function afterChange(pickup: Pickup | undefined, took: (status: DaemonStatus, before: number) => boolean): Promise<PickupReport | undefined> {
  if (!pickup) return undefined;
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const status = await pickup.status();
    if (status && took(status, pickup.generation)) return { url: pickup.url, pickedUp: true };
    if (Date.now() > deadline) return { url: pickup.url, pickedUp: false };
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const reloaded = (status: DaemonStatus, before: number) => (status.daemon.configGeneration ?? 0) > before;

export function printPickup(out: Output, report: PickupReport | undefined): void {
  if (!report) return;
  if (report.pickedUp) out.info(`the daemon at ${report.url} picked the change up`);
  else out.warn(`the daemon at ${report.url} has not picked the change up: send it SIGHUP (kill -HUP <pid of vidhook serve>) or restart it`);
}
