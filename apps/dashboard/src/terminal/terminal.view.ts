import { executionStream, isEvent, type EventEnvelope, type ExecutionSnapshot, type ViewerState } from '@taskdash/contract';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { bytes as formatBytes, h, replaceChildren } from '../dom.util';
import type { LiveSession } from '../live/live-session';
import { OutputFeed } from './output-feed';

/** Output fetched when the terminal opens, and per "load earlier output". */
const BACKFILL_BYTES = 16 * 1024;
/** Where `tail` starts, before the end of the output. */
const TAIL_BYTES = 8 * 1024;

/** Output this fresh (by its event time) means a catch-up has reached the live edge. */
const LIVE_WITHIN_MS = 1500;

const encoder = new TextEncoder();
const dim = (text: string): Uint8Array => encoder.encode(`\x1b[2m${text}\x1b[0m\r\n`);

function outputBytes(payload: { data: string; encoding?: 'base64' }): Uint8Array {
  if (payload.encoding !== 'base64') return encoder.encode(payload.data);
  return Uint8Array.from(atob(payload.data), (c) => c.charCodeAt(0));
}

/**
 * A live agent-output terminal: xterm.js renders the bytes (colours, cursor movement) exactly
 * as the process wrote them; pause, resume and tail steer this connection's delivery; "load
 * earlier output" fetches what came before the first byte shown.
 */
export class TerminalView {
  readonly element: HTMLElement;
  private readonly terminal: Terminal;
  private readonly feed: OutputFeed;
  private readonly stream: string;
  private readonly status = h('span', { class: 'terminal-status', 'data-testid': 'execution-status' });
  private readonly buttons = {
    pause: h('button', { onclick: () => void this.control('pause'), 'data-testid': 'pause' }, 'Pause'),
    resume: h('button', { onclick: () => void this.control('resume'), 'data-testid': 'resume' }, 'Resume'),
    tail: h('button', { onclick: () => void this.control('tail'), 'data-testid': 'tail' }, 'Tail'),
    earlier: h('button', { onclick: () => void this.loadEarlier(), 'data-testid': 'load-earlier' }, 'Load earlier output'),
    cancel: h('button', { class: 'danger', onclick: () => void this.live.api.cancelExecution(this.executionId) }, 'Cancel run'),
  };
  private readonly controls = h('div', { class: 'terminal-controls' }, ...Object.values(this.buttons));
  /** Back to the run's task, once the execution (and so its task) is known. */
  private readonly taskLink = h('a', { class: 'back-link', 'data-testid': 'execution-task-link', hidden: true }, '← task');
  private readonly screen = h('div', { class: 'terminal-screen', 'data-testid': 'terminal' });
  private readonly cleanups: Array<() => void> = [];
  private execution: ExecutionSnapshot | undefined;
  private viewer: ViewerState = 'live';
  private busy = false;

  constructor(private readonly live: LiveSession, private readonly executionId: string) {
    this.stream = executionStream(executionId);
    this.terminal = new Terminal({
      convertEol: true,
      disableStdin: true,
      scrollback: 50_000,
      cols: 120,
      rows: 26,
      fontSize: 13,
      theme: { background: '#0f1419', foreground: '#d8dee9' },
    });
    this.feed = new OutputFeed(
      // RIS through write(), not reset(): writes are parsed later, so a reset() would run
      // before bytes written earlier and those would land on the cleared screen.
      { write: (bytes) => this.terminal.write(bytes), clear: () => this.terminal.write('\x1bc') },
      async (from, to) => (await live.api.output(executionId, { from, to })).bytes,
      (error) => this.terminal.write(dim(`[could not fetch output: ${String(error)}]`)),
    );
    this.element = h('section', { class: 'panel terminal' }, this.taskLink,
      h('h2', {}, 'Agent output ', h('code', {}, executionId.slice(0, 8))), this.status, this.controls, this.screen);
  }

  /** Opens the terminal in the page, subscribes and backfills; `dispose` undoes it. */
  async mount(): Promise<void> {
    this.terminal.open(this.screen);
    exposeForTests(this.terminal);
    this.cleanups.push(this.live.client.onStream(this.stream, (event) => this.onEvent(event)));
    this.cleanups.push(this.live.client.on('reload', ({ stream }) => stream === this.stream && void this.catchUp()));
    this.cleanups.push(this.live.client.on('state', ({ state }) => state === 'resumed' && this.setViewer('live')));
    this.cleanups.push(this.live.client.on('output_skipped', ({ stream }) => stream === this.stream && void this.catchUp()));
    this.render();
    const [subscribed] = await this.live.client.subscribe(this.stream);
    if (subscribed && !subscribed.ok) return this.fail(subscribed.error.message);
    try {
      this.execution = await this.live.api.getExecution(this.executionId);
      const tail = await this.live.api.output(this.executionId, { tail: BACKFILL_BYTES });
      this.feed.begin(tail.from, tail.bytes);
    } catch (error) {
      return this.fail(String(error));
    }
    this.render();
  }

  dispose(): void {
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    void this.live.client.unsubscribe(this.stream).catch(() => undefined);
    this.terminal.dispose();
  }

  private onEvent(event: EventEnvelope): void {
    if (isEvent(event, 'execution.output')) {
      this.feed.push(event.payload.offset, outputBytes(event.payload));
      // The server says when a catch-up starts, not when it ends: fresh output means live again.
      if (this.viewer === 'catching_up' && Date.now() - Date.parse(event.occurredAt) < LIVE_WITHIN_MS) this.viewer = 'live';
    } else if (this.execution && isEvent(event, 'execution.started')) {
      this.execution = { ...this.execution, status: 'running', startedAt: event.occurredAt };
    } else if (this.execution && isEvent(event, 'execution.finished')) {
      const p = event.payload;
      this.execution = { ...this.execution, status: p.status, exitCode: p.exitCode ?? null, outputBytes: p.outputBytes, finishedAt: event.occurredAt };
      if (this.feed.isStarted && this.feed.log.end < p.outputBytes) void this.catchUp();
      if (this.viewer === 'catching_up') this.viewer = 'live';
    } else {
      return;
    }
    this.render();
  }

  /** Fetches whatever lies past the end of what is shown (after a reload notice or skipped output). */
  private async catchUp(): Promise<void> {
    if (!this.feed.isStarted) return;
    const rest = await this.live.api.output(this.executionId, { from: this.feed.log.end });
    this.feed.push(rest.from, rest.bytes);
  }

  private async control(action: 'pause' | 'resume' | 'tail'): Promise<void> {
    this.busy = true;
    this.render();
    try {
      const ack = await this.live.client.control(this.stream, action, action === 'tail' ? { bytes: TAIL_BYTES } : {});
      if (!ack.ok) throw new Error(ack.error.message);
      if (action === 'tail') this.feed.jumpTo(ack.offset, dim(`[… jumped to the last ${formatBytes(TAIL_BYTES)}: "Load earlier output" shows what came before …]`));
      this.setViewer(ack.state);
    } catch (error) {
      this.terminal.write(dim(`[${action} failed: ${String(error)}]`));
    } finally {
      this.busy = false;
      this.render();
    }
  }

  private async loadEarlier(): Promise<void> {
    this.busy = true;
    this.render();
    try {
      await this.feed.loadEarlier(BACKFILL_BYTES);
    } finally {
      this.busy = false;
      this.render();
    }
  }

  private setViewer(state: ViewerState): void {
    this.viewer = state;
    this.render();
  }

  private fail(message: string): void {
    replaceChildren(this.status, h('span', { class: 'error' }, message));
  }

  /** Updates the status line and the buttons in place (they are made once, so clicks never hit a replaced node). */
  private render(): void {
    const e = this.execution;
    const log = this.feed.log;
    if (e) {
      this.taskLink.href = `#/tasks/${e.taskId}`;
      this.taskLink.textContent = `← task: ${this.live.board.get(e.taskId)?.title ?? e.taskId.slice(0, 8)}`;
      this.taskLink.hidden = false;
    }
    const exit = e?.exitCode !== null && e?.exitCode !== undefined ? ` (exit ${e.exitCode})` : '';
    if (this.feed.isStarted) this.status.dataset.start = String(log.start);
    replaceChildren(this.status,
      h('span', { class: `badge status-${e?.status ?? 'queued'}`, 'data-testid': 'run-status', 'data-status': e?.status ?? '' }, `${e?.status ?? '…'}${exit}`),
      ` showing bytes ${log.start}–${log.end}`,
      h('span', { class: `badge viewer-${this.viewer}`, 'data-testid': 'viewer-state' }, this.viewer));
    const paused = this.viewer === 'paused';
    const ended = e !== undefined && e.status !== 'running' && e.status !== 'queued';
    const b = this.buttons;
    b.pause.disabled = this.busy || paused || ended;
    b.resume.disabled = this.busy || !paused;
    b.tail.disabled = this.busy;
    b.earlier.disabled = this.busy || !this.feed.isStarted || log.start === 0;
    b.cancel.hidden = e === undefined || ended;
  }
}

/** Browser tests read the terminal's text (all of its scrollback) through this hook. */
function exposeForTests(terminal: Terminal): void {
  (window as unknown as { taskdashTerminalText?: () => string }).taskdashTerminalText = () => {
    const buffer = terminal.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i)?.translateToString(true) ?? '');
    return lines.join('\n').replace(/\n+$/, '');
  };
}
