import { Liquid, type Template } from 'liquidjs';
import type { Envelope } from '../events/index.js';
import { contextShape, errorShape, sessionShape, userShape, videoShape } from '../events/schemas.js';
import { memoize } from '../memoize.js';

/**
 * User-editable templates (LiquidJS) for the text a connector writes into a service: a
 * WordPress title and body. Safe by construction: no file system (include/render/layout are
 * removed), unknown variables and filters are errors, prototype members are hidden, and the
 * render is bounded in time, output and memory. In `html` mode every value is HTML-escaped and
 * `| raw` cannot undo it; only markup the connector builds itself (`SafeHtml`) passes as is.
 */

/** Markup built by a connector (a video block) that a template may place unescaped. */
export class SafeHtml {
  constructor(readonly html: string) {}
  toString(): string {
    return this.html;
  }
}

export type TemplateMode = 'html' | 'text';

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

const MAX_TEMPLATE_CHARS = 20_000;
const RENDER_LIMIT_MS = 500;
const MEMORY_LIMIT = 10_000_000;
const TEMPLATE_LIMIT = 50_000;
export const MAX_OUTPUT_CHARS = 200_000;

export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function plain(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(plain).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function htmlOutput(value: unknown): string {
  return value instanceof SafeHtml ? value.html : escapeHtml(plain(value));
}

function textOutput(value: unknown): string {
  return value instanceof SafeHtml ? value.html : plain(value);
}

function createEngine(mode: TemplateMode): Liquid {
  const engine = new Liquid({
    templates: {},
    strictFilters: true,
    strictVariables: true,
    lenientIf: true,
    ownPropertyOnly: true,
    timezoneOffset: 0,
    parseLimit: MAX_TEMPLATE_CHARS,
    renderLimit: RENDER_LIMIT_MS,
    memoryLimit: MEMORY_LIMIT,
    outputEscape: mode === 'html' ? htmlOutput : textOutput,
  });
  for (const tag of ['include', 'render', 'layout', 'block']) delete engine.tags[tag];
  // A plain function is not a "raw" filter to LiquidJS, so the escape still applies after it.
  engine.registerFilter('raw', (value: unknown) => value);
  return engine;
}

const engines: Partial<Record<TemplateMode, Liquid>> = {};
function engineFor(mode: TemplateMode): Liquid {
  return (engines[mode] ??= createEngine(mode));
}

const parsers: Record<TemplateMode, (source: string) => Template[]> = {
  html: memoize((source: string) => parseWith('html', source), 200),
  text: memoize((source: string) => parseWith('text', source), 200),
};

function parseWith(mode: TemplateMode, source: string): Template[] {
  try {
    return engineFor(mode).parse(source);
  } catch (err) {
    throw new TemplateError((err as Error).message);
  }
}

function parse(source: string, mode: TemplateMode): Template[] {
  if (source.length > MAX_TEMPLATE_CHARS) throw new TemplateError(`is longer than ${MAX_TEMPLATE_CHARS} characters`);
  return parsers[mode](source);
}

/** A parse error in words, or undefined: for settings validation. */
export function templateProblem(source: string): string | undefined {
  try {
    parse(source, 'html');
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Every field a shape knows, set to null, so a missing optional field renders empty while a misspelt one is an error. */
function withKnownFields(shapeKeys: readonly string[], value: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = Object.fromEntries(shapeKeys.map((k) => [k, null]));
  if (value && typeof value === 'object' && !Array.isArray(value)) Object.assign(out, value);
  return out;
}

const SHAPES = {
  video: Object.keys(videoShape.shape),
  user: Object.keys(userShape.shape),
  session: Object.keys(sessionShape.shape),
  error: Object.keys(errorShape.shape),
  context: Object.keys(contextShape.shape),
} as const;

/** The variables every template sees (documented in docs/connectors/wordpress.md). */
export function templateVariables(event: Envelope, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const data = event.data ?? {};
  return {
    event: { id: event.id, type: event.type, timestamp: event.timestamp },
    data,
    video: withKnownFields(SHAPES.video, data.video),
    user: withKnownFields(SHAPES.user, data.user),
    session: withKnownFields(SHAPES.session, data.session),
    error: withKnownFields(SHAPES.error, data.error),
    context: withKnownFields(SHAPES.context, data.context),
    ...extra,
  };
}

export async function renderTemplate(source: string, variables: Record<string, unknown>, mode: TemplateMode): Promise<string> {
  const templates = parse(source, mode);
  let out: string;
  try {
    out = String(await engineFor(mode).render(templates, variables, { templateLimit: TEMPLATE_LIMIT }));
  } catch (err) {
    throw new TemplateError((err as Error).message);
  }
  if (out.length > MAX_OUTPUT_CHARS) throw new TemplateError(`renders more than ${MAX_OUTPUT_CHARS} characters`);
  return out;
}

/**
 * Markup that must never reach a post, even from the template's own text: scripts, frames,
 * event handlers and script URLs. Values are escaped, so only the template itself can hold them.
 */
export function unsafeMarkup(html: string): string | undefined {
  const tag = /<\s*(script|iframe|frame|frameset|object|embed|applet|style|link|meta|base|form)\b/i.exec(html);
  if (tag) return `a <${tag[1].toLowerCase()}> element`;
  for (const [markup] of html.matchAll(/<[a-z][^>]*>/gi)) {
    // Attribute values are escaped text; only the names outside them can be handlers.
    const names = markup.replace(/"[^"]*"|'[^']*'/g, '""');
    if (/[\s/]on[a-z]+\s*=/i.test(names)) return 'an event handler attribute (on…=)';
    if (/(?:href|src|action|formaction|poster|xlink:href)\s*=\s*["']?\s*(?:javascript|vbscript|data):/i.test(markup)) {
      return 'a javascript:/data: URL';
    }
  }
  return undefined;
}
