import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { ApiFailure, Unauthorized } from '../api';

/** A state string shown as a badge; the text is the state itself, colour only repeats it. */
export function StateBadge({ state }: { state: string }) {
  return <span class={`badge state-${state.replace(/[^a-z_]/g, '')}`}>{state}</span>;
}

export function errorText(err: unknown): string {
  if (err instanceof Unauthorized) return 'The daemon asks for a token.';
  if (err instanceof ApiFailure) return `${err.message} (${err.status} ${err.code})`;
  if (err instanceof TypeError) return `The daemon did not answer: ${err.message}. Is vidhook serve still running?`;
  return err instanceof Error ? err.message : String(err);
}

export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {errorText(error)}
    </p>
  );
}

/** A button that runs an action, says it is busy, and reports the outcome in a live region. */
export function ActionButton({
  label,
  run,
  kind = 'secondary',
  describedBy,
}: {
  label: string;
  run: () => Promise<string | void>;
  kind?: 'primary' | 'secondary' | 'danger';
  describedBy?: string;
}) {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  return (
    <span class="action">
      <button
        type="button"
        class={`btn ${kind}`}
        disabled={busy}
        aria-describedby={describedBy}
        onClick={async () => {
          setBusy(true);
          setResult(null);
          try {
            const text = await run();
            setResult(text ? { ok: true, text } : null);
          } catch (err) {
            setResult({ ok: false, text: errorText(err) });
          } finally {
            setBusy(false);
          }
        }}
      >
        {label}
      </button>
      <span role="status" class={result?.ok === false ? 'error inline' : 'note inline'}>
        {result?.text ?? ''}
      </span>
    </span>
  );
}

export function Section({ title, children, actions }: { title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  const id = `h-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return (
    <section aria-labelledby={id} class="panel">
      <div class="panel-head">
        <h2 id={id}>{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

/** A definition list of label/value pairs. */
export function Facts({ items }: { items: Array<[string, ComponentChildren]> }) {
  return (
    <dl class="facts">
      {items.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
