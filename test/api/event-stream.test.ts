/**
 * The environment's event stream (GET /environments/:name/events) sends statuses in the order the
 * engine observed them: one read of the status at a time, and one more after it for the changes
 * made meanwhile (two reads at once could answer out of order and send an older status last, as
 * the portal's Retry race showed).
 */
import 'reflect-metadata';
import type { MessageEvent } from '@nestjs/common';
import { EnvironmentController, type AuthenticatedRequest } from '../../src/api/controllers.js';
import type { EnvironmentRecord, EnvironmentService } from '../../src/engine/service.js';

type Listener = Parameters<EnvironmentService['watch']>[1];

function fakeService() {
  const reads: Array<{ resolve: (record: EnvironmentRecord) => void }> = [];
  let listener: Listener | undefined;
  let stopped = false;
  const record = (phase: string) => ({ name: 'dev', status: { phase } }) as unknown as EnvironmentRecord;
  const service = {
    get: () => new Promise<EnvironmentRecord>((resolve) => reads.push({ resolve })),
    watch: (_name: string, next: Listener) => {
      listener = next;
      return () => (stopped = true);
    },
  } as unknown as EnvironmentService;
  return {
    service,
    reads,
    record,
    change: (phase: string) => listener!({ type: 'status', status: { phase } as never }),
    deleted: () => listener!({ type: 'deleted' }),
    stopped: () => stopped,
  };
}

const request = { principal: { name: 'admin', role: 'platform' } } as unknown as AuthenticatedRequest;
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('the environment event stream', () => {
  it('reads one status at a time and sends them in order, one more read for the changes made meanwhile', async () => {
    const fake = fakeService();
    const controller = new EnvironmentController(fake.service, {
      simulated: true,
      clusterDescription: 'test',
      version: '0',
    });
    const opening = controller.events('dev', request);
    fake.reads.shift()!.resolve(fake.record('Creating'));
    const events: MessageEvent[] = [];
    const subscription = (await opening).subscribe((event) => events.push(event));

    // three changes while the first read is under way: one read now, one after it
    fake.change('Provisioning Infrastructure');
    fake.change('Infrastructure Ready');
    fake.change('Ready');
    expect(fake.reads).toHaveLength(1);
    const first = fake.reads.shift()!;
    first.resolve(fake.record('Infrastructure Ready'));
    await settle();
    expect(fake.reads).toHaveLength(1);
    fake.reads.shift()!.resolve(fake.record('Ready'));
    await settle();
    expect(fake.reads).toHaveLength(0);

    expect(events.map((event) => [event.type, (event.data as { phase: string }).phase])).toEqual([
      ['status', 'Creating'],
      ['status', 'Infrastructure Ready'],
      ['status', 'Ready'],
    ]);
    expect((events[0]!.data as { cluster: string }).cluster).toBe('simulated');

    // deleted ends the stream; unsubscribing stops the watch
    fake.deleted();
    expect(events.at(-1)).toEqual({ type: 'deleted', data: { name: 'dev' } });
    subscription.unsubscribe();
    expect(fake.stopped()).toBe(true);
  });
});
