import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, onUnauthorized, token, Unauthorized } from './api';
import { ErrorNote } from './components/bits';
import { Deliveries } from './pages/deliveries';
import { DeliveryDetail, EventDetail } from './pages/detail';
import { Endpoints } from './pages/endpoints';
import { Overview } from './pages/overview';
import { useRoute, type Route } from './route';
import './styles.css';

const NAV: Array<{ path: string; label: string; match: (r: Route) => boolean }> = [
  { path: '#/', label: 'Overview', match: (r) => r.path.length === 0 },
  { path: '#/deliveries', label: 'Deliveries', match: (r) => r.path[0] === 'deliveries' || r.path[0] === 'events' },
  { path: '#/endpoints', label: 'Endpoints', match: (r) => r.path[0] === 'endpoints' },
];

/** With a token set on the daemon, the console asks for it and keeps it for this tab only. */
function TokenForm({ onSaved, wrong }: { onSaved: () => void; wrong: boolean }) {
  const [error, setError] = useState<unknown>(null);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  return (
    <main id="main" class="token-page">
      <h1>vidhook console</h1>
      <form
        class="panel"
        onSubmit={async (e) => {
          e.preventDefault();
          const value = String(new FormData(e.currentTarget).get('token') ?? '').trim();
          if (!value) return;
          token.set(value);
          try {
            await api('GET', '/api/integrations/status');
            onSaved();
          } catch (err) {
            token.clear();
            setError(err instanceof Unauthorized ? new Error('The daemon refused this token.') : err);
          }
        }}
      >
        <p>
          This daemon asks for its API token (<code>--token</code> or <code>VIDHOOK_TOKEN</code> where it runs). The page keeps it for this
          tab only and sends it as a bearer header.
        </p>
        {wrong && !error && <p class="error" role="alert">The daemon refused the token this tab held.</p>}
        <label for="token">Token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required ref={input} />
        <button type="submit" class="btn primary">Open the console</button>
        <ErrorNote error={error} />
      </form>
    </main>
  );
}

function App() {
  const route = useRoute();
  const [locked, setLocked] = useState(false);
  const [wrong, setWrong] = useState(false);
  const [generation, setGeneration] = useState(0);
  useEffect(
    () =>
      onUnauthorized(() => {
        setWrong(token.get() !== null);
        token.clear();
        setLocked(true);
      }),
    [],
  );
  // Moves focus to the page's heading after navigation, so keyboard and screen-reader users land on the new content.
  useEffect(() => {
    document.getElementById('main')?.focus({ preventScroll: true });
  }, [route.path.join('/')]);

  if (locked) return <TokenForm wrong={wrong} onSaved={() => { setLocked(false); setWrong(false); setGeneration((g) => g + 1); }} />;

  const [section, id] = route.path;
  let page;
  if (!section) page = <Overview route={route} />;
  else if (section === 'deliveries' && id) page = <DeliveryDetail id={id} />;
  else if (section === 'deliveries') page = <Deliveries route={route} />;
  else if (section === 'events' && id) page = <EventDetail id={id} />;
  else if (section === 'endpoints') page = <Endpoints />;
  else page = <><h1>Not found</h1><p>No page at <code>{location.hash}</code>. <a href="#/">Back to the overview</a>.</p></>;

  return (
    <>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>Skip to content</a>
      <header class="top">
        <a class="brand" href="#/">vidhook</a>
        <nav aria-label="Main">
          <ul>
            {NAV.map((n) => (
              <li key={n.path}>
                <a href={n.path} aria-current={n.match(route) ? 'page' : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        {token.get() && (
          <button type="button" class="btn secondary small" onClick={() => { token.clear(); setLocked(true); setWrong(false); }}>
            Forget token
          </button>
        )}
      </header>
      <main id="main" tabIndex={-1} key={generation}>
        {page}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
