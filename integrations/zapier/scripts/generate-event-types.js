#!/usr/bin/env node
'use strict';
// Writes generated/event-types.json from vidhook's own event catalogue (the JSON Schemas of
// `vidhook events schema` and the samples the daemon serves, read from the built package), so the
// app carries its fields and samples and needs nothing from vidhook at run time. `--check`
// compares instead of writing: exit 1 when the committed file is stale.
const { existsSync, readFileSync, writeFileSync } = require('node:fs');
const { join, resolve } = require('node:path');
const { pathToFileURL } = require('node:url');

const ROOT = resolve(__dirname, '../../..');
const EVENTS = join(ROOT, 'dist/events/index.js');
const OUT = resolve(__dirname, '../generated/event-types.json');
const SAMPLE_ID = 'evt_sample';
const SAMPLE_TIMESTAMP = '2026-11-27T19:40:00.000Z';

const WORDS = { id: 'ID', url: 'URL', ip: 'IP', sec: '(seconds)' };

/** `thumbnailUrl` → `Thumbnail URL`, `durationSec` → `Duration (seconds)`. */
function humanize(name) {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[\s_]+/)
    .map((word) => WORDS[word.toLowerCase()] ?? word[0].toUpperCase() + word.slice(1))
    .join(' ');
}

/** vidhook's event catalogue: the six built-in types only (custom types are a daemon's own config). */
async function catalogue() {
  if (!existsSync(EVENTS)) throw new Error(`vidhook is not built: run \`npm run build\` in ${ROOT} first`);
  return import(pathToFileURL(EVENTS).href);
}

/** A Zapier field type for a JSON Schema leaf, or undefined when Zapier has no field for it. */
function fieldType(schema) {
  if (schema.type === 'string') return { type: schema.format === 'date-time' ? 'datetime' : 'string' };
  if (schema.type === 'integer' || schema.type === 'number' || schema.type === 'boolean') return { type: schema.type };
  if (schema.type === 'array' && schema.items?.type === 'string') return { type: 'string', list: true };
  return undefined;
}

/** One field per leaf of the shapes the type requires (`video`, `user`, …); other data goes through "More data". */
function leafFields(schema, path, required, labels) {
  if (schema.type === 'object' && schema.properties) {
    const requiredHere = new Set(schema.required ?? []);
    return Object.entries(schema.properties).flatMap(([name, child]) =>
      leafFields(child, [...path, name], required && requiredHere.has(name), [...labels, humanize(name)]),
    );
  }
  const type = fieldType(schema);
  if (!type) return [];
  const field = { key: path.join('__'), label: labels.join(' '), ...type, required };
  if (schema.pattern === '^[^@\\s]+@[^@\\s]+$') field.helpText = 'An email address (local@domain).';
  return [field];
}

function eventType(events, type) {
  const schema = events.eventJsonSchema(type);
  const data = schema.properties.data;
  const shapes = data.required ?? [];
  const fields = shapes.flatMap((shape) =>
    leafFields(data.properties[shape], [shape], true, [humanize(shape)]),
  );
  // The sample the daemon answers for a type it has no events of yet: Zapier wants samples and live payloads alike.
  const sample = events.buildEnvelope({ type, data: events.SAMPLES[type](), id: SAMPLE_ID, timestamp: SAMPLE_TIMESTAMP });
  const description = schema.description;
  return {
    type,
    key: type.replace(/\W/g, '_'),
    noun: humanize(type.split('.')[0]),
    label: type.split('.').map(humanize).join(' '),
    description,
    triggerDescription: `Triggers when ${description[0].toLowerCase()}${description.slice(1)}`,
    inputFields: fields,
    outputFields: [
      { key: 'id', label: 'Event ID', type: 'string' },
      { key: 'type', label: 'Event Type', type: 'string' },
      { key: 'timestamp', label: 'Event Time', type: 'datetime' },
      ...fields.map(({ key, label, type: fieldType }) => ({ key: `data__${key}`, label, type: fieldType })),
    ],
    sample,
  };
}

async function generate() {
  const events = await catalogue();
  const types = Object.fromEntries(events.BUILTIN_EVENT_TYPES.map((type) => [type, eventType(events, type)]));
  return `${JSON.stringify(types, null, 2)}\n`;
}

async function main() {
  const text = await generate();
  if (process.argv.includes('--check')) {
    const committed = existsSync(OUT) ? readFileSync(OUT, 'utf8') : '';
    if (committed !== text) {
      console.error(`${OUT} is not in step with vidhook's event schemas: run \`npm run generate\` in integrations/zapier and commit the result`);
      process.exit(1);
    }
    return;
  }
  writeFileSync(OUT, text);
  console.error(`wrote ${OUT}`);
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
