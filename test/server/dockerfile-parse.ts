/**
 * Just enough of the Dockerfile and .dockerignore formats to check src/server/Dockerfile without
 * Docker: instructions (line continuations and comments handled), stages, and the context's
 * ignore rules (https://docs.docker.com/build/concepts/context/#dockerignore-files).
 */

export interface Instruction {
  keyword: string;
  /** The arguments as written, continuations joined. */
  args: string;
  /** Flags such as `--from=build`, by name. */
  flags: Record<string, string>;
  /** The arguments without the flags, split on whitespace (or the JSON array, for the exec form). */
  words: string[];
}

export interface Stage {
  /** The `AS` name, or the stage's index as a string. */
  name: string;
  base: string;
  instructions: Instruction[];
}

function splitFlags(args: string): { flags: Record<string, string>; rest: string } {
  const flags: Record<string, string> = {};
  let rest = args.trim();
  for (let m = /^--([a-z-]+)(?:=(\S+))?\s*/.exec(rest); m; m = /^--([a-z-]+)(?:=(\S+))?\s*/.exec(rest)) {
    flags[m[1] as string] = m[2] ?? 'true';
    rest = rest.slice(m[0].length);
  }
  return { flags, rest };
}

function words(rest: string): string[] {
  if (rest.startsWith('[')) return JSON.parse(rest) as string[];
  return rest.split(/\s+/).filter(Boolean);
}

export function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (current === '' && (line === '' || line.startsWith('#'))) continue;
    if (current !== '' && line.startsWith('#')) continue;
    if (line.endsWith('\\')) current += `${line.slice(0, -1)} `;
    else {
      logical.push(current + line);
      current = '';
    }
  }
  const stages: Stage[] = [];
  for (const line of logical) {
    const [keyword = '', ...restWords] = line.split(/\s+/);
    const args = line.slice(keyword.length).trim();
    const { flags, rest } = splitFlags(args);
    const instruction: Instruction = { keyword: keyword.toUpperCase(), args, flags, words: words(rest) };
    if (instruction.keyword === 'FROM') {
      const as = restWords.findIndex((w) => w.toUpperCase() === 'AS');
      stages.push({
        name: as >= 0 ? (restWords[as + 1] as string) : String(stages.length),
        base: instruction.words[0] as string,
        instructions: [],
      });
    } else {
      const stage = stages.at(-1);
      if (!stage) throw new Error(`${instruction.keyword} before any FROM`);
      stage.instructions.push(instruction);
    }
  }
  return stages;
}

export function instructionsOf(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((i) => i.keyword === keyword);
}

/** ENV instructions of a stage as a map (`ENV A=1 B=2`, or the legacy `ENV A 1`). */
export function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of instructionsOf(stage, 'ENV')) {
    if (!i.args.includes('=')) {
      const [name = '', ...value] = i.args.split(/\s+/);
      env[name] = value.join(' ');
      continue;
    }
    for (const pair of i.args.match(/[A-Za-z_][A-Za-z0-9_]*=("[^"]*"|\S+)/g) ?? []) {
      const eq = pair.indexOf('=');
      env[pair.slice(0, eq)] = pair.slice(eq + 1).replace(/^"(.*)"$/, '$1');
    }
  }
  return env;
}

/** Whether a path of the build context is left out by the .dockerignore rules (last match wins). */
export function ignoredBy(rules: string, path: string): boolean {
  let ignored = false;
  for (const raw of rules.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const negated = line.startsWith('!');
    const pattern = (negated ? line.slice(1) : line).replace(/^\/+/, '').replace(/\/+$/, '');
    const regex = new RegExp(
      `^${pattern
        .split('/')
        .map((segment) =>
          segment === '**'
            ? '(?:.*/)?'
            : `${segment
                .replace(/[.+^${}()|[\]\\]/g, '\\$&')
                .replace(/\*/g, '[^/]*')
                .replace(/\?/g, '[^/]')}/`,
        )
        .join('')
        .replace(/\/$/, '')}(?:/.*)?$`,
    );
    if (regex.test(path)) ignored = !negated;
  }
  return ignored;
}
