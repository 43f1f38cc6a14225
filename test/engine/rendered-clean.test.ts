/**
 * RenderedClean: which committed steps a pass renders again. Once an environment is found clean,
 * only a change of the request, of its files, or of an output a step reads brings a step back.
 */
import type { OutputValues, ResolvedEnvironment } from '../../src/core/index.js';
import { RenderedClean } from '../../src/engine/rendered-clean.js';
import { planStep } from './fakes.js';

// db (infra) ← app (apps, reads db.endpoint); web is a hybrid (infra + apps) reading nothing.
const env = {
  name: 'dev',
  instances: [
    { name: 'db', references: {} },
    {
      name: 'app',
      references: { dbHost: { from: 'db', output: 'endpoint', parameter: 'dbHost', pointer: '/x' } },
    },
    { name: 'web', references: {} },
  ],
} as unknown as ResolvedEnvironment;
const step = planStep;
const steps = [step('db', 'infra'), step('app', 'apps'), step('web', 'infra'), step('web', 'apps')];
const all = steps.map((s) => s.id);
const before: OutputValues = { web: { url: 'https://a' } };

describe('RenderedClean', () => {
  it.each<
    [string, { known: boolean; env?: ResolvedEnvironment; files?: number; outputs?: OutputValues }, string[]]
  >([
    ['never found clean: every step', { known: false }, all],
    ['nothing changed: none', { known: true }, []],
    ['the request changed: every step', { known: true, env: { ...env } }, all],
    ['the files changed: every step', { known: true, files: 8 }, all],
    // the database's own Workspace does not read its outputs; the app that references them does
    [
      'db turned Available: the app that reads it',
      { known: true, outputs: { ...before, db: { endpoint: 'h' } } },
      ['app/apps'],
    ],
    // a hybrid's apps read its own outputs, its infra does not
    [
      'web changed its outputs: its apps',
      { known: true, outputs: { web: { url: 'https://b' } } },
      ['web/apps'],
    ],
    ['web lost its outputs: its apps', { known: true, outputs: {} }, ['web/apps']],
  ])('%s', (_name, change, expected) => {
    const clean = new RenderedClean();
    if (change.known) clean.noteClean({ name: 'dev', env, files: 7, outputs: before });
    const ids = clean.toRender({
      name: 'dev',
      env: change.env ?? env,
      files: change.files ?? 7,
      outputs: change.outputs ?? before,
      steps,
    });
    expect([...ids].sort()).toEqual([...expected].sort());
  });

  it('renders a step of an instance that is no longer in the request', () => {
    const clean = new RenderedClean();
    clean.noteClean({ name: 'dev', env, files: 7, outputs: before });
    const ids = clean.toRender({
      name: 'dev',
      env,
      files: 7,
      outputs: { web: { url: 'x' } },
      steps: [step('gone', 'infra')],
    });
    expect([...ids]).toEqual(['gone/infra']);
  });

  it.each<[string, { env?: ResolvedEnvironment; before?: number; outputs?: OutputValues }, string[]]>([
    ['its own commit on the files it was found clean at: still clean', {}, []],
    ['a change before its commit: every step', { before: 6 }, all],
    ['rendered from other outputs: every step', { outputs: { web: { url: 'https://b' } } }, all],
    ['rendered from another request: every step', { env: { ...env } }, all],
  ])('advance, %s', (_name, commit, expected) => {
    const clean = new RenderedClean();
    clean.noteClean({ name: 'dev', env, files: 7, outputs: before });
    clean.advance({
      name: 'dev',
      env: commit.env ?? env,
      outputs: commit.outputs ?? before,
      files: { before: commit.before ?? 7, after: 9 },
    });
    const ids = clean.toRender({ name: 'dev', env, files: 9, outputs: before, steps });
    expect([...ids].sort()).toEqual([...expected].sort());
  });

  it('forgets an environment', () => {
    const clean = new RenderedClean();
    clean.noteClean({ name: 'dev', env, files: 7, outputs: before });
    clean.forget('dev');
    expect(clean.toRender({ name: 'dev', env, files: 7, outputs: before, steps }).size).toBe(4);
  });
});
