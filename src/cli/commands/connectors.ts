import { connectorCatalogue } from '../../connectors/registry.js';
import { Output, type GlobalOptions } from '../output.js';

export default async function connectors(_: string[], __: unknown, globals: GlobalOptions): Promise<void> {
  const out = new Output(globals);
  const catalogue = connectorCatalogue();
  if (out.json) return out.data(catalogue);
  const c = out.color;
  for (const connector of catalogue) {
    out.line(`${c.bold(connector.kind)} ${c.dim(`(${connector.category})`)} — ${connector.description}`);
    out.line(`  default events: ${connector.defaultEvents.join(', ')}`);
    for (const s of connector.settings) {
      const flags = [s.required ? 'required' : 'optional', s.secret ? c.yellow('secret') : ''].filter(Boolean).join(', ');
      out.line(`  ${c.cyan(s.key)} ${c.dim(`(${flags})`)}${s.description ? ` ${s.description}` : ''}`);
    }
    out.line();
  }
}
