import { useState } from 'preact/hooks';
import { api, EVENT_TYPES } from '../api';
import { ErrorNote } from './bits';

/** Backfills a destination from stored events: the count first (a dry run), then the replay. */
export function ReplayForm({ destination, onDone }: { destination: string; onDone: () => void }) {
  const [since, setSince] = useState('24h');
  const [type, setType] = useState('');
  const [count, setCount] = useState<number | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const id = `replay-${destination.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const body = { destination, since, ...(type ? { type } : {}) };

  return (
    <form
      class="inline-form"
      aria-label={`Replay to ${destination}`}
      onSubmit={async (e) => {
        e.preventDefault();
        setError(null);
        setDone(null);
        try {
          const answer = await api<{ events: number }>('POST', '/api/replay', { ...body, dryRun: true });
          setCount(answer.events);
        } catch (err) {
          setError(err);
        }
      }}
    >
      <label for={`${id}-since`}>From (10m, 2h, 7d or a date)</label>
      <input id={`${id}-since`} value={since} required onInput={(e) => { setSince(e.currentTarget.value); setCount(null); }} />
      <label for={`${id}-type`}>Event type</label>
      <select id={`${id}-type`} value={type} onChange={(e) => { setType(e.currentTarget.value); setCount(null); }}>
        <option value="">all types</option>
        {EVENT_TYPES.map((t) => (
          <option key={t} value={t}>{t}</option>
        ))}
      </select>
      <button type="submit" class="btn secondary">Count</button>
      {count !== null && (
        <p role="status">
          {count === 0
            ? `No stored event since ${since} is missing from ${destination}.`
            : `${count} event${count === 1 ? '' : 's'} would be delivered to ${destination}.`}{' '}
          {count > 0 && (
            <button
              type="button"
              class="btn primary"
              onClick={async () => {
                try {
                  const answer = await api<{ events: number }>('POST', '/api/replay', body);
                  setDone(`${answer.events} event${answer.events === 1 ? '' : 's'} queued for ${destination}.`);
                  setCount(null);
                  onDone();
                } catch (err) {
                  setError(err);
                }
              }}
            >
              Replay
            </button>
          )}
        </p>
      )}
      {done && <p role="status" class="note">{done}</p>}
      <ErrorNote error={error} />
    </form>
  );
}
