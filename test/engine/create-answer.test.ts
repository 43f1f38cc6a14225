/**
 * A create's answer on the twins (test/support/engine-harness.ts): its history is its creation
 * commit, as the commit's result describes it, with no history read from Git (a burst of creates
 * waited on a `git log` per repo per create); a later GET reads the history and lists the same
 * commit. And the environment's file is not parsed back: the document it was written from is what
 * the engine, the API and the notifier read.
 */
import { environmentFile, parseYamlDocument } from '../../src/core/index.js';
import type { GitOpsRepo } from '../../src/gitops/types.js';
import { domainRequest, useEngineHarness } from '../support/engine-harness.js';

const ENV = 'dev-answer';
const TESTER = { name: 'tester' };

/** Counts the `log` calls of a repo twin from now on. */
function countLogs(repo: GitOpsRepo): { count: number } {
  const counter = { count: 0 };
  const log = repo.log.bind(repo);
  repo.log = (...args) => {
    counter.count++;
    return log(...args);
  };
  return counter;
}

describe('Engine on the twins: the answer of a create', () => {
  const h = useEngineHarness();

  it('lists its creation commit, read from the commit result and not from Git', async () => {
    // GIVEN the history reads of both repos counted
    const logs = [countLogs(h().platform), countLogs(h().apps)];
    // WHEN an environment is created
    const answer = await h().service.create(domainRequest(ENV), TESTER);
    // THEN its history is the commit that wrote its request, with the create's own message
    const created = h()
      .commits('platform')
      .filter((c) => c.files.includes(environmentFile(ENV)));
    expect(created).toHaveLength(1);
    expect(answer.status.commits).toEqual([
      expect.objectContaining({ repo: 'platform', sha: created[0]!.sha, message: created[0]!.message }),
    ]);
    expect(answer.status.commits[0]!.message).toMatch(/^envcat: create environment dev-answer: /);
    // …and no history was read from Git to answer
    expect(logs.map((l) => l.count)).toEqual([0, 0]);
    // WHEN it is read again THEN the history comes from Git, and holds the same commit
    await h().settle();
    const read = await h().service.get(ENV);
    expect(logs.map((l) => l.count)).toEqual([1, 1]);
    expect(read.status.commits.map((c) => c.sha)).toContain(created[0]!.sha);
  });

  it('shows the request as it was written, as a GET after a restart reads it from Git', async () => {
    // WHEN an environment is created
    const answer = await h().service.create(domainRequest(ENV), TESTER);
    // THEN its document is what its file in Git parses to, key order included
    const { status: _status, metadata, ...request } = answer;
    const inGit = parseYamlDocument(h().file('platform', environmentFile(ENV))!) as Record<string, unknown>;
    const { metadata: gitMetadata, ...gitRequest } = inGit as { metadata: Record<string, unknown> };
    expect(JSON.stringify(request)).toBe(JSON.stringify(gitRequest));
    const {
      creationTimestamp: _created,
      resourceVersion: _version,
      ...answerMetadata
    } = metadata as Record<string, unknown>;
    expect(answerMetadata).toEqual(gitMetadata);
  });
});
