/**
 * The views an update's dry run shares with an upgrade's: the plan's phases and waves, and each
 * changed file with its unified diff, per repository.
 */
import { Fragment } from 'react';
import type { Plan, RepoName, UpdateDryRun } from '../../api/contract.js';
import { FileDiffView } from './Diff.js';

export const REPO_LABEL: Record<RepoName, string> = {
  platform: 'Platform repository (infrastructure)',
  apps: 'Application repository (Argo CD)',
};

/**
 * An update's dry run: the instances added and removed, the secret parameters given new values (by
 * name: the values are never shown), the plan, and every file's diff, per repo.
 */
export function UpdatePlanView(props: { result: UpdateDryRun }) {
  const { plan, files, added, removed } = props.result;
  const secrets = props.result.secrets ?? [];
  const repos: RepoName[] = ['platform', 'apps'];
  if (files.length === 0 && secrets.length === 0) return <p>Nothing changes: the request is as it runs.</p>;
  return (
    <>
      {(added.length > 0 || removed.length > 0 || secrets.length > 0) && (
        <ul className="instance-changes">
          {added.map((name) => (
            <li key={`+${name}`}>
              Adds <span className="mono">{name}</span>
            </li>
          ))}
          {removed.map((name) => (
            <li key={`-${name}`}>
              Removes <span className="mono">{name}</span> (its applications and infrastructure are deleted)
            </li>
          ))}
          {secrets.map(({ instance, parameters }) => (
            <li key={`secret:${instance}`}>
              New {parameters.length > 1 ? 'values' : 'value'} for{' '}
              <span className="mono">{parameters.join(', ')}</span> of{' '}
              <span className="mono">{instance}</span> (written to its Kubernetes Secret once the change is
              committed; the steps that read it are applied again)
            </li>
          ))}
        </ul>
      )}
      <PlanPhases plan={plan} />
      <h3>Changes</h3>
      {repos.map((repo) => {
        const list = files.filter((f) => f.repo === repo);
        return (
          <section key={repo} aria-label={`Changes in the ${REPO_LABEL[repo]}`} className="files">
            <h4>{REPO_LABEL[repo]}</h4>
            {list.length === 0 ? (
              <p className="muted">No changes.</p>
            ) : (
              <ul className="file-list">
                {list.map((f) => (
                  <li key={f.path}>
                    <FileDiffView file={f} path={<FilePath path={f.path} />} />
                  </li>
                ))}
              </ul>
            )}
          </section>
        );
      })}
    </>
  );
}

/** The plan's two phases and the waves of steps in each. */
export function PlanPhases(props: { plan: Plan }) {
  const { plan } = props;
  const phases = [1, 2] as const;
  return (
    <ol className="plan">
      {phases.map((phase) => {
        const waves = plan.waves.filter((w) => w.phase === phase);
        return (
          <li key={phase} className="plan-phase">
            <p className="plan-phase-title">
              Phase {phase}: {phase === 1 ? 'infrastructure' : 'applications'}
            </p>
            {waves.length === 0 ? (
              <p className="muted">Nothing in this phase.</p>
            ) : (
              <ol className="waves">
                {waves.map((wave) => (
                  <li key={wave.number}>
                    <span className="wave-label">Wave {wave.number}</span>
                    <ul className="inline-list">
                      {wave.steps.map((s) => (
                        <li key={s} className="chip mono">
                          {s}
                        </li>
                      ))}
                    </ul>
                  </li>
                ))}
              </ol>
            )}
          </li>
        );
      })}
    </ol>
  );
}

/** A path that wraps only after a "/", never inside a name. */
export function FilePath(props: { path: string }) {
  const parts = props.path.split('/');
  return (
    <span className="mono file-path">
      {parts.map((part, i) => (
        <Fragment key={i}>
          <span className="path-part">
            {part}
            {i < parts.length - 1 ? '/' : ''}
          </span>
          {i < parts.length - 1 && <wbr />}
        </Fragment>
      ))}
    </span>
  );
}
