import { coalesce } from './job-fact.util';
import { JobStateTracker } from './job-state.tracker';
import { parseStreamEntry, type JobStreamEntry } from './job-stream-entry.util';

const TASK = '3f1c8a52-8a8e-4d3f-9a57-1c2b3d4e5f60';
let clock = 1_000;

/** Entries as BullMQ writes them: `[id, [field, value, ...]]`, ids increasing. */
function entries(...events: Array<[string, string, ...string[]]>): JobStreamEntry[] {
  return events
    .map(([event, jobId, ...rest]) => parseStreamEntry([`${clock++}-0`, ['event', event, 'jobId', jobId, ...rest]]))
    .filter((e): e is JobStreamEntry => e !== undefined);
}
const progress = (jobId: string, value: unknown): [string, string, ...string[]] => ['progress', jobId, 'data', JSON.stringify(value)];
const summary = (facts: ReturnType<typeof coalesce>) =>
  facts.map((f) => (f.type === 'job.progress' ? `${f.payload.jobId}:progress=${JSON.stringify(f.payload.progress)}` : `${f.payload.jobId}:${f.type}`));

describe('coalesce', () => {
  it('keeps only the latest progress of a job within a batch', () => {
    const facts = coalesce('q', entries(['active', '1'], progress('1', 10), progress('1', 20), progress('1', 30)), new JobStateTracker());
    expect(summary(facts)).toEqual(['1:job.active', '1:progress=30']);
  });

  it("flushes a job's pending progress right before its state change, and keeps jobs apart", () => {
    const facts = coalesce(
      'q',
      entries(['active', '1'], ['active', '2'], progress('1', 50), progress('2', 5), progress('1', 100), ['completed', '1'], progress('2', 7)),
      new JobStateTracker(),
    );
    expect(summary(facts)).toEqual(['1:job.active', '2:job.active', '1:progress=100', '1:job.completed', '2:progress=7']);
  });

  it('never publishes progress after the end, nor a state going backwards', () => {
    const tracker = new JobStateTracker();
    const first = coalesce('q', entries(['waiting', '1'], ['active', '1'], ['completed', '1']), tracker);
    const late = coalesce('q', entries(progress('1', 99), ['active', '1'], ['waiting', '1'], ['failed', '1', 'failedReason', 'x']), tracker);
    expect(summary(first)).toEqual(['1:job.waiting', '1:job.active', '1:job.completed']);
    expect(late).toEqual([]);
  });

  it('starts a job over on a retry or a stall', () => {
    const facts = coalesce(
      'q',
      entries(
        ['active', '1'],
        progress('1', 80),
        ['delayed', '1', 'delay', '1738318500000'],
        ['waiting', '1', 'prev', 'delayed'],
        ['active', '1'],
        progress('1', 10),
        ['stalled', '1'],
        ['active', '1'],
        ['failed', '1', 'failedReason', 'boom'],
      ),
      new JobStateTracker(),
    );
    expect(summary(facts)).toEqual([
      '1:job.active',
      '1:progress=80',
      '1:job.retrying',
      '1:job.active',
      '1:progress=10',
      '1:job.stalled',
      '1:job.active',
      '1:job.failed',
    ]);
    expect(facts[2]).toMatchObject({ payload: { delayedUntil: '2025-01-31T10:15:00.000Z' } });
    expect(facts.at(-1)).toMatchObject({ payload: { reason: 'boom' } });
  });

  it('takes no progress for a job an earlier bridge already finished', () => {
    const tracker = new JobStateTracker();
    tracker.learn('1', { taskId: TASK }, true);
    expect(coalesce('q', entries(progress('1', 5), ['completed', '1']), tracker)).toEqual([]);
  });

  it("carries the job's task, name and the active-to-completed duration", () => {
    const tracker = new JobStateTracker();
    tracker.learn('1', { name: 'simulated', taskId: TASK }, false);
    const facts = coalesce('q', [...entries(['active', '1']), ...entries(), ...entries(['completed', '1'])], tracker);
    expect(facts.map((f) => f.payload)).toEqual([
      { queue: 'q', jobId: '1', name: 'simulated', taskId: TASK },
      { queue: 'q', jobId: '1', name: 'simulated', taskId: TASK, durationMs: 1 },
    ]);
  });

  it('skips a progress value the contract refuses instead of failing the batch', () => {
    const facts = coalesce('q', entries(['active', '1'], progress('1', { blob: 'x'.repeat(5000) })), new JobStateTracker());
    expect(summary(facts)).toEqual(['1:job.active']);
  });

  it('derives the same facts from the same entries (what a resumed batch relies on)', () => {
    const batch = entries(['waiting', '1'], ['active', '1'], progress('1', 1), progress('1', 2), ['completed', '1'], ['added', '2']);
    expect(coalesce('q', batch, new JobStateTracker())).toEqual(coalesce('q', batch, new JobStateTracker()));
  });

  it('ignores entries about no single job state', () => {
    expect(entries(['added', '1', 'name', 'x'], ['drained', ''], ['retries-exhausted', '1'])).toEqual([]);
  });
});
