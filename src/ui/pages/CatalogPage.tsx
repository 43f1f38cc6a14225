/** The catalog browser: every entry with its type, owner, tags and versions; search and filters. */
import { useId, useMemo, useState } from 'react';
import type { CatalogDetail, CatalogSummary, EntryType, JsonSchema } from '../../api/contract.js';
import { useDocumentTitle, useLoad } from '../app/hooks.js';
import { useSession } from '../app/session.js';
import { Empty, ErrorAlert, Loading, TypeBadge } from '../components/common.js';
import { catalogTags, filterCatalog, NO_FILTER, type CatalogFilter } from '../logic/catalog.js';
import { ENTRY_TYPE_LABEL } from '../logic/format.js';
import { href } from '../logic/router.js';
import { isSchema, isSecretSchema } from '../../core/browser.js';
import { typeLabel } from '../logic/schema.js';

export function CatalogPage(props: { selected?: string }) {
  useDocumentTitle('Catalog');
  const { client } = useSession();
  const catalogs = useLoad('catalogs', (signal) => client.listCatalogs({ signal }));
  const [filter, setFilter] = useState<CatalogFilter>(NO_FILTER);
  const items = catalogs.data?.items;
  const shown = useMemo(() => (items ? filterCatalog(items, filter) : []), [items, filter]);
  const tags = useMemo(() => (items ? catalogTags(items) : []), [items]);
  const searchId = useId();
  const typeId = useId();
  const tagId = useId();

  return (
    <section aria-labelledby="catalog-title">
      <div className="page-header">
        <h1 id="catalog-title" tabIndex={-1}>
          Catalog
        </h1>
        <a className="button button-primary" href="#/new">
          New environment
        </a>
      </div>
      <p className="lead">
        Building blocks for environments: infrastructure (IaC), applications (YAML), or both (Hybrid).
      </p>
      <form className="filters" role="search" aria-label="Catalog" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor={searchId}>Search</label>
          <input
            id={searchId}
            type="search"
            value={filter.query}
            placeholder="Name, description, owner or tag"
            onChange={(e) => setFilter({ ...filter, query: e.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor={typeId}>Type</label>
          <select
            id={typeId}
            value={filter.type}
            onChange={(e) => setFilter({ ...filter, type: e.target.value as EntryType | '' })}
          >
            <option value="">All types</option>
            {(Object.keys(ENTRY_TYPE_LABEL) as EntryType[]).map((t) => (
              <option key={t} value={t}>
                {ENTRY_TYPE_LABEL[t]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={tagId}>Tag</label>
          <select
            id={tagId}
            value={filter.tag}
            onChange={(e) => setFilter({ ...filter, tag: e.target.value })}
          >
            <option value="">All tags</option>
            {tags.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </div>
      </form>
      {catalogs.state === 'error' && (
        <ErrorAlert
          error={catalogs.error}
          title="The catalog could not be loaded."
          action={
            <button type="button" className="button" onClick={catalogs.reload}>
              Try again
            </button>
          }
        />
      )}
      {!items && catalogs.state === 'loading' && <Loading label="Loading the catalog…" />}
      {items && (
        <>
          <p className="result-count" role="status">
            {shown.length === items.length
              ? `${items.length} ${items.length === 1 ? 'entry' : 'entries'}`
              : `${shown.length} of ${items.length} entries`}
          </p>
          {shown.length === 0 ? (
            <Empty>
              No entry matches.{' '}
              <button type="button" className="button-link" onClick={() => setFilter(NO_FILTER)}>
                Clear the filters
              </button>
            </Empty>
          ) : (
            <ul className="card-grid">
              {shown.map((entry) => (
                <li key={entry.name}>
                  <CatalogCard entry={entry} expanded={props.selected === entry.name} />
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}

function CatalogCard(props: { entry: CatalogSummary; expanded: boolean }) {
  const { entry, expanded } = props;
  const titleId = useId();
  const detailsId = useId();
  return (
    <article className={`card catalog-card${expanded ? ' expanded' : ''}`} aria-labelledby={titleId}>
      <div className="card-head">
        <h2 id={titleId}>{entry.title}</h2>
        <TypeBadge type={entry.type} />
      </div>
      <p className="muted mono">
        {entry.name}@{entry.latestVersion}
      </p>
      <p>{entry.description}</p>
      <dl className="facts">
        <div>
          <dt>Owner</dt>
          <dd>{entry.owner || '—'}</dd>
        </div>
        <div>
          <dt>Versions</dt>
          <dd>{entry.versions.join(', ')}</dd>
        </div>
      </dl>
      {entry.tags.length > 0 && (
        <ul className="tags" aria-label="Tags">
          {entry.tags.map((t) => (
            <li key={t} className="tag">
              {t}
            </li>
          ))}
        </ul>
      )}
      <div className="card-actions">
        <a
          className="button"
          href={expanded ? href({ page: 'catalog' }) : href({ page: 'catalog', entry: entry.name })}
          aria-expanded={expanded}
          aria-controls={detailsId}
          aria-label={`${expanded ? 'Hide details of' : 'Details of'} ${entry.title}`}
        >
          {expanded ? 'Hide details' : 'Details'}
        </a>
        <a
          className="button button-primary"
          href={href({ page: 'new', entries: [entry.name] })}
          aria-label={`Use in a new environment: ${entry.title}`}
        >
          Use in a new environment
        </a>
      </div>
      <div id={detailsId}>{expanded && <CatalogDetails name={entry.name} />}</div>
    </article>
  );
}

function CatalogDetails(props: { name: string }) {
  const { client } = useSession();
  const detail = useLoad(`catalog:${props.name}`, (signal) => client.getCatalog(props.name, { signal }));
  if (detail.state === 'error')
    return <ErrorAlert error={detail.error} title="The entry could not be loaded." />;
  if (!detail.data) return <Loading label="Loading the entry…" />;
  return <EntryVersion detail={detail.data} />;
}

function EntryVersion(props: { detail: CatalogDetail }) {
  const [latest] = props.detail.items;
  if (!latest) return <p>No published version.</p>;
  const params = isSchema(latest.parameters.properties) ? Object.entries(latest.parameters.properties) : [];
  const required = new Set(Array.isArray(latest.parameters.required) ? latest.parameters.required : []);
  return (
    <div className="entry-details">
      <h3>Parameters of {latest.version}</h3>
      {params.length === 0 ? (
        <p>None.</p>
      ) : (
        <div className="table-wrap">
          <table>
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
                    <th scope="row" className="mono">
                      {name}
                      {required.has(name) && <span className="required-mark"> (required)</span>}
                      {(isSecretSchema(s) || latest.secretParameters.includes(name)) && (
                        <span className="tag tag-secret">secret</span>
                      )}
                    </th>
                    <td>{Array.isArray(s.enum) ? s.enum.map(String).join(' | ') : typeLabel(s)}</td>
                    <td className="mono">{s.default === undefined ? '—' : JSON.stringify(s.default)}</td>
                    <td>{typeof s.description === 'string' ? s.description : ''}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <h3>Outputs</h3>
      {latest.outputs.length === 0 ? (
        <p>
          None:{' '}
          {latest.type === 'yaml'
            ? 'applications do not produce outputs.'
            : 'this entry declares no outputs.'}
        </p>
      ) : (
        <ul className="outputs-list">
          {latest.outputs.map((o) => (
            <li key={o.name}>
              <span className="mono">{o.name}</span> <span className="muted">({typeLabel(o.schema)})</span>
              {o.sensitive && <span className="tag tag-secret">sensitive</span>}
              {o.description && <span> — {o.description}</span>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
