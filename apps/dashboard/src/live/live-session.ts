import { RealtimeClient } from '@taskdash/client';
import {
  parseStream,
  queueStream,
  SYSTEM_STREAM,
  taskStream,
  userStream,
  type EventEnvelope,
  type StreamPosition,
  type TaskView,
} from '@taskdash/contract';
import { ApiClient, ApiException } from '../api/api.client';
import { isOperator, sessionFromToken, type Session } from '../session/session';
import { ConnectionStore } from '../state/connection.store';
import { JobBoardStore } from '../state/job-board.store';
import { SystemStore } from '../state/system.store';
import { TaskBoardStore } from '../state/task-board.store';

/** The queue whose jobs and overview operators watch. */
export const EXECUTIONS_QUEUE = 'executions';
/** Mint a new development token this long before the current one expires. */
const RENEW_BEFORE_MS = 120_000;

/**
 * Everything live for one signed-in user: the realtime client, the HTTP API and the stores
 * the views read. Subscribes to the user's stream, every visible task's stream and, for
 * operators, the system and queue streams; routes each event to its store.
 */
export class LiveSession {
  readonly client: RealtimeClient;
  readonly api: ApiClient;
  readonly connection = new ConnectionStore();
  readonly board: TaskBoardStore;
  readonly jobs = new JobBoardStore();
  readonly system = new SystemStore();
  readonly operator: boolean;

  constructor(
    private session: Session,
    private readonly onSessionChange: (session: Session) => void,
  ) {
    this.operator = isOperator(session);
    this.board = new TaskBoardStore(session.userId, session.role === 'admin');
    this.api = new ApiClient(() => this.session.token);
    this.client = new RealtimeClient({ url: location.origin, token: () => this.currentToken() });
    this.client.on('state', (change) => this.connection.onState(change));
    this.client.on('event', (event) => this.route(event));
    this.client.on('reload', (notice) => {
      // An execution's terminal fills holes itself from the output's byte offsets.
      if (parseStream(notice.stream)?.kind !== 'execution') this.connection.onReload(notice);
    });
    this.client.on('access_revoked', ({ stream }) => {
      const parsed = parseStream(stream);
      if (parsed?.kind === 'task') this.board.remove(parsed.id);
    });
    this.client.on('error', (error) => console.warn('realtime:', error.code, error.message));
  }

  get userId(): string {
    return this.session.userId;
  }

  get token(): string {
    return this.session.token;
  }

  /** Connects, loads what the user may see and subscribes to its streams. */
  async start(): Promise<void> {
    this.client.connect();
    const streams = [userStream(this.session.userId)];
    if (this.operator) streams.push(SYSTEM_STREAM, queueStream(EXECUTIONS_QUEUE));
    await Promise.all([this.client.subscribe(streams), this.reload()]);
  }

  /** Loads the state over HTTP again (after a reload notice) and subscribes to new tasks. */
  async reload(): Promise<void> {
    const tasks = await this.api.listTasks();
    this.board.load(tasks);
    await this.follow(tasks);
    if (this.operator) this.system.loadAlerts(await this.api.listAlerts());
    this.connection.reloaded();
  }

  stop(): void {
    this.client.close();
  }

  /**
   * Subscribes to the tasks' streams from the positions their snapshots were read at, so
   * a change made between the HTTP read and the subscribe is replayed, not lost.
   */
  private async follow(tasks: readonly TaskView[]): Promise<void> {
    const from: Record<string, StreamPosition | undefined> = {};
    for (const task of tasks) from[taskStream(task.id)] = task.position;
    const wanted = Object.keys(from).filter((stream) => !this.client.streams.includes(stream));
    if (wanted.length > 0) await this.client.subscribe(wanted, { from });
  }

  private route(event: EventEnvelope): void {
    const kind = parseStream(event.stream)?.kind;
    if (kind === 'system') return this.system.apply(event);
    if (kind === 'queue' || (kind === 'task' && (event.type.startsWith('job.') || event.type === 'queue.action'))) this.jobs.apply(event);
    if (kind !== 'task' && kind !== 'user') return;
    const followUp = this.board.apply(event);
    // Learnt from the user's stream: read the task for its stream position, then follow it.
    if (event.type === 'task.created' && kind === 'user')
      void this.fetchTask((event.payload as { task: { id: string } }).task.id);
    if (followUp?.kind === 'fetch') void this.fetchTask(followUp.taskId);
    if (followUp?.kind === 'forget')
      void this.client.unsubscribe(taskStream(followUp.taskId)).catch(() => undefined);
  }

  private async fetchTask(taskId: string): Promise<void> {
    try {
      const task = await this.api.getTask(taskId);
      this.board.put(task);
      await this.follow([task]);
    } catch (error) {
      if (!(error instanceof ApiException && error.status === 404)) throw error;
    }
  }

  private async currentToken(): Promise<string> {
    if (this.session.minted && this.session.expiresAt - Date.now() < RENEW_BEFORE_MS) {
      this.session = sessionFromToken(
        await ApiClient.mintDevToken(this.session.userId, this.session.role),
        true,
      );
      this.onSessionChange(this.session);
    }
    return this.session.token;
  }
}
