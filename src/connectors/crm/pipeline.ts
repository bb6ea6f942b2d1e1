import { z } from 'zod';
import { BUILTIN_EVENT_TYPES, type Envelope } from '../../events/index.js';
import { renderTemplate, templateProblem, templateVariables, TemplateError } from '../templates.js';
import { PayloadValidationError } from '../core/index.js';

/**
 * A deal or opportunity stage per event type, in pipeline order: `{ user.registered: lead,
 * video.completed: qualified }`. The first mapped event creates the record at its stage; later
 * ones only move it forward along this order.
 */
export type StageMap = Record<string, string>;

/** The stage map setting: keys are event types, values stage ids or names, at least one entry. */
export const stageMapSchema = (what: string) =>
  z.record(z.string(), z.string().trim().min(1, { message: `must name a ${what}` })).superRefine((stages, issue) => {
    const keys = Object.keys(stages);
    if (keys.length === 0) issue.addIssue({ code: 'custom', message: `must map at least one event type to a ${what}` });
    for (const key of keys) {
      if (!(BUILTIN_EVENT_TYPES as readonly string[]).includes(key)) {
        issue.addIssue({ code: 'custom', path: [key], message: `"${key}" is not an event type; use one of ${BUILTIN_EVENT_TYPES.join(', ')}` });
      }
    }
  });

/** The distinct stages in the map's order: the pipeline as vidhook sees it. */
export function stageOrder(stages: StageMap): string[] {
  return [...new Set(Object.values(stages))];
}

/**
 * Whether moving from `current` to `next` goes forward. A record in a stage the map does not
 * name was put there by a person (closed lost, a stage of their own): it is left alone.
 */
export function movesForward(stages: StageMap, current: string | undefined, next: string): boolean {
  const order = stageOrder(stages);
  if (current === undefined) return true;
  const from = order.indexOf(current);
  return from >= 0 && order.indexOf(next) > from;
}

/** A Liquid template of a record's name, checked when the settings are read. */
export const nameTemplateSchema = () =>
  z
    .string()
    .trim()
    .min(1)
    .superRefine((value, issue) => {
      const problem = templateProblem(value);
      if (problem) issue.addIssue({ code: 'custom', message: `is not a valid template: ${problem}` });
    });

export const DEFAULT_RECORD_NAME = '{{ user.company | default: user.name | default: user.email | default: user.id }} (vidhook)';

/** The record's name from its template, on one line and within the service's length. */
export async function renderRecordName(template: string | undefined, event: Envelope, setting: string, max: number): Promise<string> {
  let name: string;
  try {
    name = await renderTemplate(template ?? DEFAULT_RECORD_NAME, templateVariables(event), 'text');
  } catch (err) {
    if (err instanceof TemplateError) throw new PayloadValidationError(`${setting}: ${err.message}`);
    throw err;
  }
  name = name.replace(/\s+/g, ' ').trim();
  if (!name) throw new PayloadValidationError(`${setting} renders an empty name for this event`);
  return name.length > max ? `${name.slice(0, max - 1)}…` : name;
}
