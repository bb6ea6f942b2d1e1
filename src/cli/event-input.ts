import { readFileSync } from 'node:fs';
import { parseJson, SAMPLES, isBuiltinEventType } from '../events/index.js';
import { UsageError } from './errors.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `--data`: inline JSON, @file, or - for stdin. */
export async function readData(value: string): Promise<Record<string, unknown>> {
  let text: string;
  let origin = '--data';
  if (value === '-') {
    text = await readStdin();
    origin = 'stdin';
  } else if (value.startsWith('@')) {
    origin = value.slice(1);
    try {
      text = readFileSync(origin, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read ${origin}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'invalid_json');
    }
  } else {
    text = value;
  }
  let parsed: unknown;
  try {
    parsed = parseJson(text);
  } catch (err) {
    throw new UsageError(`${origin} is not valid JSON: ${(err as Error).message}`, 'invalid_json');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError(`${origin} must be a JSON object (the event's data)`, 'invalid_json');
  }
  return parsed as Record<string, unknown>;
}

/** `--set video.title=Hi`: values that parse as JSON are used as such (numbers, booleans), else as text. */
export function applySet(data: Record<string, unknown>, assignment: string): void {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new UsageError(`--set ${assignment}: expected path=value, e.g. --set video.title=Hi`);
  const path = assignment.slice(0, eq).split('.');
  if (path.some((p) => !p || p === '__proto__' || p === 'constructor' || p === 'prototype')) {
    throw new UsageError(`--set ${assignment}: "${assignment.slice(0, eq)}" is not a valid dot path`);
  }
  const raw = assignment.slice(eq + 1);
  let value: unknown = raw;
  try {
    const parsed = JSON.parse(raw);
    if (typeof parsed !== 'string') value = parsed;
  } catch {
    // plain text
  }
  let target = data;
  for (const key of path.slice(0, -1)) {
    const next = target[key];
    if (next === undefined || next === null || typeof next !== 'object' || Array.isArray(next)) target[key] = {};
    target = target[key] as Record<string, unknown>;
  }
  target[path[path.length - 1]] = value;
}

export async function eventData(type: string, options: { sample?: boolean; data?: string; set?: string[] }): Promise<Record<string, unknown>> {
  if (options.sample && options.data) throw new UsageError('use either --sample or --data, not both');
  let data: Record<string, unknown> = {};
  if (options.sample) data = isBuiltinEventType(type) ? SAMPLES[type]() : {};
  else if (options.data) data = await readData(options.data);
  for (const assignment of options.set ?? []) applySet(data, assignment);
  return data;
}
