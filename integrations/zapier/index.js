'use strict';
// The vidhook Zapier app: a REST Hook trigger per vidhook event type and a "Send Event" action,
// against a vidhook daemon reachable from Zapier (see README.md).
const { version } = require('./package.json');
const { version: platformVersion } = require('zapier-platform-core');
const EVENT_TYPES = require('./generated/event-types.json');
const authentication = require('./authentication');
const { addToken, explainErrors } = require('./lib/daemon');
const { eventHookTrigger } = require('./triggers/event-hook');
const { sendEvent } = require('./creates/send-event');

const triggers = Object.values(EVENT_TYPES).map(eventHookTrigger);

module.exports = {
  version,
  platformVersion,
  authentication,
  beforeRequest: [addToken],
  afterResponse: [explainErrors],
  triggers: Object.fromEntries(triggers.map((trigger) => [trigger.key, trigger])),
  creates: { [sendEvent.key]: sendEvent },
};
