/**
 * One catalog entry on a page of its own (`#/catalog/<entry>`, so a link opens it): what it is,
 * every published version (newest first) and, for the version picked, its parameters and outputs.
 */
import { useEffect, useId, useMemo, useState } from 'react';
import type { CatalogDetail, CatalogVersion, JsonSchema } from '../../api/contract.js';
import { isSchema, isSecretSchema } from '../../core/browser.js';
import { useDocumentTitle, useLoad } from '../app/hooks.js';
import { useSession } from '../app/session.js';
import { ErrorAlert, Loading, TypeBadge } from '../components/common.js';
import { newestFirst } from '../logic/catalog.js';
import { href } from '../logic/router.js';
import { typeLabel } from '../logic/schema.js';
import { UsedBy, VersionDiffPanel, VersionStates } from './CatalogVersions.js';

export function CatalogEntryPage(props: { name: string }) {
  const { name } = props;
  useDocumentTitle(name);
  const { client } = useSession();
  const detail = useLoad(`catalog:${name}`, (signal) => client.getCatalog(name, { signal }));

  // Opened from a card far down the list, the page would keep that scroll position: go to the top.
  useEffect(() => {
    document.getElementById('entry-title')?.scrollIntoView({ block: 'start' });
  }, [name, detail.data]);

  return (
    <section aria-labelledby="entry-title" className="catalog-entry">
      <p className="breadcrumb">
        <a href={href({ page: 'catalog' })}>Catalog</a> /
      </p>
      {detail.data ? (
        <Entry detail={detail.data} onChanged={detail.reload} />
      ) : (
        <>
          <h1 id="entry-title" tabIndex={-1}>
            {name}
          </h1>
          {detail.state === 'error' ? (
            <ErrorAlert
              error={detail.error}
              title={
                detail.error.status === 404
                  ? `There is no catalog entry named ${name}.`
                  : 'The entry could not be loaded.'
              }
              action={
                <a className="button" href={href({ page: 'catalog' })}>
                  Back to the catalog
                </a>
              }
            />
          ) : (
            <Loading label="Loading the entry…" />
          )}
        </>
      )}
    </section>
  );
}

function Entry(props: { detail: CatalogDetail; onChanged: () => void }) {
  const { detail } = props;
  const versions = useMemo(() => newestFirst(detail.items), [detail.items]);
  const [picked, setPicked] = useState<string>();
  const shown = versions.find((v) => v.version === picked) ?? versions[0];
  const versionId = useId();
  const latest = detail.latestVersion || versions[0]?.version;
  return (
    <>
      <div className="page-header">
        <h1 id="entry-title" tabIndex={-1}>
          {detail.title} <TypeBadge type={detail.type} />
        </h1>
        <a
          className="button button-primary"
          href={href({ page: 'new', entries: [detail.name] })}
          aria-label={`Use in a new environment: ${detail.title}`}
        >
          Use in a new environment
        </a>
      </div>
      <p className="lead">{detail.description}</p>
      <dl className="facts facts-wide">
        <div>
          <dt>Name</dt>
          <dd className="mono">{detail.name}</dd>
        </div>
        <div>
          <dt>Owner</dt>
          <dd>{detail.owner || '—'}</dd>
        </div>
        <div>
          <dt>Latest version</dt>
          <dd className="mono">{latest ?? '—'}</dd>
        </div>
        {detail.tags.length > 0 && (
          <div>
            <dt>Tags</dt>
            <dd>
              <ul className="tags" aria-label="Tags">
                {detail.tags.map((t) => (
                  <li key={t} className="tag">
                    {t}
                  </li>
                ))}
              </ul>
            </dd>
          </div>
        )}
      </dl>
      {!shown ? (
        <p>No published version.</p>
      ) : (
        <>
          <div className="field version-picker">
            <label htmlFor={versionId}>Version</label>
            <select id={versionId} value={shown.version} onChange={(e) => setPicked(e.target.value)}>
              {versions.map((v) => (
                <option key={v.version} value={v.version}>
                  {v.version}
                  {v.version === latest ? ' (latest)' : ''}
                  {v.yanked ? ' (yanked)' : v.deprecated ? ' (deprecated)' : ''}
                </option>
              ))}
            </select>
            <p className="help">
              {versions.length === 1
                ? 'One published version.'
                : `${versions.length} published versions, newest first.`}
            </p>
          </div>
          <VersionDetails version={shown} />
          <VersionStates name={detail.name} versions={versions} onChanged={props.onChanged} />
          <VersionDiffPanel name={detail.name} versions={versions} />
          <UsedBy name={detail.name} />
        </>
      )}
    </>
  );
}

function VersionDetails(props: { version: CatalogVersion }) {
  const { version } = props;
  const params = isSchema(version.parameters.properties) ? Object.entries(version.parameters.properties) : [];
  const required = new Set(Array.isArray(version.parameters.required) ? version.parameters.required : []);
  return (
    <>
      <section className="panel" aria-labelledby="entry-parameters-title">
        <h2 id="entry-parameters-title">Parameters of {version.version}</h2>
        {params.length === 0 ? (
          <p>None.</p>
        ) : (
          <div className="table-wrap">
            <table className="responsive-table parameter-table">
              <caption className="visually-hidden">Parameters of {version.version}</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Type</th>
                  <th scope="col">Default</th>
                  <th scope="col">Description</th>
                </tr>
              </thead>
              <tbody>
                {params.map(([name, schema]) => {
                  const s = (isSchema(schema) ? schema : {}) as JsonSchema;
                  return (
                    <tr key={name}>
                      <th scope="row" data-label="Name" className="mono">
                        {name}
                        {required.has(name) && <span className="required-mark"> (required)</span>}
                        {(isSecretSchema(s) || version.secretParameters.includes(name)) && (
                          <span className="tag tag-secret">secret</span>
                        )}
                      </th>
                      <td data-label="Type">
                        {Array.isArray(s.enum) ? s.enum.map(String).join(' | ') : typeLabel(s)}
                      </td>
                      <td data-label="Default" className="mono">
                        {s.default === undefined ? '—' : JSON.stringify(s.default)}
                      </td>
                      <td data-label="Description">
                        {typeof s.description === 'string' && s.description ? s.description : '—'}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section className="panel" aria-labelledby="entry-outputs-title">
        <h2 id="entry-outputs-title">Outputs of {version.version}</h2>
        {version.outputs.length === 0 ? (
          <p>
            None:{' '}
            {version.type === 'yaml'
              ? 'applications do not produce outputs.'
              : 'this version declares no outputs.'}
          </p>
        ) : (
          <ul className="outputs-list">
            {version.outputs.map((o) => (
              <li key={o.name}>
                <span className="mono">{o.name}</span> <span className="muted">({typeLabel(o.schema)})</span>
                {o.sensitive && <span className="tag tag-secret">sensitive</span>}
                {o.description && <span> — {o.description}</span>}
              </li>
            ))}
          </ul>
        )}
        {(version.module || version.helm) && (
          <p className="help">
            {version.module && (
              <>Terraform module: {version.module === 'Inline' ? 'inline, in the entry' : 'remote'}</>
            )}
            {version.helm && (
              <>
                Helm chart: <code>{version.helm.chart}</code> {version.helm.targetRevision} from{' '}
                <code>{version.helm.repoURL}</code>
              </>
            )}
          </p>
        )}
      </section>
    </>
  );
}
