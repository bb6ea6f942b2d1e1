import type { Envelope } from './envelope.js';

/**
 * An event read back from the JSON text it was stored as. Its id and type come with it; the rest
 * is parsed only when a connector reads it, and `eventJson` hands back the stored text itself, so
 * a webhook sends what was stored without parsing or serialising it again.
 */
export class StoredEnvelope implements Envelope {
  declare readonly timestamp: string;
  declare readonly data: Record<string, unknown>;
  readonly #json: string;
  #parsed?: Envelope;

  // Own, enumerable accessors: spreading, comparing or serialising the event sees every field.
  static readonly #fields: PropertyDescriptorMap = {
    timestamp: { enumerable: true, get: function (this: StoredEnvelope) { return this.#whole().timestamp; } },
    data: { enumerable: true, get: function (this: StoredEnvelope) { return this.#whole().data; } },
  };

  constructor(readonly id: string, readonly type: string, json: string) {
    this.#json = json;
    Object.defineProperties(this, StoredEnvelope.#fields);
  }

  #whole(): Envelope {
    return (this.#parsed ??= JSON.parse(this.#json) as Envelope);
  }

  static json(event: Envelope): string | undefined {
    return event instanceof StoredEnvelope ? event.#json : undefined;
  }
}

/** The event as JSON text: the stored text when the event was read from the store. */
export function eventJson(event: Envelope): string {
  return StoredEnvelope.json(event) ?? JSON.stringify(event);
}
