/** The advisory lock key migrations run under (and, plus one, the pruning lock): "vidhook" in ASCII. */
export const PG_MIGRATION_LOCK = 0x76696468;
/** With a destination's hashed name, the lock under which one daemon at a time takes that destination's limited budget. */
export const PG_LIMITS_LOCK = 0x7669646c;

// Each entry moves the schema one version up; the table vidhook_schema records where a database stands.
// Times are epoch ms (bigint) on the database's clock; a delivery's lease_count is its fencing token.
export const PG_MIGRATIONS: string[] = [
  `
  CREATE TABLE events (
    id text PRIMARY KEY,
    seq bigserial NOT NULL UNIQUE,
    type text NOT NULL,
    timestamp text NOT NULL,
    received_at bigint NOT NULL,
    body text NOT NULL
  );
  CREATE INDEX events_received ON events (received_at);

  CREATE TABLE deliveries (
    id text PRIMARY KEY,
    event_id text NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    event_type text NOT NULL,
    destination text NOT NULL,
    state text NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    next_at bigint NOT NULL,
    lease_until bigint,
    lease_owner text,
    lease_count bigint NOT NULL DEFAULT 0,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    last_error text,
    UNIQUE (event_id, destination)
  );
  CREATE INDEX deliveries_due ON deliveries (destination, next_at) WHERE state IN ('pending', 'retrying', 'in_flight');
  CREATE INDEX deliveries_leased ON deliveries (lease_owner) WHERE state = 'in_flight';

  CREATE TABLE attempts (
    id bigserial PRIMARY KEY,
    delivery_id text NOT NULL,
    event_id text NOT NULL,
    event_type text NOT NULL,
    destination text NOT NULL,
    number integer NOT NULL,
    started_at text NOT NULL,
    started_ms bigint NOT NULL,
    duration_ms integer NOT NULL,
    outcome text NOT NULL,
    status_code integer,
    error text,
    exchanges text NOT NULL
  );
  CREATE INDEX attempts_destination ON attempts (destination, started_ms);
  CREATE INDEX attempts_delivery ON attempts (delivery_id);
  CREATE INDEX attempts_started ON attempts (started_ms);

  CREATE TABLE connector_state (
    scope text NOT NULL,
    key text NOT NULL,
    value text NOT NULL,
    PRIMARY KEY (scope, key)
  );

  CREATE TABLE runtime_destinations (
    name text PRIMARY KEY,
    body text NOT NULL
  );

  CREATE TABLE disabled_destinations (
    name text PRIMARY KEY,
    reason text NOT NULL
  );
  `,
  // Destinations held back for every daemon (circuit open, the service asked to wait), and each
  // rate-limited destination's token bucket, shared so that N daemons send N times nothing more.
  `
  CREATE TABLE destination_holds (
    name text PRIMARY KEY,
    until bigint NOT NULL,
    cause text NOT NULL,
    reason text NOT NULL
  );
  CREATE TABLE destination_rates (
    name text PRIMARY KEY,
    tokens double precision NOT NULL,
    updated_at bigint NOT NULL
  );
  `,
  // A manual retry keeps numbering attempts (#1, #2, #3 across retries) but starts the retry
  // schedule and its deadline afresh: it records the attempts made before it, and when it was made.
  `
  ALTER TABLE deliveries ADD COLUMN attempts_before_requeue integer NOT NULL DEFAULT 0;
  ALTER TABLE deliveries ADD COLUMN requeued_at bigint;
  `,
];
