/**
 * A catalog entry's versions beyond one version's schema: each version's state (deprecated,
 * yanked, with its notice) and, for the platform role, the buttons that change it; the difference
 * between two versions; and which environments run which version, with their owners.
 */
import { useId, useState } from 'react';
import type { ApiError } from '../api/client.js';
import type { CatalogVersion, EnvironmentSummary, VersionStatePatch } from '../../api/contract.js';
import { asApiError, useLoad } from '../app/hooks.js';
import { useSession } from '../app/session.js';
import { DiffText } from '../components/Diff.js';
import { ErrorAlert, Loading } from '../components/common.js';
import { entryNameOf } from '../logic/edit.js';
import { href } from '../logic/router.js';
import { fileChanges, fileDiff, versionDiff, type EntryFileChange } from '../logic/version-diff.js';

function StateTags(props: { version: CatalogVersion }) {
  const { version } = props;
  if (!version.deprecated && !version.yanked) return <span>Active</span>;
  return (
    <>
      {version.yanked && <span className="tag tag-yanked">yanked</span>}
      {version.deprecated && <span className="tag tag-deprecated">deprecated</span>}
      {version.notice && <p className="help">{version.notice}</p>}
    </>
  );
}

export function VersionStates(props: {
  name: string;
  versions: readonly CatalogVersion[];
  onChanged: () => void;
}) {
  const { client, signOut, user } = useSession();
  const platform = user?.role === 'platform';
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<ApiError>();

  const set = async (version: string, patch: VersionStatePatch) => {
    setBusy(version);
    setError(undefined);
    try {
      await client.setVersionState(props.name, version, patch);
      props.onChanged();
    } catch (e) {
      const apiError = asApiError(e);
      if (apiError.unauthorized) signOut('The token is no longer accepted. Sign in again.');
      setError(apiError);
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <section className="panel" aria-labelledby="entry-states-title">
      <h2 id="entry-states-title">Lifecycle</h2>
      {error && <ErrorAlert error={error} title="The version's state was not changed." />}
      <div className="table-wrap">
        <table className="responsive-table version-states">
          <caption className="visually-hidden">Each version and its state</caption>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">State</th>
              {platform && <th scope="col">Change</th>}
            </tr>
          </thead>
          <tbody>
            {props.versions.map((v) => (
              <tr key={v.version} aria-label={v.version}>
                <th scope="row" data-label="Version" className="mono">
                  {v.version}
                </th>
                <td data-label="State">
                  <StateTags version={v} />
                </td>
                {platform && (
                  <td data-label="Change">
                    <div className="button-row">
                      {!v.deprecated && !v.yanked && (
                        <button
                          type="button"
                          className="button button-small"
                          disabled={busy !== undefined}
                          aria-label={`Deprecate ${v.version}`}
                          onClick={() => void set(v.version, { deprecated: true })}
                        >
                          Deprecate
                        </button>
                      )}
                      {!v.yanked && (
                        <button
                          type="button"
                          className="button button-small button-danger"
                          disabled={busy !== undefined}
                          aria-label={`Yank ${v.version}`}
                          onClick={() => void set(v.version, { yanked: true })}
                        >
                          Yank
                        </button>
                      )}
                      {(v.deprecated || v.yanked) && (
                        <button
                          type="button"
                          className="button button-small"
                          disabled={busy !== undefined}
                          aria-label={`Undo: make ${v.version} active again`}
                          onClick={() => void set(v.version, { deprecated: false, yanked: false })}
                        >
                          Undo
                        </button>
                      )}
                    </div>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="help">
        Deprecated: still runs and upgrades, but new requests get it only by naming it. Yanked: refused for
        new requests and upgrades; running instances keep running.
      </p>
    </section>
  );
}

export function VersionDiffPanel(props: { name: string; versions: readonly CatalogVersion[] }) {
  const { versions } = props;
  const fromId = useId();
  const toId = useId();
  const [from, setFrom] = useState(versions[1]?.version ?? versions[0]?.version ?? '');
  const [to, setTo] = useState(versions[0]?.version ?? '');
  if (versions.length < 2) return null;
  const a = versions.find((v) => v.version === from);
  const b = versions.find((v) => v.version === to);
  const diff = a && b ? versionDiff(a, b) : undefined;
  const picker = (id: string, label: string, value: string, onChange: (v: string) => void) => (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        {versions.map((v) => (
          <option key={v.version} value={v.version}>
            {v.version}
          </option>
        ))}
      </select>
    </div>
  );
  return (
    <section className="panel" aria-labelledby="entry-diff-title">
      <h2 id="entry-diff-title">Compare releases</h2>
      <div className="form-grid">
        {picker(fromId, 'Compare from', from, setFrom)}
        {picker(toId, 'Compare to', to, setTo)}
      </div>
      {diff && (
        <>
          {diff.schema === '' ? (
            <p>Parameters, outputs and sources are the same.</p>
          ) : (
            <DiffText diff={diff.schema} label={`Changes from ${from} to ${to}`} />
          )}
          {from !== to && <FilesDiff name={props.name} from={from} to={to} />}
        </>
      )}
    </section>
  );
}

const CHANGE_TEXT: Record<EntryFileChange['change'], string> = {
  added: 'added',
  removed: 'removed',
  changed: 'changed',
};

/** Each file the two versions do not share, with a unified diff of its content. */
function FilesDiff(props: { name: string; from: string; to: string }) {
  const { client } = useSession();
  const { name, from, to } = props;
  const files = useLoad(`entry-files:${name}:${from}:${to}`, async (signal) => {
    const [a, b] = await Promise.all([
      client.entryFiles(name, from, { signal }),
      client.entryFiles(name, to, { signal }),
    ]);
    const read = (version: string, path: string) =>
      client.entryFile(name, version, path, { signal }).then((f) => f.content);
    return Promise.all(
      fileChanges(a, b).map(async (change) => {
        const [before, after] = await Promise.all([
          change.change === 'added' ? undefined : read(from, change.path),
          change.change === 'removed' ? undefined : read(to, change.path),
        ]);
        const diff = fileDiff({ path: change.path, from: before, to: after, fromLabel: from, toLabel: to });
        return { ...change, diff };
      }),
    );
  });
  if (!files.data)
    return files.state === 'error' ? (
      <ErrorAlert error={files.error} title="The entry’s files could not be compared." />
    ) : (
      <Loading label="Comparing the entry’s files…" />
    );
  if (files.data.length === 0) return <p>The entry’s files are the same.</p>;
  return (
    <>
      <h3>Files</h3>
      <ul className="file-list" aria-label={`Files changed from ${from} to ${to}`}>
        {files.data.map((file) => (
          <li key={file.path}>
            <details className="file" open>
              <summary className="file-name">
                <code>{file.path}</code>{' '}
                <span className={`tag change-${file.change}`}>{CHANGE_TEXT[file.change]}</span>
              </summary>
              <DiffText diff={file.diff} label={`Diff of ${file.path} from ${from} to ${to}`} />
            </details>
          </li>
        ))}
      </ul>
    </>
  );
}

export function UsedBy(props: { name: string }) {
  const { client } = useSession();
  const list = useLoad('environments', (signal) => client.listEnvironments({ signal }));
  const rows = (list.data?.items ?? []).flatMap((env: EnvironmentSummary) =>
    // `entry` is as requested (`sample-app@^1`): the name is before the "@".
    env.instances.filter((i) => entryNameOf(i.entry) === props.name).map((instance) => ({ env, instance })),
  );
  return (
    <section className="panel" aria-labelledby="entry-used-title">
      <h2 id="entry-used-title">Used by</h2>
      {!list.data ? (
        list.state === 'error' ? (
          <ErrorAlert error={list.error} title="The environments could not be loaded." />
        ) : (
          <Loading label="Loading the environments…" />
        )
      ) : rows.length === 0 ? (
        <p className="muted">No environment you can see runs this entry.</p>
      ) : (
        <div className="table-wrap">
          <table className="responsive-table">
            <caption className="visually-hidden">Environments that run this entry</caption>
            <thead>
              <tr>
                <th scope="col">Environment</th>
                <th scope="col">Instance</th>
                <th scope="col">Version</th>
                <th scope="col">Owner</th>
              </tr>
            </thead>
            <tbody>
              {rows.map(({ env, instance }) => (
                <tr key={`${env.name}/${instance.name}`}>
                  <td data-label="Environment">
                    <a href={href({ page: 'environment', name: env.name })}>{env.name}</a>
                  </td>
                  <td data-label="Instance" className="mono">
                    {instance.name}
                  </td>
                  <td data-label="Version" className="mono">
                    {instance.version ?? 'not pinned yet'}
                  </td>
                  <td data-label="Owner">{env.owner ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
