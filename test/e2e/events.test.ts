import { afterEach, describe, expect, it } from 'vitest';
import { buildEnvelope } from '../../src/events/index.js';
import { sandbox, type Sandbox } from '../helpers/cli.js';

describe('vidhook events', () => {
  let box: Sandbox;
  afterEach(() => box.cleanup());

  it('lists the six types with their required fields, and custom ones from the config', async () => {
    box = sandbox();
    box.writeConfig('events:\n  custom: [export.downloaded]\n');
    const result = await box.run(['events', 'list', '--json']);
    expect(result.exitCode).toBe(0);
    const types = JSON.parse(result.stdout);
    expect(types.map((t: { type: string }) => t.type)).toEqual([
      'video.generated', 'video.completed', 'video.failed', 'user.registered', 'session.started', 'session.ended', 'export.downloaded',
    ]);
    expect(types[1].required).toEqual(['video.id', 'video.title', 'video.url', 'user.id']);
  });

  it('prints a sample envelope that validates', async () => {
    box = sandbox();
    const result = await box.run(['events', 'sample', 'session.ended']);
    const event = JSON.parse(result.stdout);
    expect(event.id).toMatch(/^evt_[0-9A-Z]{26}$/);
    expect(() => buildEnvelope(event)).not.toThrow();
    expect(event.data.session.durationSec).toBe(1530);
  });

  it('prints the JSON Schema of a type with its required fields', async () => {
    box = sandbox();
    const result = await box.run(['events', 'schema', 'user.registered']);
    const schema = JSON.parse(result.stdout);
    expect(schema.properties.type).toEqual({ const: 'user.registered' });
    expect(schema.properties.data.required).toContain('user');
    expect(schema.properties.data.properties.user.required).toEqual(expect.arrayContaining(['id', 'email']));
  });

  it('exits 2 for an unknown type', async () => {
    box = sandbox();
    const result = await box.run(['events', 'schema', 'nope']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('unknown event type "nope"');
  });
});
