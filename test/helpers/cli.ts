import { execa, type Options } from 'execa';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const BIN = resolve(import.meta.dirname, '../../bin/vidhook.js');

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface Sandbox {
  dir: string;
  env: Record<string, string>;
  /** Writes vidhook.config.yaml (or another file) in the sandbox and returns its path. */
  writeConfig(text: string, name?: string): string;
  run(args: string[], options?: Options): Promise<CliResult>;
  cleanup(): void;
}

/** A fresh working dir with its own data dir and user config dir, so runs never share state. */
export function sandbox(extraEnv: Record<string, string> = {}): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'vidhook-test-'));
  const env = {
    VIDHOOK_DATA_DIR: join(dir, 'data'),
    VIDHOOK_CONFIG_DIR: join(dir, 'user-config'),
    NO_COLOR: '1',
    CI: 'true',
    ...extraEnv,
  };
  return {
    dir,
    env,
    writeConfig(text, name = 'vidhook.config.yaml') {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    },
    async run(args, options = {}) {
      const result = await execa('node', [BIN, ...args], {
        cwd: dir,
        extendEnv: true,
        reject: false,
        stdin: 'ignore',
        timeout: 60_000,
        ...options,
        env: { ...env, ...(options.env as Record<string, string> | undefined) },
      } as Options);
      return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? '') };
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
