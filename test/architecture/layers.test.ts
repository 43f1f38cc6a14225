/**
 * The rooms of src/ as eslint.config.js closes them off with no-restricted-imports: each closed door
 * is shown firing on a file placed in the room, and the doors a room needs are shown open.
 */
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { REPO_ROOT } from '../support/examples.js';

const eslint = new ESLint({ cwd: REPO_ROOT });

/** The no-restricted-imports messages for `code` linted as if it were the file at `path`. */
async function restrictions(path: string, code: string): Promise<string[]> {
  const filePath = join(REPO_ROOT, path);
  // An ignored file or one the rule is off for would report nothing, whatever it imports.
  expect(await eslint.isPathIgnored(filePath)).toBe(false);
  if (!path.startsWith('src/simulator/')) {
    const config = (await eslint.calculateConfigForFile(filePath)) as { rules: Record<string, unknown[]> };
    expect(config.rules['no-restricted-imports']?.[0]).toBe(2);
  }
  const [result] = await eslint.lintText(`${code}\nexport {};\n`, { filePath });
  return (result?.messages ?? [])
    .filter((message) => message.ruleId === 'no-restricted-imports')
    .map((message) => message.message);
}

// prettier-ignore
describe.each([
  // room, file, import, the message expected (a part of it)
  ['core', 'src/core/render/x.ts', "import { readFileSync } from 'node:fs';", 'src/core is pure'],
  ['core', 'src/core/render/x.ts', "import { readFile } from 'fs/promises';", 'src/core is pure'],
  ['core', 'src/core/render/x.ts', "import { execFile } from 'node:child_process';", 'src/core is pure'],
  ['core', 'src/core/render/x.ts', "import { request } from 'node:https';", 'src/core is pure'],
  ['core', 'src/core/render/x.ts', "import { simpleGit } from 'simple-git';", 'src/core is pure'],
  ['core', 'src/core/render/x.ts', "import { KubeConfig } from '@kubernetes/client-node';", 'src/core is pure'],
  ['core', 'src/core/render/x.ts', "import { Engine } from '../../engine/engine.js';", 'depends on nothing else'],
  ['core', 'src/core/index.ts', "import type { ClusterClient } from '../cluster/index.js';", 'depends on nothing else'],
  ['core', 'src/core/plan/x.ts', "import type { ServiceConfig } from '../../server/config.js';", 'depends on nothing else'],
  ['core', 'src/core/plan/x.ts', "import { SimulatedApiServer } from '../../simulator/index.js';", 'depends on nothing else'],
  ['core', 'src/core/status/x.ts', "import { WorkQueue } from '../../shared/index.js';", 'depends on nothing else'],
  ['shared', 'src/shared/x.ts', "import { Engine } from '../engine/engine.js';", 'src/shared depends on src/core only'],
  ['shared', 'src/shared/x.ts', "import { SimulatedApiServer } from '../simulator/index.js';", 'src/shared depends on src/core only'],
  ['shared', 'src/shared/x.ts', "import { KubeClusterClient } from '../cluster/index.js';", 'src/shared depends on src/core only'],
  ['shared', 'src/shared/x.ts', "import { readFile } from 'node:fs/promises';", 'src/shared does no I/O'],
  ['engine', 'src/engine/x.ts', "import { SimulatedApiServer } from '../simulator/index.js';", 'src/simulator is not part'],
  ['cli', 'src/cli/x.ts', "import type { SimulatedCluster } from '../simulator/index.js';", 'src/simulator is not part'],
  ['server', 'src/server/main.ts', "import { startSimulatedCluster } from '../simulator/index.js';", 'src/simulator is not part'],
  ['compose', 'src/server/compose.ts', "import { startSimulatedCluster } from '../simulator/index.js';", 'src/simulator is not part'],
  ['functions', 'functions/x.ts', "import { startSimulatedCluster } from '../src/simulator/index.js';", 'src/simulator is not part'],
  ['api', 'src/api/x.ts', "import { GitRepo } from '../gitops/index.js';", 'through the engine'],
  ['api', 'src/api/x.ts', "import type { KubeObject } from '../cluster/types.js';", 'through the engine'],
  ['api', 'src/api/x.ts', "import { loadCatalog } from '../catalog-source/index.js';", 'through the engine'],
  ['api', 'src/api/x.ts', "import { SimulatedApiServer } from '../simulator/index.js';", 'src/simulator is not part'],
  ['ui', 'src/ui/logic/x.ts', "import { parseDuration } from '../../core/environment/duration.js';", 'src/core/browser.ts'],
  ['ui', 'src/ui/logic/x.ts', "import { checkEnvironment } from '../../core/index.js';", 'src/core/browser.ts'],
  ['ui', 'src/ui/logic/x.ts', "import type { EnvironmentService } from '../../engine/service.js';", 'over HTTP only'],
  ['ui', 'src/ui/pages/X.tsx', "import type { ClusterClient } from '../../cluster/index.js';", 'over HTTP only'],
  ['ui', 'src/ui/pages/X.tsx', "import { createApiApp } from '../../api/app.js';", 'over HTTP only'],
  ['ui', 'src/ui/pages/X.tsx', "import { ref } from '../../api/openapi.js';", 'over HTTP only'],
  ['ui', 'src/ui/pages/X.tsx', "import { SimulatedApiServer } from '../../simulator/index.js';", 'over HTTP only'],
  ['ui', 'src/ui/logic/x.ts', "import { backoffDelay } from '../../shared/index.js';", 'over HTTP only'],
])('a closed door: %s', (_room, path, code, expected) => {
  it(`GIVEN ${path} WHEN it says ${code} THEN no-restricted-imports reports "${expected}"`, async () => {
    const messages = await restrictions(path, code);

    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(expected);
  });
});

// prettier-ignore
describe.each([
  ['core', 'src/core/render/x.ts', "import { createHash } from 'node:crypto';"],
  ['core', 'src/core/render/x.ts', "import { toYaml } from '../yaml/index.js';"],
  ['engine', 'src/engine/x.ts', "import { KindNotServedError } from '../cluster/index.js';"],
  ['compose', 'src/server/compose.ts', "import type { SimulatedCluster } from '../simulator/index.js';"],
  ['engine', 'src/engine/x.ts', "import { WorkQueue } from '../shared/index.js';"],
  ['simulator', 'src/simulator/x.ts', "import { WorkQueue } from '../shared/index.js';"],
  ['cluster', 'src/cluster/x.ts', "import { backoffDelay } from '../shared/index.js';"],
  ['gitops', 'src/gitops/x.ts', "import { backoffDelay } from '../shared/index.js';"],
  ['shared', 'src/shared/x.ts', "import { ConflictError } from '../core/index.js';"],
  ['simulator', 'src/simulator/x.ts', "import { SimulatedApiServer } from './api-server.js';"],
  ['simulator', 'src/simulator/x.ts', "import { KubeClusterClient } from '../cluster/index.js';"],
  ['api', 'src/api/x.ts', "import type { EnvironmentService } from '../engine/service.js';"],
  ['ui', 'src/ui/logic/x.ts', "import { parseDuration } from '../../core/browser.js';"],
  ['ui', 'src/ui/logic/x.ts', "import type { Health } from '../../api/contract.js';"],
  ['ui', 'src/ui/pages/X.tsx', "import { ApiClient } from '../api/client.js';"],
])('an open door: %s', (_room, path, code) => {
  it(`GIVEN ${path} WHEN it says ${code} THEN no-restricted-imports reports nothing`, async () => {
    expect(await restrictions(path, code)).toEqual([]);
  });
});
