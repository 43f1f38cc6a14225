import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The rooms of src/ and which doors between them are closed (test/architecture/layers.test.ts shows
// each rule firing). Specifiers are matched as written, so each regex names a room by the relative
// path that reaches it: `^(\.\./)+engine/` is src/engine seen from anywhere in src/.
const SRC_ROOMS = 'engine|api|gitops|cluster|server|simulator|cli|ui|catalog-source|install|shared';

/** The simulated cluster is loaded only by src/server/compose.ts, through a dynamic import. */
const NO_SIMULATOR = {
  regex: '^(\\.\\./)+(src/)?simulator(/|$)',
  message:
    'src/simulator is not part of the product: only src/server/compose.ts loads it (inline by a dynamic import, or on a thread through src/server/simulator-thread.ts) when no cluster is configured.',
};

const NO_IO = {
  regex:
    '^(node:)?(fs|child_process|net|http|https|http2|tls|dgram|dns)(/.*)?$|^simple-git(/|$)|^@kubernetes/client-node(/|$)',
  message: 'src/core is pure: files, processes, sockets, Git and the cluster belong to the adapters.',
};

const CORE_STAYS_IN = {
  regex: `^(\\.\\./)+(${SRC_ROOMS})(/|$)`,
  message: 'src/core depends on nothing else in src/: the other rooms depend on it.',
};

// src/shared holds what the engine, the adapters and the simulator share at run time (the work
// queue, its clock, backoff): it stands below all of them, so the product never reaches the
// simulator through it, and above the core, which has no timers.
const SHARED_STAYS_LOW = {
  regex: '^(\\.\\./)+(engine|api|gitops|cluster|server|simulator|cli|ui|catalog-source|install)(/|$)',
  message: 'src/shared depends on src/core only: the engine, the adapters and the simulator depend on it.',
};

const SHARED_NO_IO = {
  regex: NO_IO.regex,
  message:
    'src/shared does no I/O (files, processes, sockets, Git, the cluster): that belongs to the adapters.',
};

const API_THROUGH_ENGINE = {
  regex: '^(\\.\\./)+(gitops|cluster|catalog-source)(/|$)',
  message:
    'src/api reaches the repos and the cluster through the engine (EnvironmentService); import types the engine layer exports.',
};

// The UI's own folders are api/, app/, components/, logic/, pages/ and wizard/: a specifier that
// climbs two levels (out of src/ui) to api/ is the server's API. Its one open door is the REST
// contract (src/api/contract.ts): types only, the shapes the client sends and reads.
const UI_OVER_HTTP = {
  regex:
    '^(\\.\\./)+(engine|gitops|cluster|server|simulator|cli|catalog-source|install|shared|functions)(/|$)|^(\\.\\./){2,}api(/(?!contract\\.js$)|$)',
  message:
    'The web portal talks to the server over HTTP only (src/ui/api/client.ts), with the shapes of src/api/contract.ts.',
};

const UI_BROWSER_CORE = {
  regex: '^(\\.\\./)+core/(?!browser\\.js$)',
  message:
    'The web portal uses the core only through src/core/browser.ts (index.ts brings Node built-ins, Ajv and the YAML parser).',
};

const restrict = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'out/', '.envcat/', 'coverage/', 'test/golden/', 'bench-results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  // A later block's options for the same rule replace an earlier one's, they do not add up: each
  // room below keeps the simulator out, with NO_SIMULATOR or with its own list of closed rooms.
  {
    files: ['src/**/*.{ts,tsx}', 'functions/**/*.ts'],
    ignores: ['src/simulator/**'],
    rules: restrict(NO_SIMULATOR),
  },
  // The composition root names the simulator's types; its code comes through `await import(...)`,
  // which this rule does not see (test/architecture/module-graph.test.ts checks that edge).
  {
    files: ['src/server/compose.ts', 'src/server/simulator-thread.ts'],
    rules: restrict({ ...NO_SIMULATOR, allowTypeImports: true }),
  },
  { files: ['src/core/**/*.ts'], rules: restrict(NO_IO, CORE_STAYS_IN) },
  { files: ['src/shared/**/*.ts'], rules: restrict(SHARED_NO_IO, SHARED_STAYS_LOW) },
  { files: ['src/api/**/*.ts'], rules: restrict(NO_SIMULATOR, API_THROUGH_ENGINE) },
  { files: ['src/ui/**/*.{ts,tsx}'], rules: restrict(UI_OVER_HTTP, UI_BROWSER_CORE) },
);
