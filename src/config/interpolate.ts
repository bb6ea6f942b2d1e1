import { ConfigError, type ConfigErrorWhere } from './errors.js';

/** Replaces `${VAR}` in every string of a value; an unset variable is an error, never an empty string. */
export function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv, where: ConfigErrorWhere, path: string[] = []): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const found = env[name];
      if (found === undefined || found === '') {
        const setting = where.setting ?? (path.length ? path.join('.') : undefined);
        throw new ConfigError(`environment variable ${name} is not set (export ${name}=… or remove the reference)`, {
          ...where,
          setting,
        });
      }
      return found;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateEnv(v, env, where, [...path, String(i)]));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateEnv(v, env, where, [...path, k])]));
  }
  return value;
}
