/**
 * Upgrade (or roll back) one instance, or every instance, of a running environment: the server's dry
 * run first (each instance's versions from → to, a rewritten range, the plan and every file's diff),
 * a version picker for one instance (the entry's versions; yanked ones disabled, older ones labelled
 * "rollback"), the server's problems at the field they name, then Confirm sends the upgrade.
 */
import { useEffect, useId, useMemo, useRef, useState } from 'react';
import type { ApiError } from '../api/client.js';
import type { CatalogDetail, EnvironmentView, UpdateDryRun, UpgradeRequest } from '../../api/contract.js';
import { asApiError } from '../app/hooks.js';
import { useSession } from '../app/session.js';
import { compareVersions } from '../logic/catalog.js';
import { upgradeErrors, versionChoices, type UpgradeErrors } from '../logic/upgrade.js';
import { ErrorAlert, Loading } from './common.js';
import { UpdatePlanView } from './UpdatePlan.js';

type DryRunState =
  { state: 'loading' } | { state: 'ready'; result: UpdateDryRun } | { state: 'error'; error: ApiError };

const NO_ERRORS: UpgradeErrors = { to: [], instance: [], parameters: [], general: [] };

export function UpgradePanel(props: {
  view: EnvironmentView;
  /** The instance to move; every instance when undefined. */
  instance?: string;
  onUpgraded: (view: EnvironmentView) => void;
  onClose: () => void;
}) {
  const { view, instance, onUpgraded, onClose } = props;
  const name = view.metadata.name;
  const { client, signOut } = useSession();
  const titleId = useId();
  const pickerId = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const instances = useMemo(
    () => (Array.isArray(view.spec?.catalogs) ? view.spec.catalogs : []).map((i) => ({ name: i.name })),
    [view],
  );
  const version =
    instance === undefined ? undefined : view.status.versions?.find((v) => v.instance === instance);
  // Without an update within the range, the one outside it is what there is to take.
  const [to, setTo] = useState(
    version?.update?.withinRange === undefined ? (version?.update?.outsideRange ?? '') : '',
  );
  const [catalog, setCatalog] = useState<CatalogDetail>();
  const [dryRun, setDryRun] = useState<DryRunState>({ state: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const [sending, setSending] = useState(false);
  const [sendError, setSendError] = useState<ApiError>();

  useEffect(() => headingRef.current?.focus(), []);

  const entry = version?.entry;
  useEffect(() => {
    if (entry === undefined) return;
    const controller = new AbortController();
    client.getCatalog(entry, { signal: controller.signal }).then(setCatalog, () => undefined);
    return () => controller.abort();
  }, [client, entry]);

  const request: UpgradeRequest = {
    ...(instance === undefined ? {} : { instance }),
    ...(to === '' ? {} : { to }),
  };
  const requestKey = JSON.stringify(request);

  useEffect(() => {
    const controller = new AbortController();
    setDryRun({ state: 'loading' });
    setSendError(undefined);
    client.planUpgrade(name, JSON.parse(requestKey) as UpgradeRequest, { signal: controller.signal }).then(
      (result) => setDryRun({ state: 'ready', result }),
      (error: unknown) => {
        if (controller.signal.aborted) return;
        const apiError = asApiError(error);
        if (apiError.unauthorized) signOut('The token is no longer accepted. Sign in again.');
        setDryRun({ state: 'error', error: apiError });
      },
    );
    return () => controller.abort();
  }, [client, name, requestKey, attempt, signOut]);

  const confirm = async () => {
    setSending(true);
    setSendError(undefined);
    try {
      onUpgraded(await client.upgradeEnvironment(name, JSON.parse(requestKey) as UpgradeRequest));
    } catch (error) {
      const apiError = asApiError(error);
      if (apiError.unauthorized) signOut('The token is no longer accepted. Sign in again.');
      setSendError(apiError);
    } finally {
      setSending(false);
    }
  };

  const problemSource = sendError ?? (dryRun.state === 'error' ? dryRun.error : undefined);
  const errors =
    problemSource && problemSource.status === 422
      ? upgradeErrors(problemSource.problems, instances)
      : NO_ERRORS;
  const otherError = problemSource && problemSource.status !== 422 ? problemSource : undefined;
  const upgrades = dryRun.state === 'ready' ? (dryRun.result.upgrades ?? []) : [];
  const choices = version && catalog ? versionChoices(version.version, catalog.items) : [];
  const target = instance ?? 'every instance';

  return (
    <section aria-labelledby={titleId} className="panel upgrade-panel">
      <h2 id={titleId} ref={headingRef} tabIndex={-1}>
        Upgrade {instance === undefined ? target : <span className="mono">{instance}</span>}
      </h2>
      <FieldErrors messages={errors.instance} />
      {instance !== undefined && (
        <div className="field">
          <label htmlFor={pickerId}>Version</label>
          <select
            id={pickerId}
            value={to}
            onChange={(event) => setTo(event.target.value)}
            aria-invalid={errors.to.length > 0 || undefined}
          >
            <option value="">
              Newest {version?.range === undefined ? 'version' : `within ${version.range}`}
            </option>
            {choices.map((c) => (
              <option key={c.version} value={c.version} disabled={c.disabled}>
                {c.label}
              </option>
            ))}
          </select>
          <FieldErrors messages={errors.to} />
        </div>
      )}
      {errors.parameters.length > 0 && (
        <div className="alert alert-error" role="alert">
          <p className="alert-title">Parameters the target version does not accept</p>
          <ul aria-label="Parameter problems">
            {errors.parameters.map((p, i) => (
              <li key={i}>
                <span className="mono">
                  {p.instance} · {p.parameter}
                </span>
                : {p.message}
              </li>
            ))}
          </ul>
          <p>Edit the environment to change or remove them, then upgrade.</p>
        </div>
      )}
      {errors.general.length > 0 && (
        <div className="alert alert-error" role="alert">
          <ul>
            {errors.general.map((m, i) => (
              <li key={i}>{m}</li>
            ))}
          </ul>
        </div>
      )}
      {otherError && (
        <ErrorAlert
          error={otherError}
          title={
            otherError.status === 409
              ? 'The environment changed since this was planned.'
              : 'The upgrade could not be planned or sent.'
          }
          action={
            <button type="button" className="button" onClick={() => setAttempt((a) => a + 1)}>
              {otherError.status === 409 ? 'Check again' : 'Try again'}
            </button>
          }
        />
      )}
      {dryRun.state === 'loading' && <Loading label="Planning the upgrade…" />}
      {dryRun.state === 'ready' &&
        (upgrades.length === 0 ? (
          <p>Nothing to move: {target} already runs the newest version its range allows.</p>
        ) : (
          <>
            <ul className="upgrade-versions" aria-label="Version changes">
              {upgrades.map((u) => (
                <li key={u.instance}>
                  <span className="mono">{u.instance}</span> ({u.entry}):{' '}
                  <span className="mono">
                    {u.from} → {u.to}
                  </span>
                  {compareVersions(u.to, u.from) < 0 && <span className="tag rollback-tag">rollback</span>}
                  {u.reference && (
                    <span className="range-rewrite">
                      {' '}
                      the request becomes <span className="mono">{u.reference.to}</span> (was{' '}
                      <span className="mono">{u.reference.from}</span>)
                    </span>
                  )}
                </li>
              ))}
            </ul>
            <UpdatePlanView result={dryRun.result} />
          </>
        ))}
      <div className="create-row">
        <button type="button" className="button" onClick={onClose} disabled={sending}>
          Cancel
        </button>
        <button
          type="button"
          className="button button-primary"
          onClick={() => void confirm()}
          disabled={dryRun.state !== 'ready' || upgrades.length === 0 || sending}
        >
          {sending ? 'Upgrading…' : 'Confirm upgrade'}
        </button>
      </div>
    </section>
  );
}

function FieldErrors(props: { messages: readonly string[] }) {
  if (props.messages.length === 0) return null;
  return (
    <ul className="field-errors">
      {props.messages.map((m, i) => (
        <li key={i} className="field-error">
          {m}
        </li>
      ))}
    </ul>
  );
}
