/** The application shell: session, health (for the simulated-cluster banner), and the routed page. */
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ApiClient, fetchHealth } from '../api/client.js';
import type { Health, Principal } from '../../api/contract.js';
import { Loading } from '../components/common.js';
import { Layout } from '../components/Layout.js';
import type { Route } from '../logic/router.js';
import { CatalogEntryPage } from '../pages/CatalogEntryPage.js';
import { CatalogPage } from '../pages/CatalogPage.js';
import { EnvironmentPage } from '../pages/EnvironmentPage.js';
import { EnvironmentsPage } from '../pages/EnvironmentsPage.js';
import { NotFound } from '../pages/NotFound.js';
import { PublishPage } from '../pages/PublishPage.js';
import { SignIn } from '../pages/SignIn.js';
import { asApiError, useRoute } from './hooks.js';
import { SessionContext, tokenStore, type Session } from './session.js';

// The wizard brings react-jsonschema-form and Ajv; the other pages load without them.
const NewEnvironmentPage = lazy(() =>
  import('../wizard/NewEnvironmentPage.js').then((m) => ({ default: m.NewEnvironmentPage })),
);
const EditEnvironmentPage = lazy(() =>
  import('../wizard/EditEnvironmentPage.js').then((m) => ({ default: m.EditEnvironmentPage })),
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

/**
 * Who is signed in, for the header. Known at once after signing in; after a reload it is asked for
 * again, and a token the service no longer accepts ends the session.
 */
function useUser(
  session: Session | null,
  known: Principal | undefined,
  signOut: (why?: string) => void,
): Principal | undefined {
  const [fetched, setFetched] = useState<{ client: ApiClient; user: Principal }>();
  const client = session?.client;
  useEffect(() => {
    if (!client || known) return;
    const controller = new AbortController();
    client.whoami({ signal: controller.signal }).then(
      (user) => setFetched({ client, user }),
      (error: unknown) => {
        if (controller.signal.aborted) return;
        // Other failures leave the header without a name; the pages report the outage themselves.
        if (asApiError(error).unauthorized) signOut('The token is no longer accepted. Sign in again.');
      },
    );
    return () => controller.abort();
  }, [client, known, signOut]);
  if (!client) return undefined;
  return known ?? (fetched?.client === client ? fetched.user : undefined);
}

/** After a route change, focus lands on the new page's heading (not on the first run). */
function useRouteFocus(route: Route): void {
  // The wizard's steps are one page: it moves the focus to each step's heading itself.
  const key =
    route.page === 'new' ? 'new' : route.page === 'edit' ? `edit:${route.name}` : JSON.stringify(route);
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
      return route.entry === undefined ? (
        <CatalogPage />
      ) : (
        <CatalogEntryPage key={route.entry} name={route.entry} />
      );
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
          <NewEnvironmentPage preselected={route.entries} step={route.step} />
        </Suspense>
      );
    case 'edit':
      return (
        <Suspense
          fallback={
            <section>
              <h1 tabIndex={-1}>Edit {route.name}</h1>
              <Loading label="Loading the form…" />
            </section>
          }
        >
          <EditEnvironmentPage key={route.name} name={route.name} step={route.step} />
        </Suspense>
      );
    case 'publish':
      return <PublishPage />;
    case 'not-found':
      return <NotFound path={route.path} />;
  }
}

export function App() {
  const [token, setToken] = useState(() => tokenStore.read());
  const [reason, setReason] = useState<string>();
  const [signedInAs, setSignedInAs] = useState<Principal>();
  const route = useRoute();
  const health = useHealth();
  useRouteFocus(route);

  const signOut = useCallback((why?: string) => {
    tokenStore.write(undefined);
    setToken(undefined);
    setSignedInAs(undefined);
    setReason(why);
  }, []);

  const session = useMemo<Session | null>(
    () => (token ? { client: new ApiClient({ token, fetch: window.fetch.bind(window) }), signOut } : null),
    [token, signOut],
  );
  const user = useUser(session, signedInAs, signOut);
  const sessionWithUser = useMemo(() => (session ? { ...session, user } : null), [session, user]);

  if (!session)
    return (
      <Layout health={health}>
        <SignIn
          reason={reason}
          onSignedIn={(value, principal) => {
            tokenStore.write(value);
            setReason(undefined);
            setSignedInAs(principal);
            setToken(value);
          }}
        />
      </Layout>
    );

  return (
    <SessionContext.Provider value={sessionWithUser}>
      <Layout health={health} route={route} user={user} onSignOut={() => signOut()}>
        <Page route={route} />
      </Layout>
    </SessionContext.Provider>
  );
}
