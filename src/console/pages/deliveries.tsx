import { useEffect, useRef, useState } from 'preact/hooks';
import { api, DELIVERY_STATES, EVENT_TYPES, query, readEvents, type Attempt, type Delivery, type DeliveryState, type StatusAnswer } from '../api';
import { ActionButton, ErrorNote, StateBadge } from '../components/bits';
import { time } from '../format';
import { href, navigate, type Route } from '../route';

const PAGE = 50;
const FILTERS = ['status', 'destination', 'type', 'since', 'until', 'event'] as const;
type Filters = Partial<Record<(typeof FILTERS)[number], string>>;

const STATE_OF: Record<Attempt['outcome'], DeliveryState> = { ok: 'succeeded', retrying: 'retrying', failed: 'failed', skipped: 'skipped' };

function filtersOf(route: Route): Filters {
  return Object.fromEntries(FILTERS.map((f) => [f, route.params.get(f) ?? undefined]).filter(([, v]) => v));
}

export function Deliveries({ route }: { route: Route }) {
  const filters = filtersOf(route);
  const after = route.params.get('after') ?? undefined;
  const key = JSON.stringify([filters, after]);
  const [page, setPage] = useState<{ deliveries: Delivery[]; next: string | null } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [reloads, setReloads] = useState(0);
  const [live, setLive] = useState<'connecting' | 'on' | 'off'>('connecting');
  const [seen, setSeen] = useState(0);
  const refetch = useRef<number | undefined>(undefined);

  useEffect(() => {
    let current = true;
    api<{ deliveries: Delivery[]; next: string | null }>('GET', `/api/deliveries${query({ ...filters, order: 'newest', limit: String(PAGE), after })}`).then(
      (answer) => {
        if (!current) return;
        setPage(answer);
        setError(null);
      },
      (err) => current && setError(err),
    );
    return () => {
      current = false;
    };
  }, [key, reloads]);

  // New attempts arrive over the stream: rows on the page change in place; on the first page,
  // deliveries not yet listed bring a fresh read of the page (at most twice a second).
  useEffect(() => {
    const abort = new AbortController();
    setLive('connecting');
    readEvents(
      `/api/deliveries/stream${query({ destination: filters.destination, type: filters.type })}`,
      (event, data) => {
        if (event !== 'attempt') return;
        const attempt = JSON.parse(data) as Attempt;
        if (filters.event && attempt.eventId !== filters.event) return;
        setSeen((n) => n + 1);
        let listed = false;
        setPage((p) => {
          if (!p) return p;
          const deliveries = p.deliveries.map((d) => {
            if (d.id !== attempt.deliveryId) return d;
            listed = true;
            return { ...d, state: STATE_OF[attempt.outcome], attempts: attempt.number, updatedAt: Date.parse(attempt.startedAt), lastError: attempt.error };
          });
          return listed ? { ...p, deliveries } : p;
        });
        if (!listed && !after && refetch.current === undefined) {
          refetch.current = window.setTimeout(() => {
            refetch.current = undefined;
            setReloads((n) => n + 1);
          }, 500);
        }
      },
      abort.signal,
      () => setLive('on'),
    ).then(
      () => setLive('off'),
      () => !abort.signal.aborted && setLive('off'),
    );
    return () => {
      abort.abort();
      clearTimeout(refetch.current);
      refetch.current = undefined;
    };
  }, [filters.destination, filters.type, filters.event, after]);

  const deliveries = page?.deliveries ?? [];

  return (
    <>
      <div class="page-head">
        <h1>Deliveries</h1>
        <p class="live" role="status" aria-live="polite">
          <span class={`dot ${live}`} aria-hidden="true" />
          {live === 'on' ? `Live${seen ? ` · ${seen} new attempt${seen === 1 ? '' : 's'}` : ''}` : live === 'connecting' ? 'Connecting…' : 'Not live'}
        </p>
      </div>
      <FilterForm filters={filters} />
      <RetryMatching filters={filters} onDone={() => setReloads((n) => n + 1)} />
      <ErrorNote error={error} />
      {page && (
        <>
          <div class="table-wrap">
            <table>
              <caption class="sr-only">Deliveries, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Created</th>
                  <th scope="col">Delivery</th>
                  <th scope="col">Event</th>
                  <th scope="col">Type</th>
                  <th scope="col">Destination</th>
                  <th scope="col">State</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Last error</th>
                  <th scope="col"><span class="sr-only">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                {deliveries.map((d) => (
                  <tr key={d.id} data-delivery={d.id}>
                    <td class="nowrap">{time(d.createdAt)}</td>
                    <td><a href={href(`/deliveries/${d.id}`)} class="mono">{d.id}</a></td>
                    <td><a href={href(`/events/${d.eventId}`)} class="mono">{d.eventId}</a></td>
                    <td>{d.eventType}</td>
                    <td>{d.destination}</td>
                    <td><StateBadge state={d.state} /></td>
                    <td class="num">{d.attempts}</td>
                    <td class="error-cell">{d.lastError ?? ''}</td>
                    <td>
                      {d.state !== 'in_flight' && (
                        <ActionButton
                          label="Retry"
                          run={async () => {
                            await api('POST', `/api/deliveries/${encodeURIComponent(d.id)}/retry`);
                            setPage((p) => p && { ...p, deliveries: p.deliveries.map((x) => (x.id === d.id ? { ...x, state: 'pending', lastError: undefined } : x)) });
                            return 'queued';
                          }}
                        />
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {deliveries.length === 0 && <p class="panel">No delivery matches these filters.</p>}
          <nav class="pager" aria-label="Pages">
            {after && <a href={href('/deliveries', { ...filters })}>Newest</a>}
            {page.next && <a href={href('/deliveries', { ...filters, after: page.next })}>Older</a>}
          </nav>
        </>
      )}
      {!page && !error && <p aria-busy="true">Loading…</p>}
    </>
  );
}

function FilterForm({ filters }: { filters: Filters }) {
  const [destinations, setDestinations] = useState<string[]>([]);
  useEffect(() => {
    api<StatusAnswer>('GET', '/api/integrations/status').then((s) => setDestinations(s.destinations.map((d) => d.name)), () => undefined);
  }, []);
  return (
    <form
      class="filters"
      role="search"
      aria-label="Filter deliveries"
      onSubmit={(e) => {
        e.preventDefault();
        const form = new FormData(e.currentTarget);
        const next: Record<string, string> = {};
        for (const f of FILTERS) {
          const v = String(form.get(f) ?? '').trim();
          if (v) next[f] = v;
        }
        navigate('/deliveries', next);
      }}
    >
      <div class="field">
        <label for="f-event">Event id</label>
        <input id="f-event" name="event" type="search" placeholder="evt_…" defaultValue={filters.event ?? ''} key={`e${filters.event}`} />
      </div>
      <div class="field">
        <label for="f-status">Status</label>
        <select id="f-status" name="status" key={`s${filters.status}`} defaultValue={filters.status ?? ''}>
          <option value="">any</option>
          {DELIVERY_STATES.map((s) => <option key={s} value={s}>{s}</option>)}
        </select>
      </div>
      <div class="field">
        <label for="f-destination">Destination</label>
        <select id="f-destination" name="destination" key={`d${filters.destination}${destinations.length}`} defaultValue={filters.destination ?? ''}>
          <option value="">any</option>
          {[...new Set([...destinations, ...(filters.destination ? [filters.destination] : [])])].map((d) => <option key={d} value={d}>{d}</option>)}
        </select>
      </div>
      <div class="field">
        <label for="f-type">Event type</label>
        <select id="f-type" name="type" key={`t${filters.type}`} defaultValue={filters.type ?? ''}>
          <option value="">any</option>
          {[...new Set([...EVENT_TYPES, ...(filters.type ? [filters.type] : [])])].map((t) => <option key={t} value={t}>{t}</option>)}
        </select>
      </div>
      <div class="field">
        <label for="f-since">Since</label>
        <input id="f-since" name="since" placeholder="1h, 2d or a date" defaultValue={filters.since ?? ''} key={`f${filters.since}`} />
      </div>
      <div class="field">
        <label for="f-until">Until</label>
        <input id="f-until" name="until" placeholder="10m or a date" defaultValue={filters.until ?? ''} key={`u${filters.until}`} />
      </div>
      <div class="field buttons">
        <button type="submit" class="btn primary">Search</button>
        <a class="btn secondary" href="#/deliveries">Clear</a>
      </div>
    </form>
  );
}

/** Retries everything the filters match, after showing how many that is. */
function RetryMatching({ filters, onDone }: { filters: Filters; onDone: () => void }) {
  const [count, setCount] = useState<number | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const key = JSON.stringify(filters);
  useEffect(() => {
    setCount(null);
    setMessage(null);
    setError(null);
  }, [key]);
  // The API's default is the failed deliveries; any status filter narrows it instead.
  const body = { ...filters, status: filters.status ?? 'failed' };
  return (
    <div class="retry-matching">
      <button
        type="button"
        class="btn secondary"
        onClick={async () => {
          setError(null);
          setMessage(null);
          try {
            setCount((await api<{ matched: number }>('POST', '/api/deliveries/retry', { ...body, dryRun: true })).matched);
          } catch (err) {
            setError(err);
          }
        }}
      >
        Retry all matching…
      </button>
      {count !== null && (
        <span role="status">
          {count === 0 ? (
            `No ${body.status} delivery matches.`
          ) : (
            <>
              {count} {body.status} deliver{count === 1 ? 'y matches' : 'ies match'}.{' '}
              <button
                type="button"
                class="btn primary"
                onClick={async () => {
                  try {
                    const answer = await api<{ retried: number }>('POST', '/api/deliveries/retry', body);
                    setMessage(`${answer.retried} deliver${answer.retried === 1 ? 'y' : 'ies'} queued again.`);
                    setCount(null);
                    onDone();
                  } catch (err) {
                    setError(err);
                  }
                }}
              >
                Retry {count}
              </button>{' '}
              <button type="button" class="btn secondary" onClick={() => setCount(null)}>Cancel</button>
            </>
          )}
        </span>
      )}
      {message && <span role="status" class="note">{message}</span>}
      <ErrorNote error={error} />
    </div>
  );
}
