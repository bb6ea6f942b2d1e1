import { BUILTIN_EVENT_TYPES, EVENT_DESCRIPTIONS } from '../../events/index.js';
import { Output, table, type GlobalOptions } from '../output.js';
import { loadCliConfig } from '../context.js';

const REQUIRED: Record<string, string[]> = {
  'video.generated': ['video.id', 'video.title', 'user.id'],
  'video.completed': ['video.id', 'video.title', 'video.url', 'user.id'],
  'video.failed': ['video.id', 'error.message', 'user.id'],
  'user.registered': ['user.id', 'user.email'],
  'session.started': ['session.id', 'user.id'],
  'session.ended': ['session.id', 'user.id', 'session.durationSec'],
};

export default async function eventsList(_: string[], __: unknown, globals: GlobalOptions): Promise<void> {
  const out = new Output(globals);
  const { config } = await loadCliConfig(globals);
  const types = [
    ...BUILTIN_EVENT_TYPES.map((type) => ({ type, description: EVENT_DESCRIPTIONS[type], required: REQUIRED[type], custom: false })),
    ...config.customTypes.map((type) => ({ type, description: 'Custom event declared in the config.', required: [], custom: true })),
  ];
  if (out.json) return out.data(types);
  const head = ['TYPE', 'DESCRIPTION', 'REQUIRED IN DATA'].map((h) => out.color.bold(h));
  const rows = types.map((t) => [t.type, t.description, out.color.dim(t.required.join(', ') || '—')]);
  for (const line of table([head, ...rows])) out.line(line);
}
