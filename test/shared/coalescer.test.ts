import { Coalescer } from '../../src/shared/index.js';

/** A task whose runs are recorded and finish only when released, one at a time. */
function gatedTask(log: string[], name: string) {
  const gates: Array<() => void> = [];
  const task = () =>
    new Promise<void>((resolve) => {
      log.push(`${name} start`);
      gates.push(() => {
        log.push(`${name} end`);
        resolve();
      });
    });
  const release = async () => {
    gates.shift()!();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return {
    task,
    release,
    get waiting() {
      return gates.length;
    },
  };
}

describe('Coalescer', () => {
  it('runs a task at once when nothing is under way for its key', async () => {
    const coalescer = new Coalescer();
    const log: string[] = [];
    const a = gatedTask(log, 'a');
    coalescer.run('k', a.task);
    expect(log).toEqual(['a start']);
    await a.release();
    await coalescer.idle();
    expect(log).toEqual(['a start', 'a end']);
  });

  it('runs once more after the one under way, however often it was asked meanwhile', async () => {
    const coalescer = new Coalescer();
    const log: string[] = [];
    const a = gatedTask(log, 'a');
    coalescer.run('k', a.task);
    for (let i = 0; i < 5; i++) coalescer.run('k', a.task);
    expect(log).toEqual(['a start']);
    await a.release();
    expect(log).toEqual(['a start', 'a end', 'a start']);
    await a.release();
    await coalescer.idle();
    expect(log).toEqual(['a start', 'a end', 'a start', 'a end']);
    expect(a.waiting).toBe(0);
  });

  it('keeps keys apart', async () => {
    const coalescer = new Coalescer();
    const log: string[] = [];
    const a = gatedTask(log, 'a');
    const b = gatedTask(log, 'b');
    coalescer.run('x', a.task);
    coalescer.run('y', b.task);
    expect(log).toEqual(['a start', 'b start']);
    await b.release();
    await a.release();
    await coalescer.idle();
    expect(log).toEqual(['a start', 'b start', 'b end', 'a end']);
  });

  it('idle waits for the repeat too; stop lets the one under way finish without the repeat', async () => {
    const coalescer = new Coalescer();
    const log: string[] = [];
    const a = gatedTask(log, 'a');
    coalescer.run('k', a.task);
    coalescer.run('k', a.task);
    let idle = false;
    void coalescer.idle().then(() => (idle = true));
    await a.release();
    expect(idle).toBe(false);
    await a.release();
    await coalescer.idle();
    expect(idle).toBe(true);

    coalescer.run('k', a.task);
    coalescer.run('k', a.task);
    const stopped = coalescer.stop();
    await a.release();
    await stopped;
    expect(log.slice(4)).toEqual(['a start', 'a end']);
    // Usable again afterwards.
    coalescer.run('k', a.task);
    expect(log.at(-1)).toBe('a start');
    await a.release();
    await coalescer.idle();
  });
});
