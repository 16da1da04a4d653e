import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Logger } from 'pino';

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** Turns pino's JSON lines into `12:00:00.000 INFO  [Context] message {extra}` for people. */
function prettyStream(out: NodeJS.WritableStream): DestinationStream {
  return {
    write(line: string) {
      const { time, level, msg, context, pid: _pid, hostname: _h, ...rest } = JSON.parse(line) as Record<string, unknown>;
      const when = new Date(time as number).toISOString().slice(11, 23);
      const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
      const ctx = typeof context === 'string' ? ` [${context}]` : '';
      out.write(`${when} ${(LEVEL_NAMES[level as number] ?? '?').padEnd(5)}${ctx} ${String(msg)}${extra}\n`);
    },
  };
}

export interface AppLoggerOptions {
  level: string;
  format: 'json' | 'pretty';
  /** Where lines go. @default process.stdout */
  destination?: NodeJS.WritableStream;
}

/**
 * Structured logging for the whole backend (Nest's own messages included). One JSON line
 * per entry in production. Anything that looks like a credential is redacted by path, and
 * the code never passes tokens to the logger in the first place.
 */
export class AppLogger implements LoggerService {
  readonly pino: Logger;

  constructor(options: AppLoggerOptions) {
    const destination = options.destination ?? process.stdout;
    this.pino = pino(
      {
        level: options.level,
        base: { pid: process.pid },
        redact: {
          paths: ['token', '*.token', '*.*.token', 'authorization', '*.authorization', 'headers.authorization', 'auth'],
          censor: '[redacted]',
        },
      },
      options.format === 'pretty' ? prettyStream(destination) : (destination as DestinationStream),
    );
  }

  child(context: string): Logger {
    return this.pino.child({ context });
  }

  log(message: unknown, context?: string): void {
    this.write('info', message, context);
  }
  error(message: unknown, traceOrContext?: string, context?: string): void {
    const ctx = context ?? traceOrContext;
    const stack = context ? traceOrContext : undefined;
    if (message instanceof Error) this.pino.error({ context: ctx, err: message }, message.message);
    // A structured entry (`{ msg, ...fields }`), as warn and log take it; not "[object Object]".
    else if (typeof message === 'object' && message !== null) this.pino.error({ context: ctx, ...(stack ? { stack } : {}), ...message });
    else this.pino.error({ context: ctx, ...(stack ? { stack } : {}) }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.write('warn', message, context);
  }
  debug(message: unknown, context?: string): void {
    this.write('debug', message, context);
  }
  verbose(message: unknown, context?: string): void {
    this.write('trace', message, context);
  }
  fatal(message: unknown, context?: string): void {
    this.write('fatal', message, context);
  }

  private write(level: 'info' | 'warn' | 'debug' | 'trace' | 'fatal', message: unknown, context?: string): void {
    if (typeof message === 'object' && message !== null) this.pino[level]({ context, ...message });
    else this.pino[level]({ context }, String(message));
  }
}
