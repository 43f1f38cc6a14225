/**
 * Remote URLs and credentials. A remote is a local path, `file://`, `git://`, `http(s)://` or SSH
 * (`ssh://` or scp-style `user@host:path`). Credentials never live in the URL or in `.git/config`:
 * they are read from the environment variable or file the configuration names, each time a network
 * command runs, and handed to that one git process through its environment.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InputError, type Problem } from '../core/index.js';

export type RemoteKind = 'local' | 'file' | 'git' | 'http' | 'ssh';

/** Where credentials come from; every field names a source, none holds a secret itself. */
export interface GitCredentials {
  /** Name of an environment variable holding an HTTP(S) access token. */
  tokenEnv?: string;
  /** Path of a file holding an HTTP(S) access token (surrounding whitespace ignored). */
  tokenFile?: string;
  /**
   * User name sent with the token in HTTP Basic auth. Default `x-access-token`, which GitHub
   * accepts for personal access and App installation tokens; GitLab accepts any non-empty name for
   * personal, project and group tokens but needs `oauth2` for OAuth tokens.
   */
  username?: string;
  /** Private key for SSH remotes. */
  sshKeyFile?: string;
  /** known_hosts file for SSH remotes; when set, unknown or changed host keys are refused. */
  knownHostsFile?: string;
}

export interface Remote {
  kind: RemoteKind;
  /** What goes into `.git/config`: never a password; local paths made absolute. */
  url: string;
  /** The URL with any user info removed: safe for logs and errors. */
  displayUrl: string;
  /** `scheme://host[:port]` of an HTTP(S) remote: the scope of the Authorization header. */
  httpOrigin?: string;
  /** The user name found in an HTTP(S) URL (moved out of the stored URL). */
  httpUsername?: string;
}

const URL_SCHEMES: Record<string, RemoteKind> = {
  'file:': 'file',
  'git:': 'git',
  'http:': 'http',
  'https:': 'http',
  'ssh:': 'ssh',
  'git+ssh:': 'ssh',
  'ssh+git:': 'ssh',
};

// `[user@]host:path` with no '/' before the ':' — git's own rule for scp-like syntax. A single
// letter before ':' is a Windows drive, not a host.
const SCP_LIKE = /^(?:([^@/]+)@)?([^@/:]{2,}|\[[^\]]+\]):(.*)$/;

/** Parses a configured remote URL. Throws InputError (pointer `/url`) when it is unusable. */
export function parseRemote(url: string, options: { cwd?: string } = {}): Remote {
  const fail = (message: string): never => {
    throw new InputError([{ path: '/url', message }]);
  };
  if (typeof url !== 'string' || url.trim() === '') return fail('must be a non-empty URL or path');
  const text = url.trim();

  if (/^[A-Za-z][A-Za-z0-9+.-]*::/.test(text))
    return fail("transport helpers ('<helper>::<address>') are not supported");
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text);
  if (scheme) {
    const kind = URL_SCHEMES[`${scheme[1]!.toLowerCase()}:`];
    if (!kind) return fail(`unsupported URL scheme '${scheme[1]}' (use a path, file, git, http(s) or ssh)`);
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      return fail('is not a valid URL');
    }
    const display = new URL(text);
    display.username = '';
    display.password = '';
    if (parsed.password !== '') {
      return fail(
        `${display.href} embeds a password: configure credentials.tokenEnv or credentials.tokenFile instead`,
      );
    }
    if (kind !== 'http') {
      return { kind, url: text, displayUrl: display.href };
    }
    const username = parsed.username === '' ? undefined : decodeURIComponent(parsed.username);
    return {
      kind,
      url: display.href,
      displayUrl: display.href,
      httpOrigin: `${parsed.protocol}//${parsed.host}`,
      ...(username === undefined ? {} : { httpUsername: username }),
    };
  }

  const scp = SCP_LIKE.exec(text);
  if (scp) {
    const [, user, host, path] = scp;
    if (user?.includes(':')) return fail(`${host}:${path} embeds a password: use credentials.sshKeyFile`);
    return { kind: 'ssh', url: text, displayUrl: `${host}:${path}` };
  }

  const absolute = resolve(options.cwd ?? process.cwd(), text);
  return { kind: 'local', url: absolute, displayUrl: absolute };
}

/** Configuration problems of credentials for a remote (pointers under `/credentials`). */
export function credentialProblems(remote: Remote, credentials: GitCredentials | undefined): Problem[] {
  if (!credentials) return [];
  const problems: Problem[] = [];
  const token = credentials.tokenEnv !== undefined || credentials.tokenFile !== undefined;
  if (credentials.tokenEnv !== undefined && credentials.tokenFile !== undefined) {
    problems.push({ path: '/credentials', message: 'set tokenEnv or tokenFile, not both' });
  }
  if (credentials.tokenEnv !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(credentials.tokenEnv)) {
    problems.push({ path: '/credentials/tokenEnv', message: 'must be an environment variable name' });
  }
  if (token && remote.kind !== 'http') {
    problems.push({
      path: '/credentials',
      message: `a token applies to http(s) remotes only, not ${remote.kind}`,
    });
  }
  if (credentials.username !== undefined && !/^[^:\s]+$/.test(credentials.username)) {
    problems.push({ path: '/credentials/username', message: "must be non-empty, without ':' or whitespace" });
  }
  if (
    (credentials.sshKeyFile !== undefined || credentials.knownHostsFile !== undefined) &&
    remote.kind !== 'ssh'
  ) {
    problems.push({
      path: '/credentials',
      message: `SSH keys apply to ssh remotes only, not ${remote.kind}`,
    });
  }
  for (const key of ['tokenFile', 'sshKeyFile', 'knownHostsFile'] as const) {
    const value = credentials[key];
    if (value !== undefined && (value.trim() === '' || value.includes('\0'))) {
      problems.push({ path: `/credentials/${key}`, message: 'must be a file path' });
    }
  }
  return problems;
}

/** What a network git command needs: extra environment, and the values to scrub from any output. */
export interface NetworkAuth {
  env: Record<string, string>;
  secrets: string[];
}

/**
 * Resolves credentials into per-process environment. The token goes in as
 * `http.<origin>/.extraHeader` through `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n`/`GIT_CONFIG_VALUE_n`
 * rather than `-c`, because a command line is visible to every user of the host (`ps`) while a
 * process environment is not; scoping the header to the remote's origin keeps it from being sent
 * to any other host. Basic auth (not Bearer) because GitHub's and GitLab's Git HTTP endpoints
 * accept a token as the Basic password, and GitHub does not accept Bearer there.
 */
export async function networkAuth(
  remote: Remote,
  credentials: GitCredentials | undefined,
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<NetworkAuth> {
  if (!credentials) return { env: {}, secrets: [] };
  const cwd = options.cwd ?? process.cwd();
  if (remote.kind === 'http' && (credentials.tokenEnv !== undefined || credentials.tokenFile !== undefined)) {
    const token = await readToken(credentials, { cwd, env: options.env ?? process.env });
    const username = credentials.username ?? remote.httpUsername ?? 'x-access-token';
    const encoded = Buffer.from(`${username}:${token}`, 'utf8').toString('base64');
    return {
      env: {
        GIT_CONFIG_COUNT: '1',
        GIT_CONFIG_KEY_0: `http.${remote.httpOrigin}/.extraHeader`,
        GIT_CONFIG_VALUE_0: `Authorization: Basic ${encoded}`,
      },
      secrets: [token, encoded],
    };
  }
  if (remote.kind === 'ssh' && credentials.sshKeyFile !== undefined) {
    const parts = [
      'ssh',
      '-i',
      shellQuote(resolve(cwd, credentials.sshKeyFile)),
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'BatchMode=yes',
    ];
    if (credentials.knownHostsFile !== undefined) {
      parts.push(
        '-o',
        shellQuote(`UserKnownHostsFile=${resolve(cwd, credentials.knownHostsFile)}`),
        '-o',
        'StrictHostKeyChecking=yes',
      );
    }
    return { env: { GIT_SSH_COMMAND: parts.join(' ') }, secrets: [] };
  }
  if (remote.kind === 'ssh' && credentials.knownHostsFile !== undefined) {
    const knownHosts = shellQuote(`UserKnownHostsFile=${resolve(cwd, credentials.knownHostsFile)}`);
    return {
      env: { GIT_SSH_COMMAND: `ssh -o ${knownHosts} -o StrictHostKeyChecking=yes -o BatchMode=yes` },
      secrets: [],
    };
  }
  return { env: {}, secrets: [] };
}

async function readToken(
  credentials: GitCredentials,
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<string> {
  if (credentials.tokenEnv !== undefined) {
    const value = options.env[credentials.tokenEnv]?.trim();
    if (!value) {
      throw new InputError([
        {
          path: '/credentials/tokenEnv',
          message: `environment variable ${credentials.tokenEnv} is not set or empty`,
        },
      ]);
    }
    return value;
  }
  const file = resolve(options.cwd, credentials.tokenFile!);
  let value: string;
  try {
    value = (await readFile(file, 'utf8')).trim();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new InputError(
      [{ path: '/credentials/tokenFile', message: `cannot read token file ${file}: ${code}` }],
      {
        cause: error,
      },
    );
  }
  if (value === '')
    throw new InputError([{ path: '/credentials/tokenFile', message: `token file ${file} is empty` }]);
  return value;
}

/** Single-quotes a word for the shell git runs GIT_SSH_COMMAND through. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Replaces every secret (and its URL-encoded form) in a text with `***`. */
export function redact(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)])) {
      result = result.split(form).join('***');
    }
  }
  return result;
}
