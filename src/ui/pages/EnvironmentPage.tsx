/**
 * One environment: each instance's pinned entry version (and the update available), its phase
 * timeline, each step's live state, conditions, outputs (non-sensitive
 * only: the API never returns the others), the commits made, live over server-sent events, and
 * Retry when Failed (once the cause is fixed); Upgrade an instance (or all) with an update available,
 * through its dry run; the ttl's countdown, a warning in its last hour and Extend; delete with
 * confirmation.
 */
import { useCallback, useEffect, useState } from 'react';
import type { ApiError } from '../api/client.js';
import type { EnvironmentStatus, EnvironmentView, JsonValue } from '../../api/contract.js';
import { useEnvironmentEvents, type StreamState } from '../app/events.js';
import { asApiError, useDocumentTitle, useLoad, useNow, usePolling } from '../app/hooks.js';
import { useSession } from '../app/session.js';
import { ConfirmDialog } from '../components/ConfirmDialog.js';
import { UpgradePanel } from '../components/UpgradePanel.js';
import { EnvironmentResourcesView } from '../components/ResourcesPanel.js';
import { ErrorAlert, Loading, PhaseBadge } from '../components/common.js';
import { History } from '../components/History.js';
import { ConditionTable, PhaseTimeline, StepTable } from '../components/Timeline.js';
import { href } from '../logic/router.js';
import { age, shortSha } from '../logic/format.js';
import { ExpiryCountdown, ExpiryWarning, ExtendTtl } from '../components/Expiry.js';
import { furthestDeletionStage } from '../logic/timeline.js';
import { newerStatus } from '../logic/live-status.js';
import { describeUpdate } from '../../core/browser.js';

const POLL_MS = 5_000;

const STREAM_TEXT: Record<StreamState, string> = {
  idle: 'Connecting to live updates…',
  connecting: 'Connecting to live updates…',
  live: 'Live',
  reconnecting: 'Connection lost; reconnecting…',
  closed: 'Live updates unavailable; refreshing every few seconds',
};

export function EnvironmentPage(props: { name: string }) {
  const { name } = props;
  useDocumentTitle(name);
  const { client, signOut } = useSession();
  const view = useLoad(`environment:${name}`, (signal) => client.getEnvironment(name, { signal }));
  const [live, setLive] = useState<EnvironmentStatus>();
  const [deleted, setDeleted] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [requestingDelete, setRequestingDelete] = useState(false);
  const [deleteError, setDeleteError] = useState<ApiError>();
  const [retrying, setRetrying] = useState(false);
  const [retryError, setRetryError] = useState<ApiError>();
  const [deletionFloor, setDeletionFloor] = useState<number>();
  // The upgrade panel: closed, one instance's, or every instance's (`instance` undefined).
  const [upgrading, setUpgrading] = useState<{ instance?: string }>();
  const [upgraded, setUpgraded] = useState<string>();
  // The answer to Extend, shown until the environment is read again.
  const [extended, setExtended] = useState<EnvironmentView>();
  useEffect(() => setExtended(undefined), [view.data]);
  const now = useNow(15_000);

  // Statuses arrive over several connections, in any order: an older one never replaces a newer.
  const keepNewer = useCallback(
    (status: EnvironmentStatus) => setLive((shown) => newerStatus(shown, status)),
    [],
  );
  const stream = useEnvironmentEvents(view.data && !deleted ? client.eventsUrl(name) : undefined, {
    onStatus: keepNewer,
    onDeleted: () => setDeleted(true),
  });
  // Without the stream, the page still moves: it asks again, and a 404 then means it is gone.
  const poll = useCallback(() => {
    if (stream === 'closed' && !deleted) view.reload();
  }, [stream, deleted, view]);
  usePolling(poll, POLL_MS);

  const confirmDelete = async () => {
    setRequestingDelete(true);
    setDeleteError(undefined);
    try {
      await client.deleteEnvironment(name);
      setConfirming(false);
    } catch (error) {
      const apiError = asApiError(error);
      if (apiError.unauthorized) signOut('The token is no longer accepted. Sign in again.');
      setDeleteError(apiError);
    } finally {
      setRequestingDelete(false);
    }
  };

  // Failed is never a dead end: once the cause is fixed, the failed steps run again.
  const retry = async () => {
    setRetrying(true);
    setRetryError(undefined);
    try {
      const retried = await client.retryEnvironment(name);
      keepNewer(retried.status);
    } catch (error) {
      const apiError = asApiError(error);
      if (apiError.unauthorized) signOut('The token is no longer accepted. Sign in again.');
      setRetryError(apiError);
    } finally {
      setRetrying(false);
    }
  };

  // A deletion's stage only moves forward: the furthest one shown is kept (logic/timeline.ts).
  const current = view.data && live ? newerStatus(view.data.status, live) : (live ?? view.data?.status);
  const stageNow = current?.phase === 'Deleting' ? furthestDeletionStage(deletionFloor, current) : undefined;
  useEffect(() => {
    if (stageNow !== undefined && stageNow !== deletionFloor) setDeletionFloor(stageNow);
  }, [stageNow, deletionFloor]);

  const goneByPolling = view.state === 'error' && view.error.status === 404 && view.data !== undefined;
  if (deleted || goneByPolling)
    return (
      <section aria-labelledby="env-title">
        <h1 id="env-title" tabIndex={-1}>
          {name}
        </h1>
        <p className="alert alert-info" role="status">
          The environment <strong>{name}</strong> was deleted: its applications, infrastructure, secrets and
          files are gone.
        </p>
        <a className="button" href="#/environments">
          Back to environments
        </a>
      </section>
    );

  if (!view.data)
    return (
      <section aria-labelledby="env-title">
        <h1 id="env-title" tabIndex={-1}>
          {name}
        </h1>
        {view.state === 'error' ? (
          <ErrorAlert
            error={view.error}
            title={
              view.error.status === 404
                ? `There is no environment named ${name}.`
                : 'The environment could not be loaded.'
            }
            action={
              <a className="button" href="#/environments">
                Back to environments
              </a>
            }
          />
        ) : (
          <Loading label="Loading the environment…" />
        )}
      </section>
    );

  const status: EnvironmentStatus = live ? newerStatus(view.data.status, live) : view.data.status;
  const isDeleting = status.phase === 'Deleting';
  // Without `to`, an upgrade moves each instance within its range: the environment-wide one needs such an update.
  const canUpgradeAll =
    !isDeleting && (view.data.status.versions ?? []).some((v) => v.update?.withinRange !== undefined);
  const openUpgrade = (instance?: string) => {
    setUpgraded(undefined);
    setUpgrading(instance === undefined ? {} : { instance });
  };
  const onUpgraded = (answer: EnvironmentView) => {
    const moved = (view.data?.status.versions ?? []).filter(
      (v) => upgrading?.instance === undefined || v.instance === upgrading.instance,
    );
    setUpgrading(undefined);
    setUpgraded(
      `Upgrade committed for ${moved.map((v) => v.instance).join(', ')}; the engine applies it now.`,
    );
    keepNewer(answer.status);
    view.reload();
  };
  return (
    <section aria-labelledby="env-title" className="environment">
      <div className="page-header">
        <div>
          <p className="breadcrumb">
            <a href="#/environments">Environments</a> /
          </p>
          <h1 id="env-title" tabIndex={-1}>
            {name} <PhaseBadge phase={status.phase} />
          </h1>
          <p className="lead" aria-live="polite">
            {status.message}
          </p>
        </div>
        <div className="header-actions">
          <p className={`stream stream-${stream}`} role="status">
            <span className="stream-dot" aria-hidden="true" /> {STREAM_TEXT[stream]}
          </p>
          {status.phase === 'Failed' && (
            <button type="button" className="button" onClick={() => void retry()} disabled={retrying}>
              {retrying ? 'Retrying…' : 'Retry'}
            </button>
          )}
          {canUpgradeAll && (
            <button type="button" className="button" onClick={() => openUpgrade()}>
              Upgrade all
            </button>
          )}
          {!isDeleting && (
            <a className="button" href={href({ page: 'edit', name })}>
              Edit
            </a>
          )}
          <button
            type="button"
            className="button button-danger"
            onClick={() => setConfirming(true)}
            disabled={isDeleting}
          >
            {isDeleting ? 'Deleting…' : 'Delete'}
          </button>
        </div>
      </div>
      {deleteError && <ErrorAlert error={deleteError} title="The environment could not be deleted." />}
      {retryError && <ErrorAlert error={retryError} title="The environment could not be retried." />}
      {upgraded && (
        <p className="alert alert-info" role="status">
          {upgraded}
        </p>
      )}
      {!isDeleting && <ExpiryWarning expiresAt={(extended ?? view.data).status.expiresAt} />}
      <Facts
        view={extended ?? view.data}
        now={now}
        deleting={isDeleting}
        onExtended={setExtended}
        onUpgrade={isDeleting ? undefined : openUpgrade}
      />
      {upgrading && !isDeleting && (
        <UpgradePanel
          key={upgrading.instance ?? ''}
          view={view.data}
          {...upgrading}
          onUpgraded={onUpgraded}
          onClose={() => setUpgrading(undefined)}
        />
      )}

      <section aria-labelledby="progress-title" className="panel">
        <h2 id="progress-title">{isDeleting ? 'Deletion' : 'Progress'}</h2>
        <PhaseTimeline status={status} deletionFloor={stageNow} />
        {status.errors && status.errors.length > 0 && (
          <div className="alert alert-error" role="alert">
            <p className="alert-title">The request in Git is invalid; nothing was rendered.</p>
            <ul>
              {status.errors.map((e, i) => (
                <li key={i}>
                  <code>
                    {e.file ?? ''}#{e.path}
                  </code>{' '}
                  {e.message}
                </li>
              ))}
            </ul>
          </div>
        )}
      </section>

      <section aria-labelledby="steps-title" className="panel">
        <h2 id="steps-title">Steps</h2>
        <StepTable steps={status.steps} deleting={isDeleting} />
      </section>

      <EnvironmentResourcesView name={name} status={status} />

      <div className="two-columns">
        <section aria-labelledby="outputs-title" className="panel">
          <h2 id="outputs-title">Outputs</h2>
          <Outputs outputs={status.outputs} deleting={isDeleting} />
        </section>
        <section aria-labelledby="conditions-title" className="panel">
          <h2 id="conditions-title">Conditions</h2>
          <ConditionTable conditions={status.conditions} />
        </section>
      </div>

      <section aria-labelledby="history-title" className="panel">
        <h2 id="history-title">History</h2>
        <History status={status} />
      </section>

      <section aria-labelledby="commits-title" className="panel">
        <h2 id="commits-title">Commits</h2>
        <Commits commits={status.commits} />
      </section>

      <ConfirmDialog
        open={confirming}
        title={`Delete ${name}?`}
        confirmText={name}
        actionLabel="Delete environment"
        busy={requestingDelete}
        onConfirm={() => void confirmDelete()}
        onCancel={() => setConfirming(false)}
      >
        <p>
          Applications are removed first, then the infrastructure is destroyed (Terraform destroy), then the
          secrets and the environment&apos;s files in Git. This cannot be undone.
        </p>
      </ConfirmDialog>
    </section>
  );
}

function Facts(props: {
  view: EnvironmentView;
  now: number;
  deleting: boolean;
  onExtended: (view: EnvironmentView) => void;
  onUpgrade?: (instance: string) => void;
}) {
  const spec = props.view.spec ?? {};
  const createdAt =
    typeof props.view.metadata.creationTimestamp === 'string'
      ? props.view.metadata.creationTimestamp
      : undefined;
  const ttl = typeof spec.ttl === 'string' ? spec.ttl : undefined;
  const instances = Array.isArray(spec.catalogs) ? spec.catalogs : [];
  // Each instance's pinned version and the newer one available (the API's answer, not the live events).
  const versions = props.view.status.versions ?? [];
  return (
    <dl className="facts facts-wide">
      <div>
        <dt>Namespace</dt>
        <dd className="mono">
          {typeof spec.namespace === 'string' ? spec.namespace : props.view.metadata.name}
        </dd>
      </div>
      <div>
        <dt>Type</dt>
        <dd>{typeof spec.type === 'string' ? spec.type : '—'}</dd>
      </div>
      <div>
        <dt>Owner</dt>
        <dd>{typeof spec.owner === 'string' ? spec.owner : '—'}</dd>
      </div>
      <div>
        <dt>TTL</dt>
        <dd>
          {ttl ?? '—'} <ExpiryCountdown expiresAt={props.view.status.expiresAt} />
          {ttl && !props.deleting && <ExtendTtl view={props.view} onExtended={props.onExtended} />}
        </dd>
      </div>
      {createdAt && (
        <div>
          <dt>Age</dt>
          <dd>{age(createdAt, props.now)}</dd>
        </div>
      )}
      {typeof spec.description === 'string' && spec.description && (
        <div className="fact-wide">
          <dt>Description</dt>
          <dd>{spec.description}</dd>
        </div>
      )}
      <div className="fact-wide">
        <dt>Instances</dt>
        <dd>
          <ul className="inline-list">
            {instances.map((i) => {
              const version = versions.find((v) => v.instance === i.name);
              const update = version && describeUpdate(version);
              return (
                <li key={i.name} className="chip mono">
                  {i.name} ← {i.entry}
                  <span className="pinned-version">
                    {version?.version === undefined ? 'not pinned yet' : `pinned ${version.version}`}
                  </span>
                  {update && <span className="update-available">update available: {update}</span>}
                  {update && props.onUpgrade && (
                    <button
                      type="button"
                      className="button button-small"
                      aria-label={`Upgrade ${i.name}`}
                      onClick={() => props.onUpgrade?.(i.name)}
                    >
                      Upgrade
                    </button>
                  )}
                </li>
              );
            })}
          </ul>
        </dd>
      </div>
    </dl>
  );
}

function display(value: JsonValue): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function Outputs(props: { outputs: EnvironmentStatus['outputs']; deleting: boolean }) {
  const instances = Object.entries(props.outputs ?? {}).filter(
    ([, values]) => Object.keys(values).length > 0,
  );
  return (
    <>
      {props.deleting ? (
        <p className="muted">None: the outputs go with the infrastructure this deletion destroys.</p>
      ) : instances.length === 0 ? (
        <p className="muted">No outputs yet: they appear as the infrastructure becomes available.</p>
      ) : (
        instances.map(([instance, values]) => (
          <div key={instance} className="outputs">
            <h3 className="mono">{instance}</h3>
            <dl>
              {Object.entries(values).map(([key, value]) => (
                <div key={key}>
                  <dt className="mono">{key}</dt>
                  <dd className="mono">{display(value)}</dd>
                </div>
              ))}
            </dl>
          </div>
        ))
      )}
      <p className="help">Sensitive outputs are kept in Kubernetes Secrets and are not shown here.</p>
    </>
  );
}

function Commits(props: { commits: EnvironmentStatus['commits'] }) {
  if (!props.commits || props.commits.length === 0) return <p className="muted">Nothing committed yet.</p>;
  return (
    <div className="table-wrap">
      <table className="responsive-table">
        <caption className="visually-hidden">Commits made for this environment</caption>
        <thead>
          <tr>
            <th scope="col">Repository</th>
            <th scope="col">Commit</th>
            <th scope="col">Message</th>
            <th scope="col">Date</th>
          </tr>
        </thead>
        <tbody>
          {props.commits.map((c) => (
            <tr key={`${c.repo}:${c.sha}`}>
              <td data-label="Repository">{c.repo}</td>
              <td data-label="Commit" className="mono">
                <abbr title={c.sha}>{shortSha(c.sha)}</abbr>
              </td>
              <td data-label="Message" className="message-cell">
                {c.message}
              </td>
              <td data-label="Date">{c.date ? new Date(c.date).toLocaleString() : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
