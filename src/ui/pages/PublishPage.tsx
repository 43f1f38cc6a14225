/**
 * Publishing a catalog entry (`#/catalog/publish`, platform role): a folder (or its files) is read
 * in the browser, every publish check runs as a dry run (`POST /api/v1/catalogs?dryRun=true`), and
 * only Confirm publishes it. The server's problems name the file and the JSON pointer in it.
 */
import { useId, useState, type ChangeEvent } from 'react';
import type { ApiError } from '../api/client.js';
import type { Problem, PublishDryRun, PublishRequest } from '../../api/contract.js';
import { asApiError, useDocumentTitle } from '../app/hooks.js';
import { useSession } from '../app/session.js';
import { ErrorAlert, Loading } from '../components/common.js';
import { href } from '../logic/router.js';

type Check =
  | { state: 'idle' }
  | { state: 'checking' }
  | { state: 'passed'; result: PublishDryRun }
  | { state: 'failed'; error: ApiError };

type Published =
  { state: 'idle' } | { state: 'publishing' } | { state: 'done' } | { state: 'error'; error: ApiError };

/**
 * A file's path inside the entry: a folder's files carry `<folder>/<path>` (webkitRelativePath), and
 * the folder's own name is not part of the entry.
 */
export function entryPath(file: { name: string; webkitRelativePath?: string }): string {
  const relative = file.webkitRelativePath ?? '';
  if (relative === '') return file.name;
  const slash = relative.indexOf('/');
  return slash === -1 ? relative : relative.slice(slash + 1);
}

async function readFiles(list: FileList): Promise<PublishRequest['files']> {
  const files = await Promise.all(
    Array.from(list).map(async (file) => ({ path: entryPath(file), content: await file.text() })),
  );
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

function ProblemList(props: { problems: readonly Problem[] }) {
  return (
    <ul className="check-list">
      {props.problems.map((p, i) => (
        <li key={i}>
          <code>
            {p.file ?? 'catalog.yaml'}#{p.path}
          </code>{' '}
          {p.message}
        </li>
      ))}
    </ul>
  );
}

export function PublishPage() {
  useDocumentTitle('Publish a catalog entry');
  const { client, signOut, user } = useSession();
  const folderId = useId();
  const filesId = useId();
  const [files, setFiles] = useState<PublishRequest['files']>([]);
  const [check, setCheck] = useState<Check>({ state: 'idle' });
  const [published, setPublished] = useState<Published>({ state: 'idle' });

  const fail = (error: unknown): ApiError => {
    const apiError = asApiError(error);
    if (apiError.unauthorized) signOut('The token is no longer accepted. Sign in again.');
    return apiError;
  };

  const choose = async (event: ChangeEvent<HTMLInputElement>) => {
    const list = event.target.files;
    if (!list || list.length === 0) return;
    const read = await readFiles(list);
    setFiles(read);
    setPublished({ state: 'idle' });
    setCheck({ state: 'checking' });
    try {
      setCheck({ state: 'passed', result: await client.checkPublish({ files: read }) });
    } catch (error) {
      setCheck({ state: 'failed', error: fail(error) });
    }
  };

  const confirm = async () => {
    setPublished({ state: 'publishing' });
    try {
      await client.publishCatalog({ files });
      setPublished({ state: 'done' });
    } catch (error) {
      setPublished({ state: 'error', error: fail(error) });
    }
  };

  if (user && user.role !== 'platform')
    return (
      <section aria-labelledby="publish-title">
        <h1 id="publish-title" tabIndex={-1}>
          Publish a catalog entry
        </h1>
        <p className="alert alert-info">Publishing catalog entries needs the platform role.</p>
      </section>
    );

  const entry = check.state === 'passed' ? check.result.entry : undefined;
  return (
    <section aria-labelledby="publish-title" className="publish">
      <p className="breadcrumb">
        <a href={href({ page: 'catalog' })}>Catalog</a> /
      </p>
      <h1 id="publish-title" tabIndex={-1}>
        Publish a catalog entry
      </h1>
      <p className="lead">
        Choose the entry&apos;s folder (its <code>catalog.yaml</code> and the files it names). Every check
        runs first; nothing is published until you confirm.
      </p>
      <div className="form-grid">
        <div className="field">
          <label htmlFor={folderId}>Entry folder</label>
          <input
            id={folderId}
            type="file"
            // React does not know the attribute; the browser does.
            {...{ webkitdirectory: '', directory: '' }}
            multiple
            onChange={(e) => void choose(e)}
          />
        </div>
        <div className="field">
          <label htmlFor={filesId}>Or its files</label>
          <input id={filesId} type="file" multiple onChange={(e) => void choose(e)} />
          <p className="help">
            Files chosen one by one keep only their names: use the folder for subfolders.
          </p>
        </div>
      </div>
      {files.length > 0 && (
        <section className="panel" aria-labelledby="publish-files-title">
          <h2 id="publish-files-title">Files</h2>
          <ul className="inline-list" aria-label="Files to publish">
            {files.map((f) => (
              <li key={f.path} className="chip mono">
                {f.path}
              </li>
            ))}
          </ul>
        </section>
      )}
      {check.state !== 'idle' && (
        <section className="panel" aria-labelledby="publish-checks-title">
          <h2 id="publish-checks-title">Checks</h2>
          {check.state === 'checking' && <Loading label="Checking…" />}
          {check.state === 'failed' &&
            (check.error.problems.length > 0 ? (
              <div className="alert alert-error" role="alert">
                <p className="alert-title">
                  <span className="check-fail">✗</span> The entry does not pass the checks; it cannot be
                  published.
                </p>
                <ProblemList problems={check.error.problems} />
              </div>
            ) : (
              <ErrorAlert error={check.error} title="The entry could not be checked." />
            ))}
          {check.state === 'passed' && entry && (
            <ul className="check-list" aria-label="Check results">
              <li>
                <span className="check-ok">✓</span> The entry is valid:{' '}
                <span className="mono">
                  {entry.name}@{entry.version}
                </span>{' '}
                ({entry.type}, {entry.outputs.length} outputs, digest <code>{entry.digest.slice(0, 19)}</code>
                )
              </li>
              <li>
                {check.result.breakingChanges.length === 0 ? (
                  <>
                    <span className="check-ok">✓</span> No breaking changes against the previous version.
                  </>
                ) : (
                  <>
                    <span className="check-fail">!</span> Breaking changes against the previous version
                    (allowed in a new major version only):
                    <ProblemList problems={check.result.breakingChanges} />
                  </>
                )}
              </li>
              {check.result.alreadyPublished && (
                <li>
                  <span className="check-ok">✓</span> This version is published already with this content:
                  publishing it changes nothing.
                </li>
              )}
            </ul>
          )}
        </section>
      )}
      {entry && (
        <div className="create-row">
          {published.state === 'done' ? (
            <p className="alert alert-info" role="status">
              Published{' '}
              <a href={href({ page: 'catalog', entry: entry.name })}>
                {entry.name}@{entry.version}
              </a>
              .
            </p>
          ) : (
            <button
              type="button"
              className="button button-primary"
              onClick={() => void confirm()}
              disabled={published.state === 'publishing'}
            >
              {published.state === 'publishing'
                ? 'Publishing…'
                : `Confirm: publish ${entry.name}@${entry.version}`}
            </button>
          )}
          {published.state === 'error' && (
            <ErrorAlert error={published.error} title="Nothing was published." />
          )}
        </div>
      )}
    </section>
  );
}
