/**
 * An environment's plan as a graph (live step states over the plan's shape) and its resources the
 * way Argo CD shows them: each step's Workspace or Application with its conditions, sync and
 * health, the controller's message, links to Argo CD and to the commit, and Argo CD's Refresh.
 */
import { useState } from 'react';
import type { ApiError } from '../api/client.js';
import type { EnvironmentStatus, RefreshAccepted, StepResource } from '../../api/contract.js';
import { asApiError, useLoad } from '../app/hooks.js';
import { useSession } from '../app/session.js';
import { shortSha } from '../logic/format.js';
import { ErrorAlert, Loading } from './common.js';
import { PlanGraph } from './PlanGraph.js';
import './plan-graph.css';

export function EnvironmentResourcesView(props: { name: string; status: EnvironmentStatus }) {
  const { name, status } = props;
  const { client, signOut } = useSession();
  // Asked again whenever a step changes state: its conditions changed with it.
  const signature = status.steps.map((s) => `${s.instance}/${s.part}=${s.phase}:${s.reason}`).join(',');
  const resources = useLoad(`resources:${name}:${signature}`, (signal) =>
    client.environmentResources(name, { signal }),
  );
  const [refreshing, setRefreshing] = useState(false);
  const [refreshed, setRefreshed] = useState<RefreshAccepted>();
  const [refreshError, setRefreshError] = useState<ApiError>();

  const refresh = async () => {
    setRefreshing(true);
    setRefreshError(undefined);
    try {
      setRefreshed(await client.refreshEnvironment(name));
      resources.reload();
    } catch (error) {
      const apiError = asApiError(error);
      if (apiError.unauthorized) signOut('The token is no longer accepted. Sign in again.');
      setRefreshError(apiError);
    } finally {
      setRefreshing(false);
    }
  };

  const data = resources.data;
  return (
    <>
      <section aria-labelledby="graph-title" className="panel">
        <h2 id="graph-title">Plan</h2>
        {!data ? (
          resources.state === 'error' ? (
            <ErrorAlert error={resources.error} title="The plan could not be loaded." />
          ) : (
            <Loading label="Loading the plan…" />
          )
        ) : data.plan ? (
          <PlanGraph
            plan={data.plan}
            edges={data.edges}
            steps={status.steps}
            title={`The plan of ${name}, by wave`}
          />
        ) : (
          <p className="muted">No plan: the request in Git is invalid.</p>
        )}
      </section>

      <section aria-labelledby="resources-title" className="panel">
        <div className="panel-header">
          <h2 id="resources-title">Resources</h2>
          <button type="button" className="button" onClick={() => void refresh()} disabled={refreshing}>
            {refreshing ? 'Refreshing…' : 'Refresh'}
          </button>
        </div>
        <p className="help">
          Refresh asks Argo CD to look at Git now instead of at its next poll; nothing is committed.
        </p>
        {refreshed && (
          <p className="alert alert-info" role="status">
            Argo CD was asked to refresh {refreshed.refreshing.length}{' '}
            {refreshed.refreshing.length === 1 ? 'object' : 'objects'}:{' '}
            {refreshed.refreshing.map((r) => r.name).join(', ')}.
          </p>
        )}
        {refreshError && <ErrorAlert error={refreshError} title="Argo CD could not be asked to refresh." />}
        {data && (data.links.platform || data.links.apps) && (
          <p className="resource-links">
            In Argo CD:{' '}
            {data.links.platform && (
              <a href={data.links.platform} target="_blank" rel="noreferrer">
                infrastructure folder
              </a>
            )}
            {data.links.platform && data.links.apps && ' · '}
            {data.links.apps && (
              <a href={data.links.apps} target="_blank" rel="noreferrer">
                applications folder
              </a>
            )}
          </p>
        )}
        {data?.items.length === 0 && <p className="muted">No resources.</p>}
        {data?.items.map((item) => (
          <ResourceCard key={item.step} item={item} />
        ))}
      </section>
    </>
  );
}

function ResourceCard(props: { item: StepResource }) {
  const { item } = props;
  return (
    <article className="resource" aria-labelledby={`resource-${item.step}`} data-step={item.step}>
      <h3 id={`resource-${item.step}`} className="resource-title">
        <span className="mono">{item.step}</span> <span className="muted">{item.kind}</span>{' '}
        <span className="mono">
          {item.namespace ? `${item.namespace}/` : ''}
          {item.name}
        </span>
      </h3>
      <dl className="resource-facts">
        {!item.exists && (
          <div>
            <dt>In the cluster</dt>
            <dd>not yet (or no longer)</dd>
          </div>
        )}
        {item.sync && (
          <div>
            <dt>Sync</dt>
            <dd>
              {item.sync.status}
              {item.sync.revision && <span className="mono"> at {shortSha(item.sync.revision)}</span>}
            </dd>
          </div>
        )}
        {item.health && (
          <div>
            <dt>Health</dt>
            <dd>{item.health.status}</dd>
          </div>
        )}
        {item.operation && (
          <div>
            <dt>Last sync</dt>
            <dd>{item.operation.phase}</dd>
          </div>
        )}
        {item.message && (
          <div className="fact-wide">
            <dt>Controller says</dt>
            <dd className="resource-message">{item.message}</dd>
          </div>
        )}
      </dl>
      {item.conditions.length > 0 && (
        <div className="table-wrap">
          <table className="responsive-table">
            <caption className="visually-hidden">Conditions of {item.name}</caption>
            <thead>
              <tr>
                <th scope="col">Type</th>
                <th scope="col">Status</th>
                <th scope="col">Reason</th>
                <th scope="col">Message</th>
                <th scope="col">Last transition</th>
              </tr>
            </thead>
            <tbody>
              {item.conditions.map((c) => (
                <tr key={c.type}>
                  <td data-label="Type">{c.type}</td>
                  <td data-label="Status">{c.status ?? '—'}</td>
                  <td data-label="Reason">{c.reason ?? '—'}</td>
                  <td data-label="Message" className="message-cell">
                    {c.message ?? '—'}
                  </td>
                  <td data-label="Last transition">
                    {c.lastTransitionTime ? new Date(c.lastTransitionTime).toLocaleString() : '—'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {(item.links.argocd || item.links.commit || item.commit) && (
        <p className="resource-links">
          {item.links.argocd && (
            <a href={item.links.argocd} target="_blank" rel="noreferrer">
              Open in Argo CD
            </a>
          )}
          {item.links.argocd && item.commit && ' · '}
          {item.commit &&
            (item.links.commit ? (
              <a href={item.links.commit} target="_blank" rel="noreferrer">
                Commit {shortSha(item.commit.sha)}
              </a>
            ) : (
              <span>
                Commit <abbr title={item.commit.sha}>{shortSha(item.commit.sha)}</abbr> ({item.commit.repo}{' '}
                repository)
              </span>
            ))}
        </p>
      )}
    </article>
  );
}
