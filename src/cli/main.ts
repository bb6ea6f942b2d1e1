import { Command, CommanderError, Option } from 'commander';
import { createRequire } from 'node:module';
import { lazy } from './run.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };
const collect = (value: string, previous: string[] = []) => [...previous, value];

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
    .action(lazy(() => import('./commands/emit.js')));

  const events = program.command('events').description('the event catalogue');
  events
    .command('list', { isDefault: true })
    .description('list event types')
    .action(lazy(() => import('./commands/events-list.js')));
  events
    .command('sample')
    .description('print a realistic sample event')
    .argument('<type>', 'event type')
    .action(lazy(() => import('./commands/events-sample.js')));
  events
    .command('schema')
    .description('print the JSON Schema of one event type, or of all')
    .argument('[type]', 'event type')
    .action(lazy(() => import('./commands/events-schema.js')));

  program
    .command('connectors')
    .description('list connector kinds, their settings and default events')
    .action(lazy(() => import('./commands/connectors.js')));

  program
    .command('listen')
    .description('run a local receiver that prints each request (and verifies signatures with --secret)')
    .option('--port <port>', 'port to listen on', '8787')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--secret <whsec>', 'verify Standard Webhooks signatures with this secret (default: VIDHOOK_LISTEN_SECRET)')
    .addOption(new Option('--status <code>', 'status to answer with').default('200'))
    .action(lazy(() => import('./commands/listen.js')));

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
    .action(lazy(() => import('./commands/verify.js')));

  return program;
}

export async function main(argv = process.argv): Promise<void> {
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
