import type { Command } from 'commander';
import { DELIVERY_STATES } from '../../store/types.js';

/** What a value completes to: a fixed list, files, or destination names looked up when completing. */
export type ValueSource = { words: string[] } | { files: true } | { destinations: true };

export interface OptionSpec {
  flags: string[];
  description: string;
  value?: ValueSource | { free: true };
}

export interface CommandSpec {
  /** Words from the root, e.g. ['destinations', 'show']; [] for the root. */
  path: string[];
  description: string;
  subcommands: CommandSpec[];
  options: OptionSpec[];
  /** What each positional argument completes to (the last one repeats when variadic). */
  args: Array<ValueSource | undefined>;
}

export interface CompletionLists {
  connectors: string[];
  eventTypes: string[];
  shells: string[];
}

/** Values by option name and argument name: the command tree says which flags take a value, this says what the value is. */
function optionValue(long: string | undefined, path: string[], lists: CompletionLists): ValueSource | undefined {
  switch (long) {
    case '--to':
    case '--destination':
      return { destinations: true };
    case '--type':
      return { words: lists.eventTypes };
    case '--events':
      return { words: lists.eventTypes };
    case '--config':
    case '--data-dir':
    case '--headers':
      return { files: true };
    case '--status':
      return path[0] === 'tail'
        ? { words: ['ok', 'retrying', 'failed', 'skipped'] }
        : { words: [...DELIVERY_STATES] };
    default:
      return undefined;
  }
}

function argumentValue(name: string, lists: CompletionLists): ValueSource | undefined {
  switch (name) {
    case 'type':
      return { words: lists.eventTypes };
    case 'connector':
      return { words: lists.connectors };
    case 'name':
      return { destinations: true };
    case 'shell':
      return { words: lists.shells };
    case 'body-file':
      return { files: true };
    default:
      return undefined;
  }
}

export function commandSpec(command: Command, lists: CompletionLists, path: string[] = []): CommandSpec {
  const help = command.createHelp();
  const options: OptionSpec[] = help.visibleOptions(command).map((o) => {
    const takesValue = o.required || o.optional;
    return {
      flags: [o.short, o.long].filter((f): f is string => Boolean(f)),
      description: o.description,
      ...(takesValue ? { value: optionValue(o.long, path, lists) ?? { free: true as const } } : {}),
    };
  });
  return {
    path,
    description: command.description(),
    subcommands: help
      .visibleCommands(command)
      .filter((c) => c.name() !== 'help')
      .map((c) => commandSpec(c, lists, [...path, c.name()])),
    options,
    args: command.registeredArguments.map((a) => argumentValue(a.name(), lists)),
  };
}

export function flatten(spec: CommandSpec): CommandSpec[] {
  return [spec, ...spec.subcommands.flatMap(flatten)];
}

/** Single-quoted for every shell we generate (none of our descriptions need anything fancier). */
export function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
