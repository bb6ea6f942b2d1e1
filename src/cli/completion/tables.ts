import { flatten, type CommandSpec, type OptionSpec, type ValueSource } from './spec.js';

/** `@files`, `@destinations`, `@free` (anything: offer nothing), or the words themselves. */
export function token(source: ValueSource | { free: true } | undefined): string | undefined {
  if (!source) return undefined;
  if ('files' in source) return '@files';
  if ('destinations' in source) return '@destinations';
  if ('free' in source) return '@free';
  return source.words.join(' ');
}

export interface Row {
  key: string;
  value: string;
}

export interface Tables {
  /** path → its subcommands */
  commands: Row[];
  /** path → `name<sep>description` lines for its subcommands */
  commandHelp: (sep: string) => Row[];
  /** path → every flag allowed there (its own and the root's) */
  options: Row[];
  optionHelp: (sep: string) => Row[];
  /** `path|flag` → what the flag's value completes to (only flags that take one) */
  values: Row[];
  /** `path|n` → what the n-th positional argument completes to */
  args: Row[];
}

function optionsAt(spec: CommandSpec, root: CommandSpec): OptionSpec[] {
  if (spec === root) return spec.options;
  const own = new Set(spec.options.flatMap((o) => o.flags));
  return [...spec.options, ...root.options.filter((o) => !o.flags.some((f) => own.has(f)) && !o.flags.includes('--version'))];
}

export function tables(root: CommandSpec): Tables {
  const all = flatten(root);
  const key = (spec: CommandSpec) => spec.path.join(' ');
  const withSubs = all.filter((s) => s.subcommands.length);
  return {
    commands: withSubs.map((s) => ({ key: key(s), value: s.subcommands.map((c) => c.path.at(-1)).join(' ') })),
    commandHelp: (sep) =>
      withSubs.map((s) => ({ key: key(s), value: s.subcommands.map((c) => `${c.path.at(-1)}${sep}${c.description}`).join('\n') })),
    options: all.map((s) => ({ key: key(s), value: optionsAt(s, root).flatMap((o) => o.flags).join(' ') })),
    optionHelp: (sep) =>
      all.map((s) => ({ key: key(s), value: optionsAt(s, root).flatMap((o) => o.flags.map((f) => `${f}${sep}${o.description}`)).join('\n') })),
    values: all.flatMap((s) =>
      optionsAt(s, root).flatMap((o) => {
        const t = token(o.value);
        return t ? o.flags.map((f) => ({ key: `${key(s)}|${f}`, value: t })) : [];
      }),
    ),
    args: all.flatMap((s) =>
      s.args.flatMap((a, i) => {
        const t = token(a);
        return t ? [{ key: `${key(s)}|${i}`, value: t }] : [];
      }),
    ),
  };
}
