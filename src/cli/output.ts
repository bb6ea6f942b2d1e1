import { Chalk, type ChalkInstance } from 'chalk';

export interface GlobalOptions {
  config?: string;
  dataDir?: string;
  server?: string;
  token?: string;
  json?: boolean;
  color?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

/** Colour only for a terminal that wants it: NO_COLOR, --no-color, TERM=dumb, --json and pipes turn it off; FORCE_COLOR turns it on (NO_COLOR still wins). */
export function colorLevel(options: GlobalOptions, stream: NodeJS.WriteStream = process.stdout, env = process.env): 0 | 1 | 2 | 3 {
  if (options.json || options.color === false) return 0;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  if (env.FORCE_COLOR === '0' || env.FORCE_COLOR === 'false') return 0;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR === '3' ? 3 : env.FORCE_COLOR === '1' ? 1 : 2;
  if (env.TERM === 'dumb' || !stream.isTTY) return 0;
  return stream.hasColors?.(256) ? 2 : 1;
}

/** Colour levels of stdout and stderr. */
export interface ColorLevels {
  out: 0 | 1 | 2 | 3;
  err: 0 | 1 | 2 | 3;
}

export function colorLevels(options: GlobalOptions): ColorLevels {
  return { out: colorLevel(options), err: colorLevel(options, process.stderr) };
}

export class Output {
  readonly color: ChalkInstance;
  readonly errColor: ChalkInstance;

  constructor(readonly options: GlobalOptions, levels: ColorLevels = colorLevels(options)) {
    this.color = new Chalk({ level: levels.out });
    this.errColor = new Chalk({ level: levels.err });
  }

  get json(): boolean {
    return this.options.json === true;
  }

  /** Human output on stdout; silent under --json and --quiet. */
  line(text = ''): void {
    if (!this.json && !this.options.quiet) process.stdout.write(`${text}\n`);
  }

  /** The one JSON document of a --json run. */
  data(value: unknown): void {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** One NDJSON line of a stream. */
  record(value: unknown): void {
    process.stdout.write(`${JSON.stringify(value)}\n`);
  }

  info(text: string): void {
    if (!this.options.quiet) process.stderr.write(`${text}\n`);
  }

  warn(text: string): void {
    process.stderr.write(`${this.errColor.yellow('warning:')} ${text}\n`);
  }

  verbose(text: string): void {
    if (this.options.verbose) process.stderr.write(`${this.errColor.dim(text)}\n`);
  }
}

/** Pads columns so a table lines up; colour codes do not count toward widths. */
export function table(rows: string[][]): string[] {
  const visible = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').length;
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visible(cell))));
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(widths[i] - visible(cell))))
      .join('  ')
      .trimEnd(),
  );
}
