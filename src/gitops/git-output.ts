/** What GitRepo makes of git's output: pure parsers, one per command whose answer it reads. */
import type { CommitInfo } from './types.js';

/** `git log -z --format=%H%n%aI%n%an <%ae>%n%B`, newest first as git lists them. */
export function parseLog(output: string): CommitInfo[] {
  return output
    .split('\0')
    .filter((record) => record.trim() !== '')
    .map((record) => {
      const [sha, date, author, ...message] = record.replace(/^\n/, '').split('\n');
      return { sha: sha!, date: date!, author: author!, message: message.join('\n').trimEnd() };
    });
}

/** `git ls-remote <remote> refs/heads/<branch>`: the branch head, undefined when there is no such branch. */
export function parseRemoteHead(output: string, branch: string): string | undefined {
  const line = output.split('\n').find((entry) => entry.endsWith(`\trefs/heads/${branch}`));
  return line?.split('\t')[0];
}

/**
 * `git push --porcelain` marks a rejected ref with '!': another writer got there first, or a hook
 * declined. The reason it gives, or undefined when no ref was rejected.
 */
export function pushRejection(stdout: string): string | undefined {
  const rejected = stdout.split('\n').find((line) => line.startsWith('!\t'));
  return rejected?.split('\t').slice(2).join(' ').trim();
}
