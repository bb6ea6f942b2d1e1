import { Command, CommanderError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { lazy } from './run.js';

// Read directly: `--version` should cost no more than one small file read.
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
const collect = (value: string, previous: string[] = []) => [...previous, value];
/** The store the commands that read the delivery log use when no daemon answers. */
const STORE_OPTION = [
  '--store <url>',
  'without a daemon, read and write this store: postgres://user@host:port/db (default: VIDHOOK_STORE, else store: in the config file, else SQLite in the data dir)',
] as const;

export function buildProgram(): Command {
  const program = new Command('vidhook')
    .description('Deliver video-platform events to webhooks, Zapier, Slack, Teams, Discord, Salesforce, HubSpot, WordPress, Shopify, GA4 and Meta.')
    .version(version, '--version', 'print the version')
    .option('--config <file>', 'project config file (default: VIDHOOK_CONFIG, else searched from the working directory up)')
    .option('--data-dir <dir>', 'state directory (default: VIDHOOK_DATA_DIR, else the user state dir)')
    .option('--server <url>', 'a running vidhook daemon (default: VIDHOOK_SERVER)')
    .option('--token <token>', 'the daemon token (default: VIDHOOK_TOKEN)')
    .option('--json', 'print one JSON document (NDJSON for streams) on stdout')
    .option('--no-color', 'no colours')
    .option('-q, --quiet', 'print only what is asked for')
    .option('-v, --verbose', 'print more detail, and stack traces on errors')
    .showSuggestionAfterError()
    .exitOverride()
    .configureHelp({ sortSubcommands: false });

  program
    .command('emit')
    .description('send one event to every destination that takes it')
    .argument('<type>', 'event type, e.g. video.generated')
    .option('--sample', 'use the bundled sample data for the type')
    .option('--data <json>', 'event data: JSON, @file, or - for stdin')
    .option('--set <path=value>', 'set a field in data by dot path, e.g. video.title=Hi (repeatable)', collect)
    .option('--id <id>', 'event id (idempotency key; generated when absent)')
    .option('--timestamp <iso>', 'event time (default: now)')
    .option('--to <names>', 'only these destinations (comma-separated)')
    .option('--dry-run', 'print every HTTP request each destination would receive, and send nothing')
    .option('--validate', "ask services that can (GA4's debug endpoint) to validate the event, and send nothing")
    .action(lazy(() => import('./commands/emit.js'), 'default'));

  const events = program.command('events').description('the event catalogue');
  events
    .command('list', { isDefault: true })
    .description('list event types')
    .action(lazy(() => import('./commands/events-list.js'), 'default'));
  events
    .command('sample')
    .description('print a realistic sample event')
    .argument('<type>', 'event type')
    .action(lazy(() => import('./commands/events-sample.js'), 'default'));
  events
    .command('schema')
    .description('print the JSON Schema of one event type, or of all')
    .argument('[type]', 'event type')
    .action(lazy(() => import('./commands/events-schema.js'), 'default'));

  program
    .command('connectors')
    .description('list connector kinds, their settings and default events')
    .action(lazy(() => import('./commands/connectors.js'), 'default'));

  program
    .command('listen')
    .description('run a local receiver that prints each request (and verifies signatures with --secret)')
    .option('--port <port>', 'port to listen on', '8787')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--secret <whsec>', 'verify Standard Webhooks signatures with this secret (default: VIDHOOK_LISTEN_SECRET)')
    .addOption(new Option('--status <code>', 'status to answer with').default('200'))
    .action(lazy(() => import('./commands/listen.js'), 'default'));

  program
    .command('verify')
    .description('check a Standard Webhooks signature; exit 0 valid, 1 invalid')
    .argument('[body-file]', 'the raw body (default: stdin)')
    .option('--secret <whsec>', 'the signing secret (default: VIDHOOK_WEBHOOK_SECRET)')
    .option('--id <id>', 'webhook-id header')
    .option('--timestamp <seconds>', 'webhook-timestamp header')
    .option('--signature <sig>', 'webhook-signature header')
    .option('--headers <file>', 'a file of headers: JSON object or "name: value" lines')
    .option('--no-tolerance', 'accept any timestamp age (for replaying recorded requests)')
    .action(lazy(() => import('./commands/verify.js'), 'default'));

  program
    .command('serve')
    .description('run the daemon: accept events on localhost, store them durably and deliver them')
    .option('--host <host>', 'address to bind (default 127.0.0.1; anything else needs --token)')
    .option('--port <port>', 'port (default 8765)')
    .option('--allow-private-targets', 'let API registrations target loopback and private addresses')
    .option('--max-body-bytes <n>', 'largest accepted request body (default 1048576)')
    .option('--min-free-disk-mb <n>', 'refuse new events (503) below this free disk (default 64)')
    .option('--max-store-mb <n>', 'refuse new events (503) once the store grows past this')
    .option('--store <url>', 'share one PostgreSQL store between daemons: postgres://user@host:port/db (default: VIDHOOK_STORE, else store: in the config file, else SQLite in the data dir)')
    .action(lazy(() => import('./commands/serve.js'), 'default'));

  program
    .command('tail')
    .description('print delivery attempts, newest last')
    .option('-f, --follow', 'keep printing new attempts')
    .option('--destination <name>', 'only this destination')
    .option('--type <type>', 'only this event type')
    .option('--status <status>', 'ok, retrying, failed or skipped')
    .option('--since <when>', 'only attempts since a duration ago (10m, 2h) or an ISO date')
    .option('-n, --lines <count>', 'how many past attempts to print first', '20')
    .option(...STORE_OPTION)
    .action(lazy(() => import('./commands/tail.js'), 'default'));

  const deliveries = program.command('deliveries').description('inspect and replay deliveries');
  deliveries
    .command('list', { isDefault: true })
    .description('list deliveries')
    .option('--status <states>', 'pending, in_flight, retrying, succeeded, failed, skipped (comma-separated)')
    .option('--destination <name>', 'only this destination')
    .option('--type <type>', 'only this event type')
    .option('--since <when>', 'created since a duration ago or an ISO date')
    .option('--limit <n>', 'page size', '50')
    .option('--after <id>', 'the page after this delivery id')
    .option(...STORE_OPTION)
    .action(lazy(() => import('./commands/deliveries.js'), 'list'));
  deliveries
    .command('show')
    .description('one delivery with every attempt, its requests and answers')
    .argument('<id>', 'delivery id')
    .option(...STORE_OPTION)
    .action(lazy(() => import('./commands/deliveries.js'), 'show'));
  deliveries
    .command('retry')
    .description('queue deliveries again: by id, or every match of --status/--destination/--since')
    .argument('[ids...]', 'delivery ids')
    .option('--status <states>', 'e.g. failed')
    .option('--destination <name>', 'only this destination')
    .option('--type <type>', 'only this event type')
    .option('--since <when>', 'created since a duration ago or an ISO date')
    .option(...STORE_OPTION)
    .action(lazy(() => import('./commands/deliveries.js'), 'retry'));

  program
    .command('replay')
    .description('backfill a destination from the stored events')
    .requiredOption('--to <destination>', 'the destination to backfill')
    .requiredOption('--since <when>', 'events received since a duration ago (7d) or an ISO date')
    .option('--type <type>', 'only this event type')
    .option('--dry-run', 'show how many events would be sent, and send nothing')
    .option(...STORE_OPTION)
    .action(lazy(() => import('./commands/replay.js'), 'default'));

  program
    .command('status')
    .description("the daemon's health and each destination's recent figures")
    .option(...STORE_OPTION)
    .action(lazy(() => import('./commands/status.js'), 'default'));

  const store = program.command('store').description("move the data dir's SQLite store into a shared PostgreSQL store");
  store
    .command('migrate')
    .description("copy the data dir's SQLite store (events, deliveries, attempts, registrations, state) into a shared PostgreSQL store")
    .requiredOption('--to <url>', 'the PostgreSQL store: postgres://user@host:port/db')
    .action(lazy(() => import('./commands/store-migrate.js'), 'default'));

  program
    .command('configure')
    .description('add or update a destination in the user store (asks on a terminal; flags otherwise)')
    .argument('[connector]', 'connector kind, e.g. slack (see `vidhook connectors`)')
    .option('--name <name>', 'destination name (default: the connector kind)')
    .option('--set <key=value>', 'a connector setting, e.g. webhookUrl=https://… (repeatable)', collect)
    .option('--events <types>', 'event types or globs it receives, comma-separated (default: the connector\'s)')
    .option('-y, --yes', 'ask nothing: take defaults, replace a destination of another connector')
    .option('--test', 'send a sample event after saving')
    .action(lazy(() => import('./commands/configure.js'), 'default'));

  const destinations = program.command('destinations').description('list, inspect, pause, test and remove destinations');
  destinations
    .command('list', { isDefault: true })
    .description('every destination and where it comes from')
    .action(lazy(() => import('./commands/destinations.js'), 'list'));
  destinations
    .command('show')
    .description('one destination, secrets masked')
    .argument('<name>', 'destination name')
    .option('--reveal-secret', "print a webhook's signing secret in full, for its receiver")
    .action(lazy(() => import('./commands/destinations.js'), 'show'));
  destinations
    .command('remove')
    .description('remove a destination from the user store (or a daemon registration)')
    .argument('<name>', 'destination name')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(lazy(() => import('./commands/destinations.js'), 'remove'));
  destinations
    .command('enable')
    .description('deliver to a destination again (also after an endpoint said 410 Gone)')
    .argument('<name>', 'destination name')
    .action(lazy(() => import('./commands/destinations.js'), 'enable'));
  destinations
    .command('disable')
    .description('pause deliveries to a destination; they wait until it is enabled')
    .argument('<name>', 'destination name')
    .action(lazy(() => import('./commands/destinations.js'), 'disable'));
  destinations
    .command('test')
    .description('send a sample event to one destination and report the outcome')
    .argument('<name>', 'destination name')
    .option('--type <type>', 'event type of the sample (default: the first the destination takes)')
    .action(lazy(() => import('./commands/destinations.js'), 'test'));

  program
    .command('doctor')
    .description('check config, secrets, store, daemon and each destination\'s credentials, with a fix for each problem')
    .option('--no-network', 'skip the daemon and credential checks')
    .action(lazy(() => import('./commands/doctor.js'), 'default'));

  program
    .command('openapi')
    .description("print the OpenAPI document of the daemon's HTTP API (also served at /api/openapi.json)")
    .action(lazy(() => import('./commands/openapi.js'), 'default'));

  program
    .command('completion')
    .description('print the shell completion script')
    .argument('<shell>', 'bash, zsh or fish')
    .action(lazy(() => import('./commands/completion.js'), 'default'));

  program
    .command('__complete', { hidden: true })
    .argument('<what>')
    .action(lazy(() => import('./commands/complete.js'), 'default'));

  return program;
}

export async function main(argv = process.argv): Promise<void> {
  // `vidhook … | head` closes the pipe early: stop quietly, as other CLIs do.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      const ok = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help';
      process.exitCode = ok ? 0 : 2;
      return;
    }
    throw err;
  }
}
