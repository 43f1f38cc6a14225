/** The application shell: session, health (for the simulated-cluster banner), and the routed page. */
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ApiClient, fetchHealth } from '../api/client.js';
import type { Health } from '../api/types.js';
import { Loading } from '../components/common.js';
import { Layout } from '../components/Layout.js';
import type { Route } from '../logic/router.js';
import { CatalogPage } from '../pages/CatalogPage.js';
import { EnvironmentPage } from '../pages/EnvironmentPage.js';
import { EnvironmentsPage } from '../pages/EnvironmentsPage.js';
import { NotFound } from '../pages/NotFound.js';
import { SignIn } from '../pages/SignIn.js';
import { useRoute } from './hooks.js';
import { SessionContext, tokenStore, type Session } from './session.js';

// The wizard brings react-jsonschema-form and Ajv; the other pages load without them.
const NewEnvironmentPage = lazy(() =>
  import('../wizard/NewEnvironmentPage.js').then((m) => ({ default: m.NewEnvironmentPage })),
);

function useHealth(): Health | undefined {
  const [health, setHealth] = useState<Health>();
  useEffect(() => {
    const controller = new AbortController();
    fetchHealth({ fetch: window.fetch.bind(window), signal: controller.signal }).then(setHealth, () => {
      // Without /healthz the banner cannot be decided; the pages still show the cluster the API reports.
    });
    return () => controller.abort();
  }, []);
  return health;
}

/** After a route change, focus lands on the new page's heading (not on the first run). */
function useRouteFocus(route: Route): void {
  const key = JSON.stringify(route);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    document.querySelector<HTMLElement>('main h1')?.focus();
  }, [key]);
}

function Page(props: { route: Route }) {
  const { route } = props;
  switch (route.page) {
    case 'environments':
      return <EnvironmentsPage />;
    case 'environment':
      return <EnvironmentPage key={route.name} name={route.name} />;
    case 'catalog':
      return <CatalogPage selected={route.entry} />;
    case 'new':
      return (
        <Suspense
          fallback={
            <section>
              <h1 tabIndex={-1}>New environment</h1>
              <Loading label="Loading the form…" />
            </section>
          }
        >
          <NewEnvironmentPage preselected={route.entries} />
        </Suspense>
      );
    case 'not-found':
      return <NotFound path={route.path} />;
  }
}

export function App() {
  const [token, setToken] = useState(() => tokenStore.read());
  const [reason, setReason] = useState<string>();
  const route = useRoute();
  const health = useHealth();
  useRouteFocus(route);

  const signOut = useCallback((why?: string) => {
    tokenStore.write(undefined);
    setToken(undefined);
    setReason(why);
  }, []);

  const session = useMemo<Session | null>(
    () => (token ? { client: new ApiClient({ token, fetch: window.fetch.bind(window) }), signOut } : null),
    [token, signOut],
  );

  if (!session)
    return (
      <Layout health={health}>
        <SignIn
          reason={reason}
          onSignedIn={(value) => {
            tokenStore.write(value);
            setReason(undefined);
            setToken(value);
          }}
        />
      </Layout>
    );

  return (
    <SessionContext.Provider value={session}>
      <Layout health={health} route={route} onSignOut={() => signOut()}>
        <Page route={route} />
      </Layout>
    </SessionContext.Provider>
  );
}
