import { useEffect, useState } from 'preact/hooks';
import { api, readEvents, type Attempt, type Delivery, type EventAnswer, type Exchange } from '../api';
import { ActionButton, ErrorNote, Facts, Section, StateBadge } from '../components/bits';
import { ms, pretty, time } from '../format';
import { href } from '../route';

/** Re-reads when an attempt of this event arrives on the stream, so a retry shows without a reload. */
function useLiveReload(eventId: string | undefined, reload: () => void) {
  useEffect(() => {
    if (!eventId) return;
    const abort = new AbortController();
    readEvents(
      '/api/deliveries/stream',
      (event, data) => {
        if (event === 'attempt' && (JSON.parse(data) as Attempt).eventId === eventId) reload();
      },
      abort.signal,
    ).catch(() => undefined);
    return () => abort.abort();
  }, [eventId]);
}

export function DeliveryDetail({ id }: { id: string }) {
  const [data, setData] = useState<{ delivery: Delivery; attempts: Attempt[] } | null>(null);
  const [event, setEvent] = useState<EventAnswer | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [reloads, setReloads] = useState(0);
  const reload = () => setReloads((n) => n + 1);

  useEffect(() => {
    let current = true;
    api<{ delivery: Delivery; attempts: Attempt[] }>('GET', `/api/deliveries/${encodeURIComponent(id)}`)
      .then(async (d) => {
        if (!current) return;
        setData(d);
        setError(null);
        const e = await api<EventAnswer>('GET', `/api/events/${encodeURIComponent(d.delivery.eventId)}`).catch(() => null);
        if (current) setEvent(e);
      })
      .catch((err) => current && setError(err));
    return () => {
      current = false;
    };
  }, [id, reloads]);
  useLiveReload(data?.delivery.eventId, reload);

  if (error) return <><h1>Delivery <span class="mono">{id}</span></h1><ErrorNote error={error} /></>;
  if (!data) return <p aria-busy="true">Loading…</p>;
  const { delivery: d, attempts } = data;
  return (
    <>
      <div class="page-head">
        <h1>
          Delivery <span class="mono">{d.id}</span>
        </h1>
        <StateBadge state={d.state} />
      </div>
      <Section
        title="Delivery"
        actions={
          d.state !== 'in_flight' && (
            <ActionButton
              label="Retry"
              kind="primary"
              run={async () => {
                await api('POST', `/api/deliveries/${encodeURIComponent(d.id)}/retry`);
                reload();
                return 'Queued again; the new attempt appears below.';
              }}
            />
          )
        }
      >
        <Facts
          items={[
            ['Destination', <a href={href('/deliveries', { destination: d.destination })}>{d.destination}</a>],
            ['Event', <a href={href(`/events/${d.eventId}`)} class="mono">{d.eventId}</a>],
            ['Type', d.eventType],
            ['State', d.state],
            ['Attempts', String(d.attempts)],
            ['Created', time(d.createdAt)],
            ['Updated', time(d.updatedAt)],
            ...(['pending', 'retrying', 'paused'].includes(d.state) ? ([['Next attempt', time(d.nextAt)]] as Array<[string, string]>) : []),
          ]}
        />
        {d.lastError && (
          <p class="last-error">
            <span class="label">Last error:</span> {d.lastError}
          </p>
        )}
      </Section>
      <Section title={`Attempts (${attempts.length})`}>
        {attempts.length === 0 && <p>No attempt yet.</p>}
        <ol class="attempts">
          {attempts.map((a, i) => (
            <AttemptView key={a.id ?? i} attempt={a} position={i + 1} />
          ))}
        </ol>
      </Section>
      {event && <EventPanel event={event} current={d.id} />}
    </>
  );
}

function AttemptView({ attempt: a, position }: { attempt: Attempt; position: number }) {
  return (
    <li class={`attempt outcome-${a.outcome}`}>
      <h3>
        Attempt {position}: <StateBadge state={a.outcome} /> {a.statusCode !== undefined && <span class="mono">HTTP {a.statusCode}</span>}
      </h3>
      <p class="note">
        {time(a.startedAt)} · {ms(a.durationMs)}
        {/* A retry from the API starts a fresh attempt budget, so its tries count from 1 again. */}
        {a.number !== position && ` · try ${a.number} after a manual retry`}
      </p>
      {a.error && <p class="last-error"><span class="label">Error:</span> {a.error}</p>}
      {(a.exchanges ?? []).map((x, i) => (
        <ExchangeView key={i} exchange={x} n={i + 1} of={a.exchanges!.length} />
      ))}
    </li>
  );
}

function Headers({ headers }: { headers: Record<string, string> }) {
  const entries = Object.entries(headers);
  if (!entries.length) return null;
  return <pre class="headers">{entries.map(([k, v]) => `${k}: ${v}`).join('\n')}</pre>;
}

function ExchangeView({ exchange: x, n, of }: { exchange: Exchange; n: number; of: number }) {
  return (
    <details class="exchange" open={of === 1}>
      <summary>
        {of > 1 && `${n}. `}
        <span class="mono">{x.request.method} {x.request.url}</span> → {x.response ? `${x.response.status}` : (x.error ?? 'no answer')} · {ms(x.durationMs)}
      </summary>
      <div class="exchange-body">
        <div>
          <h4>Request</h4>
          <Headers headers={x.request.headers} />
          {x.request.body && <pre>{pretty(x.request.body)}</pre>}
        </div>
        <div>
          <h4>Answer</h4>
          {x.response ? (
            <>
              <p class="mono">HTTP {x.response.status}</p>
              <Headers headers={x.response.headers} />
              {x.response.body && <pre>{pretty(x.response.body)}</pre>}
            </>
          ) : (
            <p>{x.error ?? 'No answer'}</p>
          )}
        </div>
      </div>
    </details>
  );
}

function EventPanel({ event, current }: { event: EventAnswer; current?: string }) {
  return (
    <>
      <Section title="Event">
        <Facts
          items={[
            ['Id', <a href={href(`/events/${event.event.id}`)} class="mono">{event.event.id}</a>],
            ['Type', event.event.type],
            ['Timestamp', event.event.timestamp],
            ['Received', time(event.receivedAt)],
          ]}
        />
        <details>
          <summary>The event as stored</summary>
          <pre>{JSON.stringify(event.event, null, 2)}</pre>
        </details>
      </Section>
      <Section title={`Deliveries of this event (${event.deliveries.length})`}>
        <ul class="plain">
          {event.deliveries.map((d) => (
            <li key={d.id}>
              <StateBadge state={d.state} /> {d.destination} ·{' '}
              {d.id === current ? <span class="mono">{d.id} (this one)</span> : <a href={href(`/deliveries/${d.id}`)} class="mono">{d.id}</a>} · {d.attempts}{' '}
              attempt{d.attempts === 1 ? '' : 's'}
              {d.lastError && <span class="error-cell"> · {d.lastError}</span>}
            </li>
          ))}
        </ul>
      </Section>
    </>
  );
}

export function EventDetail({ id }: { id: string }) {
  const [event, setEvent] = useState<EventAnswer | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [reloads, setReloads] = useState(0);
  useEffect(() => {
    let current = true;
    api<EventAnswer>('GET', `/api/events/${encodeURIComponent(id)}`).then(
      (e) => {
        if (!current) return;
        setEvent(e);
        setError(null);
      },
      (err) => current && setError(err),
    );
    return () => {
      current = false;
    };
  }, [id, reloads]);
  useLiveReload(event ? id : undefined, () => setReloads((n) => n + 1));
  return (
    <>
      <div class="page-head">
        <h1>
          Event <span class="mono">{id}</span>
        </h1>
      </div>
      <ErrorNote error={error} />
      {event && <EventPanel event={event} />}
      {!event && !error && <p aria-busy="true">Loading…</p>}
    </>
  );
}
