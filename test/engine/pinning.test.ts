/**
 * pinning.ts: a request without versions is rewritten with them, by compare-and-swap on the file
 * as it was read. The committer is a thin pass-through to the in-memory twin of the GitOps port.
 */
import {
  checkEnvironment,
  environmentFile,
  parseYamlDocument,
  toYaml,
  type EnvironmentDocument,
  type JsonValue,
  type ResolvedEnvironment,
} from '../../src/core/index.js';
import type { CommitOptions } from '../../src/engine/committer.js';
import { pinVersions } from '../../src/engine/pinning.js';
import { builtInCatalog } from '../support/examples.js';
import { MemoryGitOpsRepo } from '../support/memory-gitops-repo.js';
import { recordingLogger } from './fakes.js';

const NAME = 'dev-pin';
const FILE = environmentFile(NAME);

function request(version?: string): JsonValue {
  return {
    apiVersion: 'envcat.io/v1alpha1',
    kind: 'Environment',
    metadata: { name: NAME },
    spec: {
      type: 'pre-release',
      catalogs: [{ name: 'app', entry: 'sample-app@^1', ...(version ? { version } : {}) }],
    },
  };
}

async function resolve(source: string): Promise<ResolvedEnvironment> {
  const check = checkEnvironment(parseYamlDocument(source), await builtInCatalog());
  expect(check.problems).toEqual([]);
  return check.environment!;
}

function setup() {
  const repo = new MemoryGitOpsRepo({ name: 'platform' });
  const made: CommitOptions[] = [];
  const committer = {
    commit: async (options: CommitOptions) => {
      made.push(options);
      const result = await repo.commit({
        write: [...(options.write ?? [])],
        remove: options.remove ?? [],
        message: options.message,
        ...(options.mustMatch ? { mustMatch: options.mustMatch } : {}),
      });
      return result.sha;
    },
  };
  return { repo, made, committer, logger: recordingLogger().logger };
}

describe('pinVersions', () => {
  it('writes the versions into environment.yaml, on the condition that it is what was read', async () => {
    // GIVEN a request committed without versions, as read
    const { repo, made, committer, logger } = setup();
    const source = toYaml(request());
    await repo.commit({ write: [{ path: FILE, content: source }], remove: [], message: 'by hand' });
    // WHEN it is pinned
    const outcome = await pinVersions({ committer, env: await resolve(source), source, logger });
    // THEN environment.yaml names the version, and the commit was conditional on the file read
    expect(outcome).toBe('pinned');
    expect(made[0]).toMatchObject({
      repo: 'platform',
      mustMatch: [{ path: FILE, content: source }],
      message: `envcat: ${NAME}: pin versions: app (sample-app@1.0.0)`,
    });
    const pinned = parseYamlDocument(repo.remote.files().get(FILE)!) as unknown as EnvironmentDocument;
    expect(pinned.spec.catalogs[0]).toEqual({ name: 'app', entry: 'sample-app@^1', version: '1.0.0' });
  });

  it('never overwrites an edit made after the file was read', async () => {
    // GIVEN a request read without versions, then edited by someone else
    const { repo, committer, logger } = setup();
    const source = toYaml(request());
    await repo.commit({ write: [{ path: FILE, content: source }], remove: [], message: 'by hand' });
    const edited = source.replace('sample-app@^1', 'sample-app@~1.0');
    const other = new MemoryGitOpsRepo({ name: 'platform', remote: repo.remote });
    await other.commit({ write: [{ path: FILE, content: edited }], remove: [], message: 'edited' });
    // WHEN the request as read is pinned
    const outcome = await pinVersions({ committer, env: await resolve(source), source, logger });
    // THEN nothing is written: the edit stays
    expect(outcome).toBe('changed-since');
    expect(repo.remote.files().get(FILE)).toBe(edited);
  });

  it('does nothing for a request that names every version', async () => {
    const { made, committer, logger } = setup();
    const source = toYaml(request('1.0.0'));
    expect(await pinVersions({ committer, env: await resolve(source), source, logger })).toBe(
      'pinned-already',
    );
    expect(made).toEqual([]);
  });
});
