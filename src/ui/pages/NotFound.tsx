import { useDocumentTitle } from '../app/hooks.js';

export function NotFound(props: { path: string }) {
  useDocumentTitle('Not found');
  return (
    <section>
      <h1 tabIndex={-1}>Page not found</h1>
      <p>
        Nothing lives at <code>{props.path}</code>. Go to the <a href="#/environments">environments</a> or the{' '}
        <a href="#/catalog">catalog</a>.
      </p>
    </section>
  );
}
