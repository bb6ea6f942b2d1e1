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
