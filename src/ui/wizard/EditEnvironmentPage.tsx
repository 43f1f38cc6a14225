/**
 * Edit on a running environment (`#/environments/<name>/edit/<step>`): the wizard, prefilled from
 * the request as `GET` returns it, whose review is the update's dry run and whose last button sends
 * the `PUT` with the resourceVersion read here. A 409 (changed since) offers to read it again.
 */
import { useState } from 'react';
import { useDocumentTitle, useLoad } from '../app/hooks.js';
import { useSession } from '../app/session.js';
import { ErrorAlert, Loading } from '../components/common.js';
import { href } from '../logic/router.js';
import type { WizardStep } from '../logic/wizard.js';
import { NewEnvironmentPage } from './NewEnvironmentPage.js';

export function EditEnvironmentPage(props: { name: string; step?: WizardStep }) {
  const { name } = props;
  useDocumentTitle(`Edit ${name}`);
  const { client } = useSession();
  const [generation, setGeneration] = useState(0);
  const view = useLoad(`edit:${name}:${generation}`, (signal) => client.getEnvironment(name, { signal }));
  if (view.state !== 'ready')
    return (
      <section aria-labelledby="edit-title">
        <h1 id="edit-title" tabIndex={-1}>
          Edit {name}
        </h1>
        {view.state === 'error' ? (
          <ErrorAlert
            error={view.error}
            title={
              view.error.status === 404
                ? `There is no environment named ${name}.`
                : 'The environment could not be loaded.'
            }
            action={
              <a className="button" href={href({ page: 'environment', name })}>
                Back to {name}
              </a>
            }
          />
        ) : (
          <Loading label="Loading the environment…" />
        )}
      </section>
    );
  return (
    <NewEnvironmentPage
      // Read again, the wizard starts over from what runs now.
      key={`${generation}:${view.data.metadata.resourceVersion ?? ''}`}
      preselected={[]}
      step={props.step}
      edit={{ view: view.data, onReload: () => setGeneration((g) => g + 1) }}
    />
  );
}
