/** The page frame: skip link, header with navigation, the simulated-cluster banner, the main area. */
import type { MouseEvent, ReactNode } from 'react';
import type { Health, Principal } from '../../api/contract.js';
import type { Route } from '../logic/router.js';

export function SimulatedBanner(props: { health: Health | undefined }) {
  if (props.health?.cluster !== 'simulated') return null;
  return (
    <div className="simulated-banner" role="note" aria-label="Simulated cluster">
      <strong>SIMULATED CLUSTER</strong>
      <span>
        {props.health.clusterDescription ??
          'Nothing is provisioned: simulated controllers play Crossplane and Argo CD.'}
      </span>
    </div>
  );
}

/** The Swagger UI the server serves for its OpenAPI document (src/api/app.ts). */
export const API_DOCS = '/api/docs';

const NAV: ReadonlyArray<{
  href: string;
  label: string;
  pages: ReadonlyArray<Route['page']>;
  /** Shown only to this role (the server refuses the others anyway). */
  role?: Principal['role'];
}> = [
  { href: '#/environments', label: 'Environments', pages: ['environments', 'environment', 'edit'] },
  { href: '#/catalog', label: 'Catalog', pages: ['catalog'] },
  { href: '#/new', label: 'New environment', pages: ['new'] },
  { href: '#/catalog/publish', label: 'Publish', pages: ['publish'], role: 'platform' },
];

export function Layout(props: {
  health: Health | undefined;
  route?: Route;
  user?: Principal;
  onSignOut?: () => void;
  children: ReactNode;
}) {
  return (
    <>
      <a className="skip-link" href="#main" onClick={skipToMain}>
        Skip to content
      </a>
      <header className="site-header">
        <div className="header-inner">
          <a className="brand" href="#/environments">
            <span className="brand-mark" aria-hidden="true">
              ⬡
            </span>{' '}
            envcat
          </a>
          {props.route && (
            <nav aria-label="Main">
              <ul className="nav">
                {NAV.filter((item) => !item.role || item.role === props.user?.role).map((item) => (
                  <li key={item.href}>
                    <a
                      href={item.href}
                      aria-current={props.route && item.pages.includes(props.route.page) ? 'page' : undefined}
                    >
                      {item.label}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
          )}
          {props.user && (
            <p className="user">
              <span className="visually-hidden">Signed in as </span>
              <span className="user-name">{props.user.name}</span>{' '}
              <span className="user-role">
                <span className="visually-hidden">(role </span>
                {props.user.role}
                <span className="visually-hidden">)</span>
              </span>
            </p>
          )}
          {props.onSignOut && (
            <button type="button" className="button button-quiet sign-out" onClick={props.onSignOut}>
              Sign out
            </button>
          )}
        </div>
      </header>
      <SimulatedBanner health={props.health} />
      <main id="main" tabIndex={-1} className="main">
        {props.children}
      </main>
      <footer className="site-footer">
        <span>envcat {props.health?.version ?? ''}</span>
        <a href={API_DOCS}>REST API reference (OpenAPI)</a>
      </footer>
    </>
  );
}

/** The hash holds the route, so the skip link moves focus itself instead of changing the hash. */
function skipToMain(event: MouseEvent<HTMLAnchorElement>) {
  event.preventDefault();
  document.getElementById('main')?.focus();
}
