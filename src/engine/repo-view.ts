/**
 * The engine's view of both GitOps repos: their environments/ trees (repo-tree.ts), the namespace
 * claims of the platform repo, and the head each was read at. It follows Git: a poll reads a repo
 * again when its head moved, and a commit this process makes (or the API makes, in this process)
 * is applied at once, so the next pass sees it without a fetch.
 */
import { createHash } from 'node:crypto';
import {
  ENVIRONMENTS_DIR,
  NAMESPACE_CLAIMS_DIR,
  environmentFile,
  environmentNames,
  environmentPrefix,
  manifestsDir,
  repoOf,
  stepFile,
  type ResolvedEnvironment,
  type Step,
} from '../core/index.js';
import type { CommitInfo, CommitResult, GitOpsRepo, RepoName } from '../gitops/types.js';
import { NamespaceClaims } from './namespace-claims.js';
import { RepoTree } from './repo-tree.js';

/** A change to a repo's files: written files with their content, removed files or directories ('/'-terminated). */
/** A change as the view takes it in; a written file may come with the object it is the YAML of (RenderedFile). */
export type ChangeToTree = {
  write: ReadonlyArray<{ path: string; content: string; document?: unknown }>;
  remove: string[];
};

export interface RepoViewOptions {
  platform: Pick<GitOpsRepo, 'sync' | 'readTree' | 'log'>;
  apps: Pick<GitOpsRepo, 'sync' | 'readTree' | 'log'>;
  /** The apps repo is at a head this process has not seen before (revisions.ts keeps them in order). */
  onAppsHead: (sha: string) => void;
}

export interface EnvironmentCommit {
  repo: RepoName;
  sha: string;
  message: string;
  date: string;
}

export class RepoView {
  private readonly trees: Record<RepoName, RepoTree> = { platform: new RepoTree(), apps: new RepoTree() };
  private readonly heads: Record<RepoName, string> = { platform: '', apps: '' };
  /** Commits of this process noted while a poll reads a repo's tree (applied again on what it read). */
  private readonly notedDuringRead: Record<RepoName, ChangeToTree[] | undefined> = {
    platform: undefined,
    apps: undefined,
  };
  /** The tree in memory may lack someone else's commit: the next poll reads it whole again. */
  private readonly reloadNeeded: Record<RepoName, boolean> = { platform: false, apps: false };
  /** Who holds which namespace (the platform repo's namespaces/ claims). */
  private claims = new NamespaceClaims();
  /** A number per environment that changes whenever any of its files in either repo does. */
  private readonly fileVersions = new Map<string, number>();
  private readonly stepFilesVersions = new Map<string, { version: number; byStep: Map<string, string> }>();
  /** Each environment's history as `log` listed it per repo (newest first), and the file version it is of. */
  private readonly history = new Map<string, History>();
  private fileVersionCount = 0;

  constructor(private readonly options: RepoViewOptions) {}

  /** The head the repo's tree was read at (or moved to by a commit of this process). */
  head(repo: RepoName): string {
    return this.heads[repo];
  }

  /** Every environment that has files in either repo. */
  environments(): string[] {
    const names = new Set(this.trees.platform.environments());
    for (const name of this.trees.apps.environments()) names.add(name);
    // A claim left alone (its environment's folder removed by hand) is an environment still to delete.
    for (const name of this.claims.environments()) names.add(name);
    return [...names].sort();
  }

  /** The environment file as the platform repo holds it (no secret values ever are). */
  environmentSource(name: string): string | undefined {
    return this.trees.platform.request(environmentFile(name));
  }

  /** The environment that holds a namespace's claim, if any. */
  namespaceOwner(namespace: string): string | undefined {
    return this.claims.owner(namespace);
  }

  /** The claim files an environment holds. */
  claimsOf(environment: string): string[] {
    return this.claims.claimsOf(environment);
  }

  /** The paths of one environment's files in a repo. */
  pathsOf(repo: RepoName, environment: string): ReadonlySet<string> {
    return this.trees[repo].pathsOf(environment);
  }

  /** True when the environment has a file under `prefix` (a directory path ending in '/') in the repo. */
  hasUnder(repo: RepoName, environment: string, prefix: string): boolean {
    return this.trees[repo].hasUnder(environment, prefix);
  }

  /** The digest of the source an Application file holds (repo-tree.ts). */
  sourceDigest(path: string): string | undefined {
    return this.trees.apps.sourceDigest(path);
  }

  /**
   * The entry versions an instance's own files (its Workspace, its Application) are labelled with,
   * as `envcat.io/entry-version` has them: what it runs now.
   */
  renderedVersions(environment: string, instance: string): string[] {
    const versions = new Set<string>();
    for (const part of ['infra', 'apps'] as const) {
      const version = this.trees[repoOf(part)].entryVersion(stepFile(environment, part, instance));
      if (version !== undefined) versions.add(version);
    }
    return [...versions];
  }

  /** The spec digest of a Workspace file in the platform repo (see RepoTree.specDigest). */
  specDigest(path: string): string | undefined {
    return this.trees.platform.specDigest(path);
  }

  /** The step's own file is in Git. */
  isCommitted(env: ResolvedEnvironment, step: Step): boolean {
    return this.trees[repoOf(step.part)].has(stepFile(env.name, step.part, step.instance));
  }

  /** True when some of the files are not in the repo with this content. */
  differs(repo: RepoName, files: ReadonlyArray<{ path: string; content: string }>): boolean {
    return files.some((f) => !this.trees[repo].holds(f.path, f.content));
  }

  /** A number that changes whenever any file of the environment does, in either repo. */
  fileVersion(environment: string): number {
    return this.fileVersions.get(environment) ?? 0;
  }

  /**
   * Identifies the content of a step's files (the Workspace file; the Application file and its
   * manifests). Kept until a file of the environment changes (fileVersion): every observation of a
   * step asks for it, several times a pass.
   */
  stepFilesVersion(environment: string, step: Step): string {
    const version = this.fileVersion(environment);
    let known = this.stepFilesVersions.get(environment);
    if (known?.version !== version) {
      known = { version, byStep: new Map() };
      this.stepFilesVersions.set(environment, known);
    }
    const key = `${step.part}/${step.instance}`;
    let digest = known.byStep.get(key);
    if (digest === undefined) {
      digest = this.digestStepFiles(environment, step);
      known.byStep.set(key, digest);
    }
    return digest;
  }

  private digestStepFiles(environment: string, step: Step): string {
    const file = stepFile(environment, step.part, step.instance);
    const tree = this.trees[repoOf(step.part)];
    const parts = [tree.version(file) ?? ''];
    const dir = `${manifestsDir(environment, step.instance)}/`;
    if (step.part === 'apps')
      for (const path of [...tree.pathsOf(environment)].sort())
        if (path.startsWith(dir)) parts.push(path, tree.version(path) ?? '');
    return createHash('sha256').update(parts.join('\0')).digest('base64');
  }

  /**
   * The commits that touched an environment, newest first, in both repos. Every GET of an
   * environment shows them, so they are read from Git (two `git log`s) once, and concurrent
   * readers share one read; a commit this process makes is added as it is noted (see
   * extendHistories), and only a change of its files it cannot account for reads them again.
   */
  async commits(name: string, limit = 50): Promise<EnvironmentCommit[]> {
    const version = this.fileVersion(name);
    let cached = this.history.get(name);
    if (!cached || cached.version !== version || cached.limit !== limit) {
      const prefix = environmentPrefix(name);
      const read = Promise.all([
        this.options.platform.log(prefix, { limit }),
        this.options.apps.log(prefix, { limit }),
      ]).then(([platform, apps]) => ({ platform, apps }));
      cached = this.keepHistory(name, { version, limit, lists: read });
    }
    const { platform, apps } = await cached.lists;
    const about = (repo: RepoName) => (c: CommitInfo) => ({
      repo,
      sha: c.sha,
      message: messageAbout(name, c.message),
      date: c.date,
    });
    return [...platform.map(about('platform')), ...apps.map(about('apps'))]
      .sort((a, b) => b.date.localeCompare(a.date))
      .slice(0, limit);
  }

  /** Keeps a history (a failed read is not kept: the next caller tries again). */
  private keepHistory(name: string, history: History): History {
    this.history.set(name, history);
    history.lists.catch(() => {
      if (this.history.get(name) === history) this.history.delete(name);
    });
    return history;
  }

  /**
   * The histories of the environments a change set of this process named, which were up to date
   * before it (`current`), stay so: the commit it made is put first in its repo's list where it
   * changed a file of theirs, as `git log` would list it. Without the commit (none was made, or it
   * could not be read back) or after someone else's commit, they are read again when next asked.
   */
  private extendHistories(
    repo: RepoName,
    current: readonly string[],
    result: CommitResult,
    ours: boolean,
  ): void {
    const made = result.commit;
    if (!ours || (result.changed && (!made || result.base === undefined))) return;
    const entry = made && { sha: made.sha, message: made.message, date: made.date, author: made.author };
    for (const name of current) {
      const cached = this.history.get(name)!;
      const prefix = environmentPrefix(name);
      const touched = made?.paths.some((path) => path.startsWith(prefix) || `${path}/` === prefix);
      const lists =
        entry && touched
          ? cached.lists.then((lists) =>
              lists[repo].some((c) => c.sha === entry.sha)
                ? lists
                : { ...lists, [repo]: [entry, ...lists[repo]].slice(0, cached.limit) },
            )
          : cached.lists;
      this.keepHistory(name, { version: this.fileVersion(name), limit: cached.limit, lists });
    }
  }

  /** The environments of a change whose history is up to date now. */
  private currentHistories(change: ChangeToTree): string[] {
    return [...environmentNames([...change.remove, ...change.write.map((f) => f.path)])].filter(
      (name) => this.history.get(name)?.version === this.fileVersion(name),
    );
  }

  /**
   * Syncs a repo and reloads its tree when the head moved (or a commit of this process was made on
   * top of someone else's); returns the environments whose files changed. Commits this process
   * notes while the tree is read are applied again on what was read: the read may predate them,
   * and dropping them would make a fresh environment look deleted. (Applying one the read already
   * holds changes nothing.) Then the next poll reads again, to settle on what Git holds.
   */
  async refresh(repo: RepoName): Promise<Set<string>> {
    const head = await this.options[repo].sync();
    if (head === this.heads[repo] && !this.reloadNeeded[repo]) return new Set();
    const during: ChangeToTree[] = [];
    this.notedDuringRead[repo] = during;
    let tree: RepoTree;
    let claims: NamespaceClaims | undefined;
    try {
      tree = new RepoTree(await this.options[repo].readTree(`${ENVIRONMENTS_DIR}/`));
      if (repo === 'platform')
        claims = new NamespaceClaims(
          (await this.options.platform.readTree(`${NAMESPACE_CLAIMS_DIR}/`)).keys(),
        );
    } finally {
      this.notedDuringRead[repo] = undefined;
    }
    for (const change of during) applyChange(tree, claims ?? this.claims, repo, change);
    const changed = RepoTree.changed(this.trees[repo], tree);
    if (claims) {
      for (const name of claims.environments())
        if (!this.claims.environments().has(name)) changed.add(environmentPrefix(name));
      for (const name of this.claims.environments())
        if (!claims.environments().has(name)) changed.add(environmentPrefix(name));
      this.claims = claims;
    }
    this.reloadNeeded[repo] = during.length > 0;
    this.trees[repo] = tree;
    this.heads[repo] = head;
    if (repo === 'apps') this.options.onAppsHead(head);
    const names = environmentNames(changed);
    for (const name of names) this.fileVersions.set(name, ++this.fileVersionCount);
    return names;
  }

  /**
   * A commit this process made: the change is applied to the tree. Returns false when it changed
   * nothing in Git (the files were there already); a head we did not know then means someone else
   * committed, and the next poll reads the repo again.
   */
  noteOwnCommit(repo: RepoName, change: ChangeToTree, result: CommitResult): boolean {
    const current = this.currentHistories(change);
    this.apply(repo, change);
    if (repo === 'apps') this.options.onAppsHead(result.sha);
    if (!result.changed) {
      const ours = result.sha === this.heads[repo];
      if (!ours) this.reloadNeeded[repo] = true;
      this.extendHistories(repo, current, result, ours);
      return false;
    }
    this.extendHistories(repo, current, result, this.advanceHead(repo, result));
    return true;
  }

  /**
   * A commit made by someone else in this process (the API), so the next pass sees it without a
   * fetch. Returns the environments it touched.
   */
  noteCommit(repo: RepoName, change: ChangeToTree, result: CommitResult): Set<string> {
    const current = this.currentHistories(change);
    this.apply(repo, change);
    this.extendHistories(repo, current, result, this.advanceHead(repo, result));
    if (repo === 'apps') this.options.onAppsHead(result.sha);
    return environmentNames([...change.remove, ...change.write.map((f) => f.path)]);
  }

  /** Forget an environment (deleted). */
  forget(environment: string): void {
    this.fileVersions.delete(environment);
    this.stepFilesVersions.delete(environment);
    this.history.delete(environment);
  }

  /**
   * Moves the known head to a commit this process made, when the tree in memory is that commit's:
   * the commit was made on the head the tree was read at (or another change of the same grouped
   * commit moved it there already). Otherwise someone else committed in between, and the next Git
   * poll reads the whole tree again rather than miss their change; false then.
   */
  private advanceHead(repo: RepoName, result: CommitResult): boolean {
    if (result.sha === this.heads[repo]) return true;
    if (result.base !== undefined && result.base !== this.heads[repo]) {
      this.reloadNeeded[repo] = true;
      return false;
    }
    this.heads[repo] = result.sha;
    return true;
  }

  private apply(repo: RepoName, change: ChangeToTree): void {
    this.notedDuringRead[repo]?.push(change);
    for (const name of environmentNames([...change.remove, ...change.write.map((f) => f.path)]))
      this.fileVersions.set(name, ++this.fileVersionCount);
    applyChange(this.trees[repo], this.claims, repo, change);
  }
}

interface History {
  version: number;
  limit: number;
  lists: Promise<Record<RepoName, CommitInfo[]>>;
}

/** A change to a repo as the engine keeps it: namespace claims apart, the rest in the tree. */
function applyChange(tree: RepoTree, claims: NamespaceClaims, repo: RepoName, change: ChangeToTree): void {
  for (const removed of change.remove) {
    if (repo === 'platform' && NamespaceClaims.isClaimPath(removed)) claims.remove(removed);
    else tree.remove(removed);
  }
  for (const file of change.write) {
    if (repo === 'platform' && NamespaceClaims.isClaimPath(file.path)) claims.set(file.path);
    else tree.set(file.path, file.content, file.document);
  }
}

/**
 * A commit that carries several environments' changes (see GitRepo.commit) holds each one's
 * message as a paragraph of its body: the paragraphs about `environment` (the engine's
 * `envcat: <env>: …`, or a request's `envcat: <verb> environment <env>…`), or the whole message.
 */
export function messageAbout(environment: string, message: string): string {
  const [subject, ...body] = message.split('\n\n');
  if (!/ \(and \d+ more\)$/.test(subject ?? '') || body.length === 0) return message;
  const request = new RegExp(`^envcat: [a-z][a-z0-9. ]* environment ${escapeRegExp(environment)}(?=[ :]|$)`);
  const own = body.filter(
    (paragraph) => paragraph.startsWith(`envcat: ${environment}: `) || request.test(paragraph),
  );
  return own.length > 0 ? own.map((paragraph) => paragraph.trimEnd()).join('\n\n') : message;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
