import type { DeliveryContext } from '../../src/connectors/core/types.js';

/** A delivery context whose state lives in a Map, for driving one connector directly. */
export function memoryContext(now: () => Date = () => new Date()): DeliveryContext & { state: { map: Map<string, string> } } {
  const map = new Map<string, string>();
  return {
    now,
    state: {
      map,
      get: async (key) => map.get(key),
      set: async (key, value) => void map.set(key, value),
      delete: async (key) => void map.delete(key),
    },
  };
}
