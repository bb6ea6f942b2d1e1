/** Where a destination is defined. Later origins win by name: user store, then project file, then runtime. */
export type DestinationOrigin = 'user' | 'project' | 'runtime';

export const ORIGIN_LABEL: Record<DestinationOrigin, string> = {
  user: 'user store',
  project: 'project file',
  runtime: 'daemon registration',
};

/** A destination as config/ resolved it: its connector's kind, the events it takes and its validated settings. */
export interface Destination<Settings = Record<string, unknown>> {
  name: string;
  connector: string;
  events: string[];
  /** The config's own switch (`enabled: false`); the store's disabled flag is kept apart from it. */
  enabled: boolean;
  source: DestinationOrigin;
  settings: Settings;
  /** Overrides the global retry schedule for this destination. */
  retrySchedule?: number[];
  /** The config's `limits`, each overriding the connector's own; with a shared store they hold across daemons. */
  limits?: DeliveryLimits;
}

/** How hard a destination may be driven: requests in flight at once, requests started per second. */
export interface DeliveryLimits {
  concurrency?: number;
  perSecond?: number;
}

/**
 * A destination with the connector config/ found for it. Generic in the connector so this module
 * need not know connectors/: the engine uses it with its full connector, views with less.
 */
export interface ResolvedDestination<Connector = unknown> {
  dest: Destination;
  connector: Connector;
}
