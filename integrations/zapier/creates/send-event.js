'use strict';
// "Send event": posts one event to the daemon (POST /api/events), which validates it with the same
// schemas as the CLI and delivers it to every destination that wants it. The fields of each type
// come from generated/event-types.json (vidhook's event schemas), not from the daemon at run time.
const EVENT_TYPES = require('../generated/event-types.json');
const { daemonUrl } = require('../lib/daemon');

const MORE_DATA = 'more_data';
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'prototype', 'constructor']);

function invalid(z, message) {
  return new z.errors.Error(message, 'invalid_input', 400);
}

function isEmpty(value) {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '') || (Array.isArray(value) && value.length === 0);
}

/** Zapier may hand numbers over as text: turn them into numbers, or say which field is wrong. */
function coerce(z, field, value) {
  if (field.list) return (Array.isArray(value) ? value : [value]).map(String);
  if (field.type === 'number' || field.type === 'integer') {
    const number = typeof value === 'number' ? value : Number(String(value).trim());
    if (!Number.isFinite(number) || (field.type === 'integer' && !Number.isInteger(number))) {
      throw invalid(z, `${field.label} must be ${field.type === 'integer' ? 'a whole number' : 'a number'} (got "${value}")`);
    }
    return number;
  }
  return value;
}

function setPath(z, target, path, value, from) {
  if (path.some((segment) => segment === '' || FORBIDDEN_SEGMENTS.has(segment))) {
    throw invalid(z, `${from}: "${path.join('.')}" is not a usable data path (empty or reserved segment)`);
  }
  let node = target;
  for (const segment of path.slice(0, -1)) {
    if (typeof node[segment] !== 'object' || node[segment] === null || Array.isArray(node[segment])) node[segment] = {};
    node = node[segment];
  }
  node[path[path.length - 1]] = value;
}

function eventData(z, spec, inputData) {
  const data = {};
  for (const field of spec.inputFields) {
    const value = inputData[field.key];
    if (!isEmpty(value)) setPath(z, data, field.key.split('__'), coerce(z, field, value), field.label);
  }
  // Any other data, by dot path, as `vidhook emit --set video.prompt=…` takes it; applied last.
  for (const [path, value] of Object.entries(inputData[MORE_DATA] ?? {})) {
    if (!isEmpty(value)) setPath(z, data, path.split('.'), value, 'More data');
  }
  return data;
}

const perform = async (z, bundle) => {
  const spec = EVENT_TYPES[bundle.inputData.type];
  if (!spec) {
    throw invalid(z, `Event type "${bundle.inputData.type ?? ''}" is not one vidhook knows; choose one of ${Object.keys(EVENT_TYPES).join(', ')}`);
  }
  const event = { type: spec.type, data: eventData(z, spec, bundle.inputData) };
  if (!isEmpty(bundle.inputData.id)) event.id = String(bundle.inputData.id).trim();
  if (!isEmpty(bundle.inputData.timestamp)) event.timestamp = bundle.inputData.timestamp;
  const response = await z.request({ method: 'POST', url: `${daemonUrl(z, bundle)}/api/events`, body: event });
  const [accepted] = response.data.events;
  return { id: accepted.id, type: spec.type, deliveries: accepted.deliveries, duplicate: accepted.duplicate === true };
};

const sendEvent = {
  key: 'send_event',
  noun: 'Event',
  display: {
    label: 'Send Event',
    description: 'Sends a video, user or session event to vidhook, which delivers it to every destination that wants it.',
  },
  operation: {
    inputFields: [
      {
        key: 'type',
        label: 'Event Type',
        required: true,
        choices: Object.values(EVENT_TYPES).map((spec) => ({ value: spec.type, label: spec.label, sample: spec.type })),
        altersDynamicFields: true,
        helpText: 'What happened. The fields below change with the type.',
      },
      {
        key: 'id',
        label: 'Event ID',
        type: 'string',
        required: false,
        helpText: 'The idempotency key: vidhook stores an event id once, so a repeated send with the same id delivers nothing new. Leave empty to have one generated.',
      },
      {
        key: 'timestamp',
        label: 'Event Time',
        type: 'datetime',
        required: false,
        helpText: 'When it happened; defaults to now.',
      },
      function fieldsOfType(z, bundle) {
        const spec = EVENT_TYPES[bundle.inputData.type];
        if (!spec) return [];
        const fields = spec.inputFields.map(({ key, label, type, list, required, helpText }) => ({
          key, label, type, required, ...(list ? { list } : {}), ...(helpText ? { helpText } : {}),
        }));
        return [
          ...fields,
          {
            key: MORE_DATA,
            label: 'More Data',
            dict: true,
            required: false,
            helpText: 'Anything else to put in the event\'s data, by dot path: `video.prompt`, `context.pageUrl`, `campaign`. Values here are text and are applied last.',
          },
        ];
      },
    ],
    perform,
    sample: { id: 'evt_01JDX8ZQ8M3W5Y7T9V1B2C4D6F', type: 'video.completed', deliveries: 3, duplicate: false },
    outputFields: [
      { key: 'id', label: 'Event ID', type: 'string' },
      { key: 'type', label: 'Event Type', type: 'string' },
      { key: 'deliveries', label: 'Deliveries Created', type: 'integer' },
      { key: 'duplicate', label: 'Already Stored', type: 'boolean' },
    ],
  },
};

module.exports = { sendEvent };
