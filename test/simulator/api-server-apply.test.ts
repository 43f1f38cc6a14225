import type { JsonObject } from '../../src/core/index.js';
import {
  ApplyConflictError,
  type FieldPath,
  applyConfiguration,
  fieldPaths,
  releaseChangedFields,
  toFieldsV1,
} from '../../src/simulator/api-server-apply.js';

const everything = () => true;
const noStatus = (path: FieldPath) => path[0] !== 'f:status';

function apply(
  live: JsonObject | undefined,
  applied: JsonObject,
  owner: string,
  owners: Map<string, FieldPath[]> = new Map(),
  force = false,
) {
  return applyConfiguration({ live, applied, owner, force, owners, isManaged: noStatus });
}

describe('fieldPaths', () => {
  it.each<[string, JsonObject, string[][]]>([
    [
      'scalars and nested maps',
      { spec: { a: 1, b: { c: 'x' } } },
      [
        ['f:spec', 'f:a'],
        ['f:spec', 'f:b', 'f:c'],
      ],
    ],
    ['an atomic list is one leaf', { spec: { list: [1, 2] } }, [['f:spec', 'f:list']]],
    ['an empty map is a leaf', { spec: {} }, [['f:spec']]],
    ['null is not owned', { spec: { gone: null, kept: 1 } }, [['f:spec', 'f:kept']]],
    [
      'finalizers are a set',
      { metadata: { finalizers: ['a.io/x', 'b.io/y'] } },
      [
        ['f:metadata', 'f:finalizers', 'v:"a.io/x"'],
        ['f:metadata', 'f:finalizers', 'v:"b.io/y"'],
      ],
    ],
    ['unmanaged fields are skipped', { spec: { a: 1 }, status: { b: 2 } }, [['f:spec', 'f:a']]],
  ])('GIVEN %s THEN the owned paths are as expected', (_name, applied, expected) => {
    expect(fieldPaths(applied, noStatus)).toEqual(expected);
  });
});

describe('applyConfiguration', () => {
  it('GIVEN no live object WHEN applied THEN the object is the configuration and the manager owns its leaves', () => {
    const result = apply(undefined, { spec: { a: 1, b: [1] } }, 'engine');
    expect(result.object).toEqual({ spec: { a: 1, b: [1] } });
    expect(result.owners.get('engine')).toEqual([
      ['f:spec', 'f:a'],
      ['f:spec', 'f:b'],
    ]);
  });

  it('GIVEN a re-apply without a field THEN that field is removed, and maps it emptied are pruned', () => {
    const first = apply(
      undefined,
      { metadata: { labels: { x: '1' } }, spec: { a: 1, nested: { b: 2 } } },
      'engine',
    );
    const second = apply(first.object, { spec: { a: 2 } }, 'engine', first.owners);
    expect(second.object).toEqual({ metadata: {}, spec: { a: 2 } });
    expect(second.owners.get('engine')).toEqual([['f:spec', 'f:a']]);
  });

  it("GIVEN another manager's field THEN a re-apply leaves it alone", () => {
    const first = apply(undefined, { spec: { mine: 1, dropped: 2 } }, 'engine');
    const other = apply(first.object, { spec: { theirs: 'x' } }, 'controller', first.owners);
    const second = apply(other.object, { spec: { mine: 3 } }, 'engine', other.owners);
    expect(second.object).toEqual({ spec: { mine: 3, theirs: 'x' } });
    expect(second.owners.get('controller')).toEqual([['f:spec', 'f:theirs']]);
  });

  it('GIVEN a field both managers applied with the same value THEN dropping it from one keeps it', () => {
    const first = apply(undefined, { spec: { shared: 1 } }, 'a');
    const both = apply(first.object, { spec: { shared: 1 } }, 'b', first.owners);
    const dropped = apply(both.object, {}, 'a', both.owners);
    expect(dropped.object).toEqual({ spec: { shared: 1 } });
    expect(dropped.owners.has('a')).toBe(false);
  });

  it('GIVEN a field another manager owns with a different value THEN the apply conflicts, unless forced', () => {
    const first = apply(undefined, { spec: { replicas: 1 } }, 'a');
    let conflict: unknown;
    try {
      apply(first.object, { spec: { replicas: 2 } }, 'b', first.owners);
    } catch (error) {
      conflict = error;
    }
    expect(conflict).toBeInstanceOf(ApplyConflictError);
    expect((conflict as Error).message).toBe(
      'Apply failed with 1 conflict: conflict with "a": .spec.replicas',
    );

    const forced = apply(first.object, { spec: { replicas: 2 } }, 'b', first.owners, true);
    expect(forced.object).toEqual({ spec: { replicas: 2 } });
    expect(forced.owners.has('a')).toBe(false);
    expect(forced.owners.get('b')).toEqual([['f:spec', 'f:replicas']]);
  });

  it('GIVEN finalizers from two managers THEN each removes only its own', () => {
    const first = apply(undefined, { metadata: { finalizers: ['a.io/f'] } }, 'a');
    const second = apply(first.object, { metadata: { finalizers: ['b.io/f'] } }, 'b', first.owners);
    expect(second.object).toEqual({ metadata: { finalizers: ['a.io/f', 'b.io/f'] } });
    const dropped = apply(second.object, { metadata: {} }, 'a', second.owners);
    expect(dropped.object).toEqual({ metadata: { finalizers: ['b.io/f'] } });
  });

  it('GIVEN unmanaged fields in the live object THEN an apply neither takes nor removes them', () => {
    const live = { spec: { a: 1 }, status: { phase: 'Ready' } };
    const result = apply(live, { spec: { a: 2 }, status: { phase: 'Lies' } }, 'engine');
    expect(result.object).toEqual({ spec: { a: 2 }, status: { phase: 'Ready' } });
  });

  it('GIVEN a null in the configuration THEN the field is removed', () => {
    const result = applyConfiguration({
      live: { spec: { a: 1, b: 2 } },
      applied: { spec: { b: null } },
      owner: 'engine',
      force: false,
      owners: new Map(),
      isManaged: everything,
    });
    expect(result.object).toEqual({ spec: { a: 1 } });
  });
});

describe('releaseChangedFields', () => {
  it('GIVEN an update that changed or removed owned fields THEN their owners lose them', () => {
    const owners = new Map<string, FieldPath[]>([
      [
        'engine',
        [
          ['f:spec', 'f:a'],
          ['f:spec', 'f:b'],
          ['f:spec', 'f:c'],
        ],
      ],
      ['other', [['f:spec', 'f:b']]],
    ]);
    const kept = releaseChangedFields(owners, { spec: { a: 1, b: 2, c: 3 } }, { spec: { a: 1, b: 20 } });
    expect(kept).toEqual(new Map([['engine', [['f:spec', 'f:a']]]]));
  });
});

describe('toFieldsV1', () => {
  it('GIVEN paths THEN the FieldsV1 tree nests them', () => {
    expect(
      toFieldsV1([
        ['f:spec', 'f:a'],
        ['f:spec', 'f:b', 'f:c'],
        ['f:metadata', 'f:finalizers', 'v:"x"'],
      ]),
    ).toEqual({
      'f:spec': { 'f:a': {}, 'f:b': { 'f:c': {} } },
      'f:metadata': { 'f:finalizers': { 'v:"x"': {} } },
    });
  });
});
