/**
 * The catalog browser: every entry with its type, owner, tags and versions; search and filters.
 * Details open on a page of their own (CatalogEntryPage), wide enough for the parameter table.
 */
import { useId, useMemo, useState } from 'react';
import type { CatalogSummary, EntryType } from '../../api/contract.js';
import { useDocumentTitle, useLoad } from '../app/hooks.js';
import { useSession } from '../app/session.js';
import { Empty, ErrorAlert, Loading, TypeBadge } from '../components/common.js';
import { catalogTags, filterCatalog, NO_FILTER, type CatalogFilter } from '../logic/catalog.js';
import { ENTRY_TYPE_LABEL } from '../logic/format.js';
import { href } from '../logic/router.js';

export function CatalogPage() {
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
                  <CatalogCard entry={entry} />
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}

function CatalogCard(props: { entry: CatalogSummary }) {
  const { entry } = props;
  const titleId = useId();
  return (
    <article className="card catalog-card" aria-labelledby={titleId}>
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
          href={href({ page: 'catalog', entry: entry.name })}
          aria-label={`Details of ${entry.title}`}
        >
          Details
        </a>
        <a
          className="button button-primary"
          href={href({ page: 'new', entries: [entry.name] })}
          aria-label={`Use in a new environment: ${entry.title}`}
        >
          Use in a new environment
        </a>
      </div>
    </article>
  );
}
