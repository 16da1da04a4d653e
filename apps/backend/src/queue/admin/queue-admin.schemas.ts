import { JOB_LIST_STATES, type JobListState } from '@taskdash/contract';
import { z } from 'zod';

/** The job states an operator lists, as BullMQ names them (shared with the dashboard). */
export const LISTED_STATES = JOB_LIST_STATES;
export type ListedState = JobListState;

/** Page size is bounded so that a queue of any length is listed in constant work per page. */
export const MAX_PAGE_SIZE = 100;

export const QueueNameSchema = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be a queue name');
/** BullMQ ids are strings; ours are uuids or counters, but custom ids may hold other characters. */
export const JobIdSchema = z.string().min(1).max(256).regex(/^[A-Za-z0-9._:@|+-]+$/, 'must be a job id');

export const ListJobsSchema = z.strictObject({
  state: z.enum(LISTED_STATES),
  offset: z.coerce.number().int().min(0).max(100_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(20),
});
export type ListJobsQuery = z.infer<typeof ListJobsSchema>;
