/**
 * The tests' reading of a commit's change sets (change-sets.ts), against the messages GitRepo
 * writes (src/gitops/plan.ts batchMessage): if that format changes, this fails, not the checks
 * that count change sets.
 */
import { batchMessage } from '../../src/gitops/plan.js';
import type { FileChange } from '../../src/gitops/types.js';
import { changeSetMessages, duplicates, isAbout } from './change-sets.js';

const change = (message: string): FileChange => ({ write: [], remove: [], message });

describe('changeSetMessages', () => {
  it.each([
    ['one change set', ['envcat: create environment dev: db (rds-postgres@1.0.0) (by admin)']],
    [
      'three grouped in one commit',
      [
        'envcat: dev: wave 1, infrastructure: db (rds-postgres@1.0.0)',
        'envcat: create environment qa: db (rds-postgres@1.0.0) (by admin)',
        'envcat: dev: wave 1, infrastructure: db (rds-postgres@1.0.0)',
      ],
    ],
  ])('reads back what batchMessage wrote: %s', (_case, messages) => {
    expect(changeSetMessages(batchMessage(messages.map(change)))).toEqual(messages);
  });

  it('takes a commit of one change set whole, a body of its own included', () => {
    expect(changeSetMessages('add it by hand\n\nbecause\n')).toEqual(['add it by hand\n\nbecause']);
  });

  it('refuses a grouped commit whose body does not hold one paragraph per change set', () => {
    expect(() => changeSetMessages('envcat: a: x (and 1 more)\n\nenvcat: a: x\n')).toThrow(
      'a commit of 2 change sets with 1 paragraphs in its body',
    );
  });
});

describe('isAbout', () => {
  it.each([
    ['envcat: dev: wave 1, infrastructure: db (rds-postgres@1.0.0)', true],
    ['envcat: create environment dev: db (rds-postgres@1.0.0) (by admin)', true],
    ['envcat: delete environment dev (by admin)', true],
    ['envcat: update environment dev (add db2): db (rds-postgres@1.0.0) (by admin)', true],
    ['envcat: set the ttl to 48h of environment dev (by admin)', true],
    ['envcat: dev-2: wave 1, infrastructure: db (rds-postgres@1.0.0)', false],
    ['envcat: create environment dev-2: db (rds-postgres@1.0.0) (by admin)', false],
    ['envcat: publish catalog entry dev@1.0.0 (by admin)', false],
    ['add dev by hand', false],
  ])('%s: %s', (changeSet, about) => expect(isAbout('dev', changeSet)).toBe(about));
});

describe('duplicates', () => {
  it('finds a change set committed twice, in a commit of its own or grouped behind another', () => {
    const wave = 'envcat: dev: wave 1, infrastructure: db (rds-postgres@1.0.0)';
    const log = [
      { changeSets: [wave] },
      { changeSets: ['envcat: qa: wave 1, infrastructure: db (rds-postgres@1.0.0)', wave] },
      { changeSets: ['envcat: dev: wave 2, applications: app (sample-app@1.0.0)'] },
    ];
    expect(duplicates(log, 'dev')).toEqual([wave]);
    expect(duplicates(log, 'qa')).toEqual([]);
    expect(duplicates(log.slice(0, 1), 'dev')).toEqual([]);
  });
});
