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

/**
 * A commit object as `cat-file` gives it: its sha, message, author and author date as `git log
 * -z --format=%H%n%aI%n%an <%ae>%n%B` and parseLog give them; undefined when it is not one.
 */
export function parseCommitObject(sha: string, content: string): CommitInfo | undefined {
  const end = content.indexOf('\n\n');
  const headers = (end < 0 ? content : content.slice(0, end)).split('\n');
  const author = headers
    .map((line) => /^author (.*) <(.*)> (\d+) ([+-])(\d\d)(\d\d)$/.exec(line))
    .find((match) => match !== null);
  if (!author) return undefined;
  const [, name, email, seconds, sign, hours, minutes] = author;
  const offset = (sign === '-' ? -1 : 1) * (Number(hours) * 60 + Number(minutes));
  // The author's wall-clock time, then its offset (strict ISO 8601, as %aI prints it).
  const local = new Date((Number(seconds) + offset * 60) * 1000).toISOString().slice(0, 19);
  return {
    sha,
    date: `${local}${sign}${hours}:${minutes}`,
    author: `${name} <${email}>`,
    message: end < 0 ? '' : content.slice(end + 2).trimEnd(),
  };
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
