'use strict';
// zapier-platform-core prints its memory figures on every call unless it knows it runs under test.
process.env.NODE_ENV ??= 'test';
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');
const { createAppHandler } = require('zapier-platform-core');
const App = require('../index');
const EVENT_TYPES = require('../generated/event-types.json');

describe('the app definition', () => {
  it('passes the Zapier platform schema validation', async () => {
    const { results } = await createAppHandler(App)({ command: 'validate' });
    assert.deepEqual(results, []);
  });

  it('has one REST Hook trigger per vidhook event type, each with a sample of that type', () => {
    const triggers = Object.values(App.triggers);
    assert.deepEqual(triggers.map((t) => t.operation.sample.type), Object.keys(EVENT_TYPES));
    for (const trigger of triggers) assert.equal(trigger.operation.type, 'hook');
  });

  it('carries generated/event-types.json in step with vidhook\'s event schemas', () => {
    execFileSync(process.execPath, [join(__dirname, '../scripts/generate-event-types.js'), '--check'], { stdio: 'pipe' });
  });
});
