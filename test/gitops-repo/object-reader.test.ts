/**
 * GitRepo's reads of objects (object-reader.ts) without git: a scripted source answers names the
 * way `git cat-file --batch` does, and records what it was asked, so what is read once and what is
 * kept can be seen.
 */
import { ExternalError } from '../../src/core/index.js';
import type { GitObject } from '../../src/gitops/cat-file.js';
import { ObjectReader } from '../../src/gitops/object-reader.js';

const id = (n: number) => n.toString(16).padStart(40, '0');
const blob = (objectId: string, text: string): GitObject => ({
  id: objectId,
  type: 'blob',
  content: Buffer.from(text),
});
/** A raw tree object as git stores it: `<mode> <name>\0<20-byte id>` per entry. */
const treeObject = (
  objectId: string,
  entries: Array<[mode: string, name: string, id: string]>,
): GitObject => ({
  id: objectId,
  type: 'tree',
  content: Buffer.concat(
    entries.map(([mode, name, entryId]) =>
      Buffer.concat([Buffer.from(`${mode} ${name}\0`), Buffer.from(entryId, 'hex')]),
    ),
  ),
});

function scripted(objects: Record<string, GitObject>) {
  const asked: string[][] = [];
  const sources = { opened: 0, closed: 0 };
  const reader = new ObjectReader({
    repo: 'platform',
    open: () => {
      sources.opened++;
      return {
        read: async (names) => {
          if (names.length > 0) asked.push([...names]);
          return names.map((name) => objects[name]);
        },
        close: async () => {
          sources.closed++;
        },
      };
    },
  });
  return { reader, asked, sources };
}

describe('ObjectReader', () => {
  it('reads a blob once: again, or twice in one call, it comes from the cache', async () => {
    // GIVEN two blobs
    const { reader, asked } = scripted({ [id(1)]: blob(id(1), 'one\n'), [id(2)]: blob(id(2), 'two\n') });
    // WHEN one is read, then both (one of them named twice)
    const first = await reader.blobs([id(1)]);
    const second = await reader.blobs([id(1), id(2), id(2)]);
    // THEN git was asked for each once
    expect(asked).toEqual([[id(1)], [id(2)]]);
    expect(first).toEqual(new Map([[id(1), 'one\n']]));
    expect(second).toEqual(
      new Map([
        [id(1), 'one\n'],
        [id(2), 'two\n'],
      ]),
    );
  });

  it.each<[string, GitObject | undefined, string]>([
    ['missing', undefined, `platform repo: object ${id(3)} could not be read`],
    ['a tree', treeObject(id(3), []), `platform repo: git cat-file returned 'tree' for ${id(3)}`],
  ])('a blob id that is %s is an ExternalError naming the repo and the id', async (_, object, message) => {
    const { reader } = scripted(object ? { [id(3)]: object } : {});
    const read = reader.blobs([id(3)]);
    await expect(read).rejects.toThrow(ExternalError);
    await expect(read).rejects.toThrow(message);
  });

  it.each<[string, GitObject | undefined, string | undefined]>([
    ['a commit', { id: id(7), type: 'commit', content: Buffer.from('') }, id(7)],
    ['a tag', { id: id(7), type: 'tag', content: Buffer.from('') }, undefined],
    ['nothing', undefined, undefined],
  ])('the commit of a ref that names %s', async (_, object, expected) => {
    const { reader, asked } = scripted(object ? { 'refs/heads/main^{commit}': object } : {});
    expect(await reader.commitId('refs/heads/main')).toBe(expected);
    expect(asked).toEqual([['refs/heads/main^{commit}']]);
  });

  it.each<[string, Array<GitObject | undefined>, boolean]>([
    [
      'both are commits',
      [
        { id: id(1), type: 'commit', content: Buffer.from('') },
        { id: id(2), type: 'commit', content: Buffer.from('') },
      ],
      true,
    ],
    ['one is missing', [{ id: id(1), type: 'commit', content: Buffer.from('') }, undefined], false],
    ['one is a blob', [{ id: id(1), type: 'commit', content: Buffer.from('') }, blob(id(2), '')], false],
  ])('hasCommits when %s', async (_, [first, second], expected) => {
    const objects: Record<string, GitObject> = {};
    if (first) objects[`${id(1)}^{commit}`] = first;
    if (second) objects[`${id(2)}^{commit}`] = second;
    const { reader } = scripted(objects);
    expect(await reader.hasCommits([id(1), id(2)])).toBe(expected);
  });

  it('reads the tree of a new head without the subtrees it read last time', async () => {
    // GIVEN head 1 with a/x and b/y, and head 2 whose a/ changed and whose b/ is the same tree
    const [x, y, z] = [id(0x11), id(0x12), id(0x13)];
    const [treeA, treeB, treeA2, root1, root2] = [id(0xa), id(0xb), id(0xa2), id(0x1f), id(0x2f)];
    const [head1, head2] = [id(0x100), id(0x200)];
    const { reader, asked } = scripted({
      [`${head1}^{tree}`]: treeObject(root1, [
        ['40000', 'a', treeA],
        ['40000', 'b', treeB],
      ]),
      [`${head2}^{tree}`]: treeObject(root2, [
        ['40000', 'a', treeA2],
        ['40000', 'b', treeB],
      ]),
      [treeA]: treeObject(treeA, [['100644', 'x', x]]),
      [treeB]: treeObject(treeB, [['100644', 'y', y]]),
      [treeA2]: treeObject(treeA2, [
        ['100644', 'x', x],
        ['100644', 'z', z],
      ]),
    });
    // WHEN both are read, one after the other
    const first = await reader.tree(head1, 'sha1');
    const second = await reader.tree(head2, 'sha1');
    // THEN the second read asked for its root and the changed a/ only
    expect(asked).toEqual([[`${head1}^{tree}`], [treeA, treeB], [`${head2}^{tree}`], [treeA2]]);
    expect([...first.entries]).toEqual([
      ['a/x', { mode: '100644', id: x }],
      ['b/y', { mode: '100644', id: y }],
    ]);
    expect(second.head).toBe(head2);
    expect([...second.entries.keys()]).toEqual(['a/x', 'a/z', 'b/y']);
  });

  it('the tree of no head is empty, and asks git nothing', async () => {
    const { reader, asked, sources } = scripted({});
    const tree = await reader.tree('', 'sha1');
    expect(tree.entries.size).toBe(0);
    expect(asked).toEqual([]);
    expect(sources.opened).toBe(0);
  });

  it('after close, the next read starts its source again (where git runs then); what it read stays known', async () => {
    // GIVEN a reader that read a blob
    const { reader, asked, sources } = scripted({ [id(1)]: blob(id(1), 'one'), [id(2)]: blob(id(2), 'two') });
    await reader.blobs([id(1)]);
    // WHEN it is closed, then reads again
    await reader.close();
    await reader.close();
    await reader.blobs([id(1), id(2)]);
    // THEN the first source was ended once, a second one was started, and the cached blob was not read again
    expect(sources).toEqual({ opened: 2, closed: 1 });
    expect(asked).toEqual([[id(1)], [id(2)]]);
  });
});
