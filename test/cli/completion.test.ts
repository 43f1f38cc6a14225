/**
 * `envcat completion bash|zsh`: each script loaded by the real shell and asked to complete, bash
 * through its completion function, zsh through its line editor in a pseudo-terminal
 * (test/support/zsh-complete.zsh) as a person pressing Tab.
 */
import { jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { main } from '../../src/cli/main.js';

jest.setTimeout(60_000);
const run = promisify(execFile);
const ZSH_DRIVER = join(import.meta.dirname, '..', 'support', 'zsh-complete.zsh');

let work: string;
/** The folder the shells complete file names in. */
let files: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'envcat-completion-'));
  files = join(work, 'files');
  mkdirSync(join(files, 'envs'), { recursive: true });
  writeFileSync(join(files, 'dev.yaml'), 'x');
  writeFileSync(join(files, 'prod.yaml'), 'x');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function script(shell: string): Promise<string> {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'envcat', 'completion', shell], {
    stdout: (s) => void (stdout += s),
    stderr: (s) => void (stderr += s),
    isTTY: false,
  });
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  const path = join(work, `envcat.${shell}`);
  writeFileSync(path, stdout);
  return path;
}

/** Each command line (its last word being the one under the cursor) with what it must complete to. */
const CASES: Array<[line: string, expected: string[]]> = [
  ['envcat ', ['catalog', 'completion', 'env', 'render']],
  ['envcat ca', ['catalog']],
  ['envcat env st', ['status']],
  ['envcat catalog s', ['show']],
  ['envcat completion ', ['bash', 'zsh']],
  ['envcat env list -o ', ['json', 'wide', 'yaml']],
  ['envcat env list -o y', ['yaml']],
  ['envcat env logs x --f', ['--follow']],
  // A flag's value is skipped on the way to the command: `env` here is --server's value.
  ['envcat env status --server env --o', ['--output']],
  ['envcat env create -f ', ['dev.yaml', 'envs', 'prod.yaml']],
  ['envcat env create --file p', ['prod.yaml']],
];

describe('envcat completion bash', () => {
  /** What bash's completion function offers for this line, as `complete -F` would call it. */
  async function complete(path: string, line: string): Promise<string[]> {
    const words = line.split(' ');
    const array = words.map((w) => `'${w}'`).join(' ');
    const { stdout } = await run(
      'bash',
      [
        '-c',
        `source '${path}'; COMP_WORDS=(${array}); COMP_CWORD=${words.length - 1}; _envcat; printf '%s\\n' "\${COMPREPLY[@]}"`,
      ],
      { cwd: files },
    );
    return stdout.split('\n').filter((l) => l !== '');
  }

  it('is a script bash accepts, registered for envcat', async () => {
    const path = await script('bash');
    await run('bash', ['-n', path]);
    const { stdout } = await run('bash', ['-c', `source '${path}'; complete -p envcat`]);
    expect(stdout.trim()).toBe('complete -F _envcat envcat');
  });

  it.each(CASES)('completes %j', async (line, expected) => {
    const path = await script('bash');
    expect((await complete(path, line)).sort()).toEqual(expected);
  });

  it('lists every env subcommand', async () => {
    const path = await script('bash');
    expect(await complete(path, 'envcat env ')).toEqual(
      expect.arrayContaining(['create', 'status', 'list', 'delete', 'retry', 'logs', 'extend', 'upgrade']),
    );
  });
});

describe('envcat completion zsh', () => {
  /** What an interactive zsh offers on Tab for each line, after compinit and sourcing the script. */
  async function complete(path: string, lines: string[]): Promise<Map<string, string[]>> {
    const { stdout } = await run('zsh', ['-f', ZSH_DRIVER, path, ...lines], { cwd: files, timeout: 50_000 });
    const offered = new Map<string, string[]>();
    let current: string[] = [];
    for (const row of stdout.split('\n')) {
      if (row.startsWith('== ')) offered.set(row.slice(3), (current = []));
      else if (row !== '') current.push(row);
    }
    return offered;
  }

  it('starts with #compdef and loads bashcompinit', async () => {
    const text = readFileSync(await script('zsh'), 'utf8');
    expect(text.split('\n')[0]).toBe('#compdef envcat');
    expect(text).toContain('autoload -U +X bashcompinit && bashcompinit');
  });

  it('completes commands, flags, flag values and files in a real zsh', async () => {
    const path = await script('zsh');
    await run('zsh', ['-n', path]);
    const lines = [...CASES.map(([line]) => line), 'envcat env '];
    const offered = await complete(path, lines);
    expect([...offered.keys()]).toEqual(lines);
    for (const [line, expected] of CASES)
      expect({ line, offered: offered.get(line)?.sort() }).toEqual({ line, offered: expected });
    expect(offered.get('envcat env ')).toEqual(
      expect.arrayContaining(['create', 'status', 'list', 'delete', 'retry', 'logs', 'extend', 'upgrade']),
    );
  });

  it('without the script, zsh offers only its default (file names)', async () => {
    // The same session less the script: what the driver reports is zsh's own completion.
    const empty = join(work, 'empty.zsh');
    writeFileSync(empty, '');
    const offered = await complete(empty, ['envcat env st', 'envcat completion ']);
    expect(offered.get('envcat env st')).toEqual([]);
    expect(offered.get('envcat completion ')?.sort()).toEqual(['dev.yaml', 'envs', 'prod.yaml']);
  });
});

describe('envcat completion', () => {
  it('refuses another shell with exit 2', async () => {
    let stderr = '';
    const code = await main(['node', 'envcat', 'completion', 'fish'], {
      stdout: () => undefined,
      stderr: (s) => void (stderr += s),
      isTTY: false,
    });
    expect(code).toBe(2);
    expect(stderr).toContain('Allowed choices are bash, zsh');
  });
});
