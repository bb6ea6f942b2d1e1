/** Deliveries still to make: the condition of the due index, which queries must repeat to use it. */
export const DUE = `(state = 'pending' OR state = 'retrying' OR state = 'in_flight')`;

// Each entry moves the schema one version up; PRAGMA user_version records where a file stands.
export const MIGRATIONS: string[] = [
  `
  CREATE TABLE events (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    body TEXT NOT NULL
  );
  CREATE INDEX events_received ON events (received_at);

  CREATE TABLE deliveries (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    event_type TEXT NOT NULL,
    destination TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL,
    lease_until INTEGER,
    lease_token TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    last_error TEXT,
    UNIQUE (event_id, destination)
  );
  CREATE INDEX deliveries_due ON deliveries (destination, state, next_at);
  CREATE INDEX deliveries_state ON deliveries (state, created_at);

  CREATE TABLE attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    destination TEXT NOT NULL,
    number INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    started_ms INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    status_code INTEGER,
    error TEXT,
    exchanges TEXT NOT NULL
  );
  CREATE INDEX attempts_destination ON attempts (destination, started_ms);
  CREATE INDEX attempts_delivery ON attempts (delivery_id);
  CREATE INDEX attempts_started ON attempts (started_ms);

  CREATE TABLE connector_state (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (scope, key)
  );

  CREATE TABLE runtime_destinations (
    name TEXT PRIMARY KEY,
    body TEXT NOT NULL
  );
  `,
  `ALTER TABLE deliveries ADD COLUMN lease_owner TEXT;`,
  // Due work is found through a partial index ordered by time; an in-flight delivery's next_at
  // is its lease expiry, so a crashed holder's work becomes due by the same index.
  `
  DROP INDEX deliveries_due;
  CREATE INDEX deliveries_due ON deliveries (destination, next_at) WHERE state IN ('pending', 'retrying', 'in_flight');
  `,
  // Every index is written on each delivery's two state changes; keep only those the hot paths use.
  // Operator queries by state or time scan in id order, which stays cheap at their page sizes.
  `
  DROP INDEX deliveries_state;
  DROP INDEX attempts_started;
  `,
  // The same index with its condition spelt as ORs: SQLite checks an IN list through a temporary
  // b-tree, built and freed on every insert and update of a delivery. Leases in flight get a
  // small index of their own, so a restart finds a dead process's leases without a full scan.
  `
  DROP INDEX deliveries_due;
  CREATE INDEX deliveries_due ON deliveries (destination, next_at) WHERE ${DUE};
  CREATE INDEX deliveries_leased ON deliveries (lease_owner) WHERE state = 'in_flight';
  `,
  // A destination's disabled flag gets a table of its own, out of the connectors' key/value state
  // where it was a row keyed 'disabled' in the scope 'destination:<name>'.
  `
  CREATE TABLE disabled_destinations (
    name TEXT PRIMARY KEY,
    reason TEXT NOT NULL
  );
  INSERT INTO disabled_destinations (name, reason)
    SELECT substr(scope, length('destination:') + 1), value FROM connector_state WHERE scope LIKE 'destination:%' AND key = 'disabled';
  DELETE FROM connector_state WHERE scope LIKE 'destination:%' AND key = 'disabled';
  `,
  // Destinations held back (circuit open, the service asked to wait), so every reader sees it.
  `
  CREATE TABLE destination_holds (
    name TEXT PRIMARY KEY,
    until INTEGER NOT NULL,
    cause TEXT NOT NULL,
    reason TEXT NOT NULL
  );
  `,
  // A manual retry keeps numbering attempts (#1, #2, #3 across retries) but starts the retry
  // schedule and its deadline afresh: it records the attempts made before it, and when it was made.
  `
  ALTER TABLE deliveries ADD COLUMN attempts_before_requeue INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE deliveries ADD COLUMN requeued_at INTEGER;
  `,
];
