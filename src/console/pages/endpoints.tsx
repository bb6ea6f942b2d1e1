import { useEffect, useState } from 'preact/hooks';
import { api, EVENT_TYPES, type StatusAnswer, type Webhook } from '../api';
import { ActionButton, ErrorNote, Section, StateBadge } from '../components/bits';
import { time } from '../format';
import { href } from '../route';

/** A secret the daemon shows once: displayed until dismissed, never stored by the page. */
function SecretOnce({ title, secret, onDismiss }: { title: string; secret: string; onDismiss: () => void }) {
  return (
    <div class="secret" role="alert">
      <p>
        <strong>{title}</strong> It is shown this once: copy it into the receiver's configuration now.
      </p>
      <label for="secret-value">Signing secret</label>
      <input id="secret-value" class="mono" readOnly value={secret} onFocus={(e) => e.currentTarget.select()} />
      <button type="button" class="btn secondary" onClick={onDismiss}>
        I have copied it
      </button>
    </div>
  );
}

export function Endpoints() {
  const [webhooks, setWebhooks] = useState<Webhook[] | null>(null);
  const [zaps, setZaps] = useState<StatusAnswer['destinations'] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [reloads, setReloads] = useState(0);
  const [secret, setSecret] = useState<{ title: string; value: string } | null>(null);
  const reload = () => setReloads((n) => n + 1);

  useEffect(() => {
    Promise.all([api<{ webhooks: Webhook[] }>('GET', '/api/integrations/webhooks'), api<StatusAnswer>('GET', '/api/integrations/status')]).then(
      ([w, s]) => {
        setWebhooks(w.webhooks);
        // Zapier subscriptions are runtime destinations of the zapier connector.
        setZaps(s.destinations.filter((d) => d.connector === 'zapier' && d.source === 'runtime'));
        setError(null);
      },
      setError,
    );
  }, [reloads]);

  return (
    <>
      <div class="page-head">
        <h1>Endpoints</h1>
      </div>
      <ErrorNote error={error} />
      {secret && <SecretOnce title={secret.title} secret={secret.value} onDismiss={() => setSecret(null)} />}
      <Section title="Webhook endpoints">
        <RegisterForm
          onRegistered={(w) => {
            setSecret({ title: `Registered ${w.id}.`, value: w.secret });
            reload();
          }}
        />
        {webhooks && webhooks.length === 0 && <p>No webhook endpoint registered through the API.</p>}
        {webhooks && webhooks.length > 0 && (
          <div class="table-wrap">
            <table>
              <caption class="sr-only">Webhook endpoints</caption>
              <thead>
                <tr>
                  <th scope="col">Id</th>
                  <th scope="col">URL</th>
                  <th scope="col">Events</th>
                  <th scope="col">State</th>
                  <th scope="col">Created</th>
                  <th scope="col"><span class="sr-only">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                {webhooks.map((w) => (
                  <tr key={w.id}>
                    <td>
                      <a href={href('/deliveries', { destination: w.id })} class="mono">{w.id}</a>
                      {w.description && <div class="note">{w.description}</div>}
                    </td>
                    <td class="mono break">{w.url}</td>
                    <td>{w.events.join(', ')}</td>
                    <td>
                      <StateBadge state={w.enabled ? 'enabled' : 'disabled'} />
                      {w.reason && <div class="note">{w.reason}</div>}
                    </td>
                    <td class="nowrap">{time(w.createdAt)}</td>
                    <td class="actions-cell">
                      <ActionButton
                        label="Rotate secret"
                        run={async () => {
                          const answer = await api<{ secret: string; previousSecretExpiresAt: string }>(
                            'POST',
                            `/api/integrations/webhooks/${encodeURIComponent(w.id)}/rotate-secret`,
                          );
                          setSecret({ title: `New secret for ${w.id}; the old one keeps signing until ${time(answer.previousSecretExpiresAt)}.`, value: answer.secret });
                        }}
                      />
                      <ConfirmRemove
                        what={w.id}
                        run={async () => {
                          await api('DELETE', `/api/integrations/webhooks/${encodeURIComponent(w.id)}`);
                          reload();
                        }}
                      />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
      <Section title="Zapier subscriptions">
        {zaps && zaps.length === 0 && <p>No Zapier subscription. Zaps subscribe through the REST Hooks routes when they are turned on.</p>}
        {zaps && zaps.length > 0 && (
          <ul class="plain">
            {zaps.map((z) => (
              <li key={z.name}>
                <a href={href('/deliveries', { destination: z.name })} class="mono">{z.name}</a> <StateBadge state={z.state} />{' '}
                <ConfirmRemove
                  what={z.name}
                  run={async () => {
                    await api('DELETE', `/api/integrations/zapier/subscribe/${encodeURIComponent(z.name)}`);
                    reload();
                  }}
                />
              </li>
            ))}
          </ul>
        )}
      </Section>
    </>
  );
}

function ConfirmRemove({ what, run }: { what: string; run: () => Promise<void> }) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" class="btn danger" aria-label={`Remove ${what}`} onClick={() => setAsking(true)}>
        Remove
      </button>
    );
  }
  return (
    <span class="confirm" role="group" aria-label={`Remove ${what}?`}>
      <span>Remove {what}? Its pending deliveries stop.</span>{' '}
      <ActionButton label={`Yes, remove ${what}`} kind="danger" run={run} />{' '}
      <button type="button" class="btn secondary" onClick={() => setAsking(false)}>
        Keep
      </button>
    </span>
  );
}

function RegisterForm({ onRegistered }: { onRegistered: (w: Webhook & { secret: string }) => void }) {
  const [error, setError] = useState<unknown>(null);
  return (
    <form
      class="filters"
      aria-label="Register a webhook endpoint"
      onSubmit={async (e) => {
        e.preventDefault();
        const form = e.currentTarget;
        const data = new FormData(form);
        const events = data.getAll('events').map(String);
        setError(null);
        try {
          const answer = await api<Webhook & { secret: string }>('POST', '/api/integrations/webhooks', {
            url: String(data.get('url')),
            events: events.length ? events : ['*'],
            description: String(data.get('description') ?? ''),
          });
          form.reset();
          onRegistered(answer);
        } catch (err) {
          setError(err);
        }
      }}
    >
      <div class="field wide">
        <label for="wh-url">URL</label>
        <input id="wh-url" name="url" type="url" required placeholder="https://example.com/hooks/vidhook" />
      </div>
      <div class="field wide">
        <label for="wh-description">Description</label>
        <input id="wh-description" name="description" />
      </div>
      <fieldset class="field wide">
        <legend>Events (none ticked: all)</legend>
        {EVENT_TYPES.map((t) => (
          <label key={t} class="check">
            <input type="checkbox" name="events" value={t} /> {t}
          </label>
        ))}
      </fieldset>
      <div class="field buttons">
        <button type="submit" class="btn primary">Register endpoint</button>
      </div>
      <ErrorNote error={error} />
    </form>
  );
}
