/**
 * Routes live in the location hash (`#/environments/dev-feature-auth`), so the server serves one
 * index.html and a reload or a shared link lands on the same page.
 */

import { WIZARD_STEPS, type WizardStep } from './server-errors.js';

function isWizardStep(value: string): value is WizardStep {
  return (WIZARD_STEPS as readonly string[]).includes(value);
}

export type Route =
  | { page: 'environments' }
  | { page: 'environment'; name: string }
  | { page: 'catalog'; entry?: string }
  /** Publishing a catalog entry (platform role); `publish` is therefore not an entry's page. */
  | { page: 'publish' }
  /** The wizard on a running environment (`#/environments/<name>/edit/<step>`), prefilled from it. */
  | { page: 'edit'; name: string; step?: WizardStep }
  /** The wizard; each step has its own address (`#/new/parameters`), so Back goes to the step before. */
  | { page: 'new'; entries: string[]; step?: WizardStep }
  | { page: 'not-found'; path: string };

function decode(token: string): string | undefined {
  try {
    return decodeURIComponent(token);
  } catch {
    return undefined;
  }
}

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, '');
  const [pathPart = '', queryPart = ''] = raw.split('?', 2);
  const path = pathPart.replace(/\/+$/, '');
  const segments = path.split('/').filter(Boolean).map(decode);
  if (segments.some((s) => s === undefined)) return { page: 'not-found', path };
  const [first, second, ...rest] = segments as string[];
  if (first === 'environments' && second !== undefined && rest[0] === 'edit' && rest.length <= 2) {
    const step = rest[1];
    if (step === undefined) return { page: 'edit', name: second };
    if (isWizardStep(step)) return { page: 'edit', name: second, step };
  }
  if (rest.length > 0) return { page: 'not-found', path };
  if (first === undefined || (first === 'environments' && second === undefined))
    return { page: 'environments' };
  if (first === 'environments' && second !== undefined) return { page: 'environment', name: second };
  if (first === 'catalog' && second === 'publish') return { page: 'publish' };
  if (first === 'catalog')
    return second === undefined ? { page: 'catalog' } : { page: 'catalog', entry: second };
  if (first === 'new' && (second === undefined || isWizardStep(second))) {
    const entries = new URLSearchParams(queryPart).getAll('entry').filter(Boolean);
    return second === undefined ? { page: 'new', entries } : { page: 'new', entries, step: second };
  }
  return { page: 'not-found', path };
}

export function href(route: Route): string {
  switch (route.page) {
    case 'environments':
      return '#/environments';
    case 'environment':
      return `#/environments/${encodeURIComponent(route.name)}`;
    case 'catalog':
      return route.entry === undefined ? '#/catalog' : `#/catalog/${encodeURIComponent(route.entry)}`;
    case 'new': {
      const query = new URLSearchParams(route.entries.map((e) => ['entry', e])).toString();
      const path = route.step ? `#/new/${route.step}` : '#/new';
      return query ? `${path}?${query}` : path;
    }
    case 'publish':
      return '#/catalog/publish';
    case 'edit': {
      const path = `#/environments/${encodeURIComponent(route.name)}/edit`;
      return route.step ? `${path}/${route.step}` : path;
    }
    case 'not-found':
      return `#${route.path}`;
  }
}
