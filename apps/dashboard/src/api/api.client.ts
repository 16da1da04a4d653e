import type { ExecutionSnapshot, JobDetail, JobListState, JobPage, QueueSummary, TaskSnapshot, TaskStatus, TaskView } from '@taskdash/contract';
import type { Role } from '../session/session';
import type { AlertRecord, JobAction, OutputRange } from './api.types';

/** An HTTP error as the API sends it: `{ code, message }` and a status. */
export class ApiException extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The backend's HTTP API, same origin, with the session's bearer token. */
export class ApiClient {
  constructor(private readonly token: () => string) {}

  listTasks(): Promise<TaskView[]> {
    return this.json('GET', '/tasks?limit=500');
  }

  getTask(id: string): Promise<TaskView> {
    return this.json('GET', `/tasks/${id}`);
  }

  createTask(body: { title: string; description?: string; members?: string[] }): Promise<TaskSnapshot> {
    return this.json('POST', '/tasks', body);
  }

  changeStatus(id: string, status: TaskStatus): Promise<TaskSnapshot> {
    return this.json('PUT', `/tasks/${id}/status`, { status });
  }

  addMember(id: string, userId: string): Promise<TaskSnapshot> {
    return this.json('POST', `/tasks/${id}/members`, { userId });
  }

  removeMember(id: string, userId: string): Promise<TaskSnapshot> {
    return this.json('DELETE', `/tasks/${id}/members/${encodeURIComponent(userId)}`);
  }

  startExecution(taskId: string, profile: string, prompt: string): Promise<ExecutionSnapshot> {
    return this.json('POST', `/tasks/${taskId}/executions`, { profile, prompt });
  }

  async listExecutions(taskId: string): Promise<ExecutionSnapshot[]> {
    return (await this.json<{ executions: ExecutionSnapshot[] }>('GET', `/tasks/${taskId}/executions`)).executions;
  }

  getExecution(id: string): Promise<ExecutionSnapshot> {
    return this.json('GET', `/executions/${id}`);
  }

  cancelExecution(id: string): Promise<ExecutionSnapshot> {
    return this.json('POST', `/executions/${id}/cancel`);
  }

  /** Bytes `[from, to)` of the log (to its end without `to`), or its last `tail` bytes. */
  async output(id: string, range: { from: number; to?: number } | { tail: number }): Promise<OutputRange> {
    const query =
      'tail' in range
        ? `tail=${range.tail}`
        : `from=${range.from}${range.to === undefined ? '' : `&to=${range.to}`}`;
    const response = await this.fetch('GET', `/executions/${id}/output?${query}`);
    const header = /^(\d+)-(\d+)\/(\d+)$/.exec(response.headers.get('x-output-range') ?? '');
    if (!header) throw new ApiException(502, 'internal_error', 'the output answer has no X-Output-Range');
    const bytes = new Uint8Array(await response.arrayBuffer());
    const [from, to, total] = [Number(header[1]), Number(header[2]), Number(header[3])];
    return {
      from,
      to: Math.min(to, from + bytes.length),
      total,
      bytes,
      status: response.headers.get('x-execution-status') ?? '',
    };
  }

  async listAlerts(): Promise<AlertRecord[]> {
    return (await this.json<{ alerts: AlertRecord[] }>('GET', '/alerts?acknowledged=true')).alerts;
  }

  acknowledgeAlert(fingerprint: string): Promise<{ alert: AlertRecord; changed: boolean }> {
    return this.json('POST', `/alerts/${fingerprint}/ack`);
  }

  getQueue(queue: string): Promise<QueueSummary> {
    return this.json('GET', `/queues/${encodeURIComponent(queue)}`);
  }

  /** One page of a state's jobs, paged on the server. */
  listJobs(queue: string, state: JobListState, offset: number, limit: number): Promise<JobPage> {
    return this.json('GET', `/queues/${encodeURIComponent(queue)}/jobs?state=${state}&offset=${offset}&limit=${limit}`);
  }

  getJob(queue: string, jobId: string): Promise<JobDetail> {
    return this.json('GET', `/queues/${encodeURIComponent(queue)}/jobs/${encodeURIComponent(jobId)}`);
  }

  jobAction(queue: string, jobId: string, action: JobAction): Promise<void> {
    return this.json('POST', `/queues/${encodeURIComponent(queue)}/jobs/${encodeURIComponent(jobId)}/${action}`);
  }

  setPaused(queue: string, paused: boolean): Promise<QueueSummary> {
    return this.json('POST', `/queues/${encodeURIComponent(queue)}/${paused ? 'pause' : 'resume'}`);
  }

  /** Whether the backend offers development tokens (never in production). */
  static async devTokensAvailable(): Promise<boolean> {
    try {
      return (await fetch('/dev', { headers: { accept: 'application/json' } })).ok;
    } catch {
      return false;
    }
  }

  static async mintDevToken(sub: string, role: Role): Promise<string> {
    const response = await fetch('/dev/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sub, role }),
    });
    if (!response.ok) throw await ApiClient.failure(response);
    return ((await response.json()) as { token: string }).token;
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.fetch(method, path, body);
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  private async fetch(method: string, path: string, body?: unknown): Promise<Response> {
    const response = await fetch(path, {
      method,
      headers: {
        authorization: `Bearer ${this.token()}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw await ApiClient.failure(response);
    return response;
  }

  private static async failure(response: Response): Promise<ApiException> {
    try {
      const { code, message } = (await response.json()) as { code: string; message: string };
      return new ApiException(response.status, code, message);
    } catch {
      return new ApiException(response.status, 'internal_error', response.statusText);
    }
  }
}
