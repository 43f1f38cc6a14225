/** The twin's server-side apply as a pure function: merge, removal of dropped fields, conflicts, release. */
import type { JsonObject } from '../../src/core/index.js';
import { applyFields, releaseChangedFields, type ApplyOutcome, type FieldPath } from './server-side-apply.js';

const everything = () => true;

function applied(outcome: ApplyOutcome): { object: JsonObject; owners: Map<string, FieldPath[]> } {
  if (!outcome.ok) throw new Error(`unexpected conflicts: ${JSON.stringify(outcome.conflicts)}`);
  return outcome;
}

describe('applyFields', () => {
  it('GIVEN a first apply THEN the object is the configuration and the manager owns its leaves', () => {
    const { object, owners } = applied(
      applyFields({
        live: undefined,
        applied: { spec: { a: 1, nested: { b: [1, 2] }, empty: {} }, gone: null },
        manager: 'm',
        force: false,
        owners: new Map(),
        isManaged: everything,
      }),
    );
    expect(object).toEqual({ spec: { a: 1, nested: { b: [1, 2] }, empty: {} } });
    expect(owners).toEqual(
      new Map([
        [
          'm',
          [
            ['spec', 'a'],
            ['spec', 'nested', 'b'],
            ['spec', 'empty'],
          ],
        ],
      ]),
    );
  });

  it('GIVEN a re-apply without a field THEN the field goes, and so do the maps it leaves empty, but not the top level', () => {
    const live = { spec: { keep: 1, deep: { only: 'x' } }, extra: { one: 1 } };
    const owners = new Map<string, FieldPath[]>([
      [
        'm',
        [
          ['spec', 'keep'],
          ['spec', 'deep', 'only'],
          ['extra', 'one'],
        ],
      ],
    ]);
    const { object } = applied(
      applyFields({
        live,
        applied: { spec: { keep: 2 } },
        manager: 'm',
        force: false,
        owners,
        isManaged: everything,
      }),
    );
    expect(object).toEqual({ spec: { keep: 2 }, extra: {} });
    expect(live).toEqual({ spec: { keep: 1, deep: { only: 'x' } }, extra: { one: 1 } });
  });

  it("GIVEN another manager's fields THEN the same value is shared, a different one conflicts, and force takes it over", () => {
    const live = { data: { same: 's', theirs: 't' } };
    const owners = new Map<string, FieldPath[]>([
      [
        'other',
        [
          ['data', 'same'],
          ['data', 'theirs'],
        ],
      ],
    ]);
    const request = {
      live,
      applied: { data: { same: 's', theirs: 'mine' } },
      manager: 'm',
      owners,
      isManaged: everything,
    };
    expect(applyFields({ ...request, force: false })).toEqual({
      ok: false,
      conflicts: [{ manager: 'other', path: ['data', 'theirs'] }],
    });
    const forced = applied(applyFields({ ...request, force: true }));
    expect(forced.object).toEqual({ data: { same: 's', theirs: 'mine' } });
    expect(forced.owners.get('other')).toEqual([['data', 'same']]);
    expect(forced.owners.get('m')).toEqual([
      ['data', 'same'],
      ['data', 'theirs'],
    ]);
  });

  it('GIVEN fields that are not managed THEN the apply neither sets nor owns them', () => {
    const { object, owners } = applied(
      applyFields({
        live: { status: { ready: true } },
        applied: { spec: { a: 1 }, status: { ready: false } },
        manager: 'm',
        force: false,
        owners: new Map(),
        isManaged: (path) => path[0] !== 'status',
      }),
    );
    expect(object).toEqual({ spec: { a: 1 }, status: { ready: true } });
    expect(owners.get('m')).toEqual([['spec', 'a']]);
  });
});

describe('releaseChangedFields', () => {
  it('GIVEN a non-apply write THEN each manager keeps only the fields it left as they were', () => {
    const owners = new Map<string, FieldPath[]>([
      [
        'm',
        [
          ['data', 'kept'],
          ['data', 'changed'],
          ['data', 'removed'],
        ],
      ],
      ['n', [['data', 'changed']]],
    ]);
    const before = { data: { kept: 1, changed: 1, removed: 1 } };
    const after = { data: { kept: 1, changed: 2 } };
    expect(releaseChangedFields(owners, before, after)).toEqual(new Map([['m', [['data', 'kept']]]]));
  });
});
