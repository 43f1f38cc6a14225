/**
 * A long-running child a test starts (envcat's server, a store-log writer, the function server)
 * must not outlive the jest worker that started it. A child of a process that dies runs on,
 * re-parented to init, and a worker dies without its test file's cleanup: jest ends it with
 * SIGTERM, then SIGKILL, when it is over workerIdleMemoryLimit after a file (the test of a file
 * that timed out may still be running) or does not exit at the end of a run, and the OOM killer
 * uses SIGKILL. A server left so (150-250 MB, with its simulated cluster and git processes) ran
 * until someone killed it.
 *
 * So such a child is started in a process group of its own (`detached: true`) with EXIT_WITH_PARENT
 * loaded first: within 200 ms of its parent's death, it kills its group, itself and what it started.
 * (Linux has PR_SET_PDEATHSIG for this; node has no way to ask for it.)
 */
const WATCH_PARENT = `const parent = process.ppid;
setInterval(() => {
  if (process.ppid === parent) return;
  try { process.kill(-process.pid, 'SIGKILL'); } catch { process.kill(process.pid, 'SIGKILL'); }
}, 200).unref();`;

/**
 * Node flags that load the watch before the program. In NODE_OPTIONS (as `--import=<url>`), every
 * node process below the child loads it too; only the group's leader can kill the group, the
 * others only themselves.
 */
export const EXIT_WITH_PARENT = ['--import', `data:text/javascript,${encodeURIComponent(WATCH_PARENT)}`];
