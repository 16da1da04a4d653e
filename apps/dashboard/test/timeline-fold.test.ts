import type { EventEnvelope } from '@taskdash/contract';
import { foldTimeline, type JobRow } from '../src/views/timeline-fold';

let seq = 0;
const event = (type: string, payload: Record<string, unknown>): EventEnvelope =>
  ({ id: `e${++seq}`, stream: 'task:t', seq, epoch: 'x', type, occurredAt: new Date(seq * 1000).toISOString(), payload }) as unknown as EventEnvelope;
const job = (type: string, jobId: string, extra: Record<string, unknown> = {}) => event(type, { queue: 'executions', jobId, name: 'simulated', ...extra });

describe('foldTimeline', () => {
  it("folds a job's states and progress reports into one row that shows where the job is now", () => {
    const rows = foldTimeline([
      event('task.status_changed', { taskId: 't', from: 'todo', to: 'in_progress' }),
      job('job.waiting', 'j1'),
      job('job.active', 'j1'),
      ...[10, 50, 90].map((progress) => job('job.progress', 'j1', { progress })),
      event('task.member_added', { taskId: 't', userId: 'bob', title: 'T' }),
      job('job.completed', 'j1'),
    ]);
    expect(rows.map((row) => row.kind)).toEqual(['event', 'job', 'event']);
    const folded = rows[1] as JobRow;
    expect({ state: folded.state, progress: folded.progress, updates: folded.updates, firstSeq: folded.first.seq, lastType: folded.last.type })
      .toEqual({ state: 'completed', progress: 90, updates: 6, firstSeq: 2, lastType: 'job.completed' });
  });

  it('marks status changes, membership and agent runs as major, and plain updates not', () => {
    const rows = foldTimeline([
      event('task.updated', { taskId: 't', changes: { title: 'x' } }),
      event('task.member_removed', { taskId: 't', userId: 'bob' }),
      job('job.waiting', 'plain'),
      job('job.waiting', 'run', { executionId: '00000000-0000-0000-0000-000000000001' }),
    ]);
    expect(rows.map((row) => row.major)).toEqual([false, true, false, true]);
  });

  it("keeps an operator's action in the job's row, and a retried job's new state", () => {
    const rows = foldTimeline([
      job('job.failed', 'j2', { reason: 'boom' }),
      event('queue.action', { queue: 'executions', action: 'retry', by: 'olga', jobId: 'j2' }),
      job('job.retrying', 'j2'),
      job('job.progress', 'j2', { progress: 5 }),
    ]);
    expect(rows).toHaveLength(1);
    const row = rows[0] as JobRow;
    expect({ state: row.state, by: row.actions.map((a) => `${a.by} ${a.action}`) }).toEqual({ state: 'active', by: ['olga retry'] });
  });

  it('never reopens a finished job for a late progress report', () => {
    const [row] = foldTimeline([job('job.completed', 'j3'), job('job.progress', 'j3', { progress: 100 })]) as JobRow[];
    expect(row!.state).toBe('completed');
  });
});
