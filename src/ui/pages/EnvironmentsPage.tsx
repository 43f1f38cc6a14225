/** The environments dashboard: every environment the user may see, with state, type, owner, age and ttl (counting down). */
import type { EnvironmentSummary } from '../../api/contract.js';
import { useDocumentTitle, useLoad, useNow, usePolling } from '../app/hooks.js';
import { useSession } from '../app/session.js';
import { Empty, ErrorAlert, Loading, PhaseBadge } from '../components/common.js';
import { age } from '../logic/format.js';
import { ExpiryCountdown } from '../components/Expiry.js';
import { href } from '../logic/router.js';

/** The list has no event stream; it is fetched again this often while the page is visible. */
const REFRESH_MS = 5_000;

export function EnvironmentsPage() {
  useDocumentTitle('Environments');
  const { client } = useSession();
  const list = useLoad('environments', (signal) => client.listEnvironments({ signal }));
  usePolling(list.reload, REFRESH_MS);
  const now = useNow(15_000);
  const items = list.data?.items;

  return (
    <section aria-labelledby="environments-title">
      <div className="page-header">
        <h1 id="environments-title" tabIndex={-1}>
          Environments
        </h1>
        <a className="button button-primary" href="#/new">
          New environment
        </a>
      </div>
      {list.state === 'error' && (
        <ErrorAlert
          error={list.error}
          title="The environments could not be loaded."
          action={
            <button type="button" className="button" onClick={list.reload}>
              Try again
            </button>
          }
        />
      )}
      {!items && list.state === 'loading' && <Loading label="Loading environments…" />}
      {items && items.length === 0 && (
        <Empty>
          <p>No environments yet.</p>
          <a className="button button-primary" href="#/new">
            Create the first one
          </a>
        </Empty>
      )}
      {items && items.length > 0 && (
        <div className="table-wrap">
          <table className="responsive-table environments-table">
            <caption className="visually-hidden">Environments, refreshed every few seconds</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">State</th>
                <th scope="col">Type</th>
                <th scope="col">Owner</th>
                <th scope="col">Age</th>
                <th scope="col">TTL</th>
              </tr>
            </thead>
            <tbody>
              {[...items]
                .sort((a, b) => a.name.localeCompare(b.name))
                .map((env) => (
                  <EnvironmentRow key={env.name} env={env} now={now} />
                ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function EnvironmentRow(props: { env: EnvironmentSummary; now: number }) {
  const { env, now } = props;
  return (
    <tr>
      <th scope="row" data-label="Name">
        <a href={href({ page: 'environment', name: env.name })}>{env.name}</a>
        {env.description && <span className="row-description">{env.description}</span>}
      </th>
      <td data-label="State">
        <PhaseBadge phase={env.phase} />
        {env.message && <span className="row-message">{env.message}</span>}
      </td>
      <td data-label="Type">{env.type ?? '—'}</td>
      <td data-label="Owner">{env.owner ?? '—'}</td>
      <td data-label="Age">{age(env.createdAt, now) ?? '—'}</td>
      <td data-label="TTL">
        {env.ttl ?? '—'}
        {env.expiresAt && (
          <span className="row-message">
            <ExpiryCountdown expiresAt={env.expiresAt} />
          </span>
        )}
      </td>
    </tr>
  );
}
