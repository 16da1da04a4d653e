/**
 * Settings for tests that drive the queue and its backlog alert: health sampled every 200 ms,
 * progress coalesced over 50 ms, and QueueBacklogHigh with a threshold a test reaches (more
 * than 2 jobs waiting; a waiting delayed job does not count), announced at once.
 */
export const BACKLOG_ALERT_ENV: Record<string, string> = {
  HEALTH_SAMPLE_INTERVAL_MS: '200',
  QUEUE_PROGRESS_COALESCE_MS: '50',
  ALERT_GROUP_WINDOW_MS: '0',
  ALERT_RULES: JSON.stringify([
    {
      name: 'QueueBacklogHigh',
      metric: 'queueWaiting',
      op: 'above',
      threshold: 2,
      forMs: 0,
      severity: 'warning',
    },
  ]),
};
