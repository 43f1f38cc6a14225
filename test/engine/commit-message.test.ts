/**
 * messageAbout: what GET /environments/{name} shows for a commit that carried several
 * environments' changes (GitRepo groups change sets that wait for the clone together).
 */
import { batchMessage } from '../../src/gitops/repo.js';
import { messageAbout } from '../../src/engine/repo-view.js';

const grouped = batchMessage([
  { write: [], remove: [], message: 'envcat: dev: wave 2, applications: app (sample-app@1.0.0)' },
  { write: [], remove: [], message: 'envcat: qa: wave 2, applications: app (sample-app@1.0.0)' },
  { write: [], remove: [], message: 'envcat: qa-2: delete applications' },
]);

describe('messageAbout', () => {
  it.each([
    ['a commit of its own', 'dev', 'envcat: dev: delete environment', 'envcat: dev: delete environment'],
    ['the first of a group', 'dev', grouped, 'envcat: dev: wave 2, applications: app (sample-app@1.0.0)'],
    ['a later one of a group', 'qa', grouped, 'envcat: qa: wave 2, applications: app (sample-app@1.0.0)'],
    ['a name that prefixes another', 'qa-2', grouped, 'envcat: qa-2: delete applications'],
    ['a group without it (a hand commit)', 'uat', grouped, grouped],
    [
      'a request of a group',
      'qa',
      batchMessage([
        {
          write: [],
          remove: [],
          message: 'envcat: upgrade environment dev: db rds-postgres 1.0.0 → 1.1.0 (by admin)',
        },
        {
          write: [],
          remove: [],
          message: 'envcat: upgrade environment qa: db rds-postgres 1.0.0 → 1.1.0 (by admin)',
        },
        {
          write: [],
          remove: [],
          message: 'envcat: upgrade environment qa-2: db rds-postgres 1.0.0 → 1.1.0 (by admin)',
        },
      ]),
      'envcat: upgrade environment qa: db rds-postgres 1.0.0 → 1.1.0 (by admin)',
    ],
    [
      'a hand-written message with paragraphs',
      'dev',
      'envcat: dev: tweak\n\nenvcat: dev: more',
      'envcat: dev: tweak\n\nenvcat: dev: more',
    ],
  ])('%s', (_case, environment, message, expected) => {
    expect(messageAbout(environment, message)).toBe(expected);
  });

  it('the grouped message names every change in its body and says how many more in its subject', () => {
    expect(grouped.split('\n')[0]).toBe(
      'envcat: dev: wave 2, applications: app (sample-app@1.0.0) (and 2 more)',
    );
    expect(grouped).toContain('envcat: qa-2: delete applications');
  });
});
