import { UsageError } from '../errors.js';
import type { GlobalOptions } from '../output.js';
import type { Command } from 'commander';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
type Shell = (typeof SHELLS)[number];

/** The script for one shell, generated from the command tree, so it cannot miss a command. */
export async function completionScript(shell: Shell, root: Command): Promise<string> {
  const { connectorKinds } = await import('../../connectors/registry.js');
  const { BUILTIN_EVENT_TYPES } = await import('../../events/catalog.js');
  const { commandSpec } = await import('../completion/spec.js');
  const spec = commandSpec(root, { connectors: connectorKinds(), eventTypes: [...BUILTIN_EVENT_TYPES], shells: [...SHELLS] });
  if (shell === 'fish') return (await import('../completion/fish.js')).fishScript(spec);
  const { bashScript, zshScript } = await import('../completion/posix.js');
  return shell === 'bash' ? bashScript(spec) : zshScript(spec);
}

export default async function completion([shell]: string[], _: unknown, __: GlobalOptions, command: Command): Promise<void> {
  if (!(SHELLS as readonly string[]).includes(shell)) throw new UsageError(`completion ${shell}: expected one of ${SHELLS.join(', ')}`);
  let root = command;
  while (root.parent) root = root.parent;
  process.stdout.write(await completionScript(shell as Shell, root));
}
