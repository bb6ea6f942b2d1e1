import { useEffect, useState } from 'preact/hooks';
import { api, type DestinationActivity, type DestinationStatus, type StatsAnswer, type StatusAnswer } from '../api';
import { ActionButton, ErrorNote, Facts, StateBadge } from '../components/bits';
import { Chart } from '../components/chart';
import { ReplayForm } from '../components/replay';
import { ago, duration, ms, percent } from '../format';
import { href, navigate, type Route } from '../route';

const WINDOWS = ['1h', '24h'];
const REFRESH_MS = 10_000;

function useOverview(window: string) {
  const [status, setStatus] = useState<StatusAnswer | null>(null);
  const [stats, setStats] = useState<StatsAnswer | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    Promise.all([api<StatusAnswer>('GET', '/api/integrations/status'), api<StatsAnswer>('GET', `/api/stats?window=${window}`)]).then(
      ([s, t]) => {
        if (!live) return;
        setStatus(s);
        setStats(t);
        setError(null);
      },
      (err) => live && setError(err),
    );
    const timer = setTimeout(() => setTick((n) => n + 1), REFRESH_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [window, tick]);
  return { status, stats, error, reload: () => setTick((n) => n + 1) };
}

export function Overview({ route }: { route: Route }) {
  const window = WINDOWS.includes(route.params.get('window') ?? '') ? route.params.get('window')! : '1h';
  const { status, stats, error, reload } = useOverview(window);
  const x = stats?.buckets ?? [];

  return (
    <>
      <div class="page-head">
        <h1>Overview</h1>
        <div class="segmented" role="group" aria-label="Time window">
          {WINDOWS.map((w) => (
            <a key={w} href={href('/', { window: w })} aria-current={w === window ? 'true' : undefined} class="seg">
              Last {w === '1h' ? 'hour' : 'day'}
            </a>
          ))}
        </div>
      </div>
      <ErrorNote error={error} />
      {status && stats && (
        <>
          <section class="panel" aria-labelledby="h-events">
            <div class="panel-head">
              <h2 id="h-events">Events accepted</h2>
              <p class="figure">
                {stats.events.total.toLocaleString('en')} in the last {window === '1h' ? 'hour' : 'day'} ·{' '}
                {(stats.events.total / (window === '1h' ? 60 : 1440)).toFixed(1)} per minute
              </p>
            </div>
            <Chart
              label={`Events accepted per ${duration(stats.bucketSeconds * 1000)}, last ${window}`}
              x={x}
              lines={[{ label: `events per ${duration(stats.bucketSeconds * 1000)}`, values: stats.events.perBucket, color: '#3b82f6' }]}
            />
            <p class="note">
              vidhook {status.daemon.version} · up {duration(status.daemon.uptimeSeconds * 1000)} · {status.daemon.inflight} attempts in flight
            </p>
          </section>
          <h2 class="sr-only">Destinations</h2>
          {status.destinations.length === 0 && (
            <p class="panel">No destinations yet. Configure one with <code>vidhook configure</code>, or register a webhook endpoint under <a href="#/endpoints">Endpoints</a>.</p>
          )}
          <div class="cards">
            {status.destinations.map((d) => (
              <DestinationCard
                key={d.name}
                status={d}
                activity={stats.destinations.find((a) => a.name === d.name)}
                x={x}
                window={window}
                onChange={reload}
              />
            ))}
          </div>
        </>
      )}
      {!status && !error && <p aria-busy="true">Loading…</p>}
    </>
  );
}

function DestinationCard({
  status: d,
  activity: a,
  x,
  window,
  onChange,
}: {
  status: DestinationStatus;
  activity?: DestinationActivity;
  x: number[];
  window: string;
  onChange: () => void;
}) {
  const [replaying, setReplaying] = useState(false);
  const id = `dest-${d.name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const disabled = d.state === 'disabled';
  return (
    <article class="card" aria-labelledby={id}>
      <header class="card-head">
        <h3 id={id}>
          <a href={href('/deliveries', { destination: d.name })}>{d.name}</a>
        </h3>
        <span class="connector">{d.connector}</span>
        <StateBadge state={d.state} />
      </header>
      {d.reason && <p class="note">{d.reason}</p>}
      <Facts
        items={[
          ['Last success', ago(d.lastSuccessAt)],
          ['Last failure', d.lastFailureAt ? <span title={d.lastError ?? undefined}>{ago(d.lastFailureAt)}</span> : '—'],
          [`Success rate (${window})`, a ? `${percent(a.successRate)} of ${a.attempts}` : '—'],
          [`p50 / p95 (${window})`, a ? `${ms(a.p50Ms)} / ${ms(a.p95Ms)}` : '—'],
          ['Backlog', d.pending.toLocaleString('en')],
          ['Lag', d.pending ? duration(d.lagSeconds * 1000) : '—'],
        ]}
      />
      {d.lastError && d.lastFailureAt && (
        <p class="last-error">
          <span class="label">Last error:</span> {d.lastError}
        </p>
      )}
      {a && (
        <div class="charts">
          <Chart
            label={`${d.name}: success rate per bucket, last ${window}: ${percent(a.successRate)} overall`}
            x={x}
            yRange={[0, 1]}
            unit={(v) => `${Math.round(v * 100)}%`}
            lines={[{ label: 'success rate', values: a.series.successRate, color: '#16a34a' }]}
          />
          <Chart
            label={`${d.name}: latency per bucket, last ${window}: p50 ${ms(a.p50Ms)}, p95 ${ms(a.p95Ms)}`}
            x={x}
            unit={(v) => (v >= 1000 ? `${+(v / 1000).toFixed(1)}s` : `${v}ms`)}
            lines={[
              { label: 'p50', values: a.series.p50Ms, color: '#6366f1' },
              { label: 'p95', values: a.series.p95Ms, color: '#f59e0b', dash: [4, 3] },
            ]}
          />
        </div>
      )}
      <div class="card-actions">
        {disabled ? (
          <ActionButton
            label="Enable"
            kind="primary"
            run={async () => {
              await api('POST', `/api/integrations/destinations/${encodeURIComponent(d.name)}/enable`);
              onChange();
              return `${d.name} enabled`;
            }}
          />
        ) : (
          <ActionButton
            label="Disable"
            run={async () => {
              await api('POST', `/api/integrations/destinations/${encodeURIComponent(d.name)}/disable`);
              onChange();
              return `${d.name} disabled; its deliveries wait`;
            }}
          />
        )}
        <button type="button" class="btn secondary" aria-expanded={replaying} onClick={() => setReplaying(!replaying)}>
          Replay…
        </button>
        <button type="button" class="btn secondary" onClick={() => navigate('/deliveries', { destination: d.name, status: 'failed' })}>
          Failed deliveries
        </button>
      </div>
      {replaying && <ReplayForm destination={d.name} onDone={onChange} />}
    </article>
  );
}
