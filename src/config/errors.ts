export interface ConfigErrorWhere {
  file?: string;
  destination?: string;
  setting?: string;
}

/** A configuration problem, said as: where it is, then what is expected. */
export class ConfigError extends Error {
  readonly code = 'config_error';
  constructor(readonly problem: string, readonly where: ConfigErrorWhere = {}) {
    super(ConfigError.format(problem, where));
    this.name = 'ConfigError';
  }

  static format(problem: string, { file, destination, setting }: ConfigErrorWhere): string {
    const parts = [file, destination && `destination "${destination}"`, setting && `setting "${setting}"`].filter(Boolean);
    return parts.length ? `${parts.join(', ')}: ${problem}` : problem;
  }
}

/** Several configuration problems reported together. */
export class ConfigErrors extends Error {
  readonly code = 'config_error';
  constructor(readonly errors: ConfigError[]) {
    super(errors.map((e) => e.message).join('\n'));
    this.name = 'ConfigErrors';
  }
}

/**
 * A `JSON.parse` error as "line L, column C: reason": the parser counts characters from the
 * start of the text, which a person cannot find in a file.
 */
export function jsonSyntaxProblem(text: string, err: unknown): string {
  const message = String((err as Error)?.message ?? err);
  const at = /at position (\d+)/.exec(message);
  const position = at ? Number(at[1]) : /end of JSON input/.test(message) ? text.length : undefined;
  const reason = message.replace(/ in JSON at position \d+.*$/, '').replace(/^Unexpected end of JSON input$/, 'unexpected end of the file');
  if (position === undefined) return reason;
  const before = text.slice(0, position).split('\n');
  return `line ${before.length}, column ${before.at(-1)!.length + 1}: ${reason}`;
}
