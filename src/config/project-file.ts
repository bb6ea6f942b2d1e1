import { z } from 'zod';
import { cosmiconfig } from 'cosmiconfig';
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { ConfigError, ConfigErrors } from './errors.js';
import { parseDuration } from './duration.js';

const duration = z.union([z.string(), z.number()]).refine((v) => parseDuration(String(v)) !== undefined, {
  message: 'must be a duration such as 0s, 5s, 5m, 2h or 7d',
});

const retrySchema = z
  .object({
    schedule: z.array(duration).min(1, { message: 'needs at least one step' }).optional(),
    deadline: duration.optional(),
  })
  .strict();

export const projectSchema = z
  .object({
    destinations: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
    retry: retrySchema.optional(),
    server: z
      .object({
        host: z.string().optional(),
        port: z.number().int().min(0).max(65535).optional(),
        token: z.string().optional(),
        allowPrivateTargets: z.boolean().optional(),
        maxBodyBytes: z.number().int().positive().optional(),
        allowedOrigins: z
          .array(
            z.string().regex(/^https?:\/\/[^/?#\s]+\/?$/i, { message: 'must be an origin: scheme://host[:port], no path' }),
          )
          .optional(),
      })
      .strict()
      .optional(),
    http: z.object({ timeout: duration.optional(), connectTimeout: duration.optional() }).strict().optional(),
    events: z
      .object({ custom: z.array(z.string().regex(/^[a-zA-Z0-9_]+(\.[a-zA-Z0-9_]+)*$/, { message: 'must be dot-separated words' })).optional() })
      .strict()
      .optional(),
    retention: duration.optional(),
    store: z.string().regex(/^postgres(ql)?:\/\//, { message: 'must be a PostgreSQL URL: postgres://user@host:port/db' }).optional(),
  })
  .strict();

export type ProjectConfig = z.output<typeof projectSchema>;

export interface LoadedProjectFile {
  file?: string;
  config: ProjectConfig;
}

const MODULE = 'vidhook';

/** A YAML or JSON syntax error as "line L, column C: reason" (the parsers' own text leads with the file name only). */
export function syntaxProblem(err: unknown): string {
  const e = err as { message?: string; reason?: string; mark?: { line: number; column: number }; codeFrame?: string };
  if (e.mark && e.reason) return `line ${e.mark.line + 1}, column ${e.mark.column + 1}: ${e.reason}`;
  const text = String(e.message ?? err);
  // JSON: "Unexpected token … in JSON at position N while parsing …" with a code frame "> L | …" and a caret.
  const reason = /^(?!>|\s*\|)(\S.*?)(?: while parsing .*)?$/m.exec(text.split('\n').slice(1).join('\n'))?.[1];
  const frame = /^> (\d+) \|.*\n\s*\|( *)\^/m.exec(text);
  if (frame && reason) return `line ${frame[1]}, column ${frame[2].length}: ${reason.trim()}`;
  return reason?.trim() ?? text.split('\n')[0];
}

/** The project file: `--config`/VIDHOOK_CONFIG, else searched from the working directory up. */
export async function loadProjectFile(options: { configPath?: string; cwd: string }): Promise<LoadedProjectFile> {
  const explorer = cosmiconfig(MODULE, {
    searchStrategy: 'project',
    searchPlaces: [
      'package.json',
      `${MODULE}.config.json`,
      `${MODULE}.config.yaml`,
      `${MODULE}.config.yml`,
      `${MODULE}.config.js`,
      `${MODULE}.config.mjs`,
      `${MODULE}.config.cjs`,
      `${MODULE}.config.ts`,
      `.${MODULE}rc`,
      `.${MODULE}rc.json`,
      `.${MODULE}rc.yaml`,
      `.${MODULE}rc.yml`,
      `.${MODULE}rc.js`,
      `.${MODULE}rc.mjs`,
    ],
  });
  let result;
  try {
    if (options.configPath) {
      const path = resolve(options.cwd, options.configPath);
      if (!existsSync(path)) throw new ConfigError(`config file not found (check --config or VIDHOOK_CONFIG)`, { file: options.configPath });
      result = await explorer.load(path);
    } else {
      result = await explorer.search(options.cwd);
    }
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const file = (err as { filepath?: string }).filepath ?? options.configPath;
    throw new ConfigError(`cannot be read: ${syntaxProblem(err)}`, { file });
  }
  if (!result || result.isEmpty) return { file: result?.filepath, config: {} };
  const parsed = projectSchema.safeParse(result.config ?? {});
  if (!parsed.success) {
    // Every problem, so one edit fixes the file.
    const errors = parsed.error.issues.map((issue) => {
      const path = issue.path.map(String);
      const destination = path[0] === 'destinations' ? path[1] : undefined;
      const setting = destination ? path.slice(2).join('.') || undefined : path.join('.') || undefined;
      const message = issue.code === 'unrecognized_keys' ? `unknown key(s) ${issue.keys.join(', ')}` : issue.message;
      return new ConfigError(message, { file: result.filepath, destination, setting });
    });
    throw errors.length === 1 ? errors[0] : new ConfigErrors(errors);
  }
  return { file: result.filepath, config: parsed.data };
}
