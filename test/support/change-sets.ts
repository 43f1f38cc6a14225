/**
 * The change sets a commit carries, read back from its whole message. Change sets that arrive while
 * a commit is in flight go into the next commit together (src/gitops/group-commit.ts): its subject
 * is the first one's with ` (and N more)`, and its body holds every one's message (src/gitops/plan.ts
 * batchMessage). A check that reads subjects sees only the first of them.
 */

/** The message of each change set in a commit's `message`, in the order they were asked for. */
export function changeSetMessages(message: string): string[] {
  const whole = message.trim();
  const [subject = '', ...body] = whole.split('\n\n');
  const more = / \(and (\d+) more\)$/.exec(subject);
  if (!more) return [whole];
  // envcat's messages are one line each, so the body has one paragraph per change set; anything
  // else is a message this reading would cut wrongly, and the check using it must not go on.
  const count = Number(more[1]) + 1;
  if (body.length !== count)
    throw new Error(
      `a commit of ${count} change sets with ${body.length} paragraphs in its body:\n${message}`,
    );
  return body.map((paragraph) => paragraph.trim());
}

/** Whether a change set is about `environment`: the engine's `envcat: <env>: …`, or a request's `envcat: <verb> environment <env>…`. */
export function isAbout(environment: string, changeSet: string): boolean {
  if (changeSet.startsWith(`envcat: ${environment}: `)) return true;
  const request = /^envcat: [a-z][a-z0-9. ]*? environment (\S+?)(?=[ :]|$)/.exec(changeSet);
  return request?.[1] === environment;
}

/** Change sets that occur more than once among those that mention `name`, in whichever commits they are. */
export function duplicates(log: ReadonlyArray<{ changeSets: readonly string[] }>, name: string): string[] {
  const seen = new Set<string>();
  const twice: string[] = [];
  for (const changeSet of log.flatMap((commit) => commit.changeSets)) {
    if (!changeSet.includes(name)) continue;
    if (seen.has(changeSet)) twice.push(changeSet);
    seen.add(changeSet);
  }
  return twice;
}
