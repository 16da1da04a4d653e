import { Injectable } from '@nestjs/common';
import { executionStream, type EventEnvelope, type EventPayloads, type EventType } from '@taskdash/contract';
import type { ClaudeFact } from './claude/claude-line.mapper';
import type { OutputChunk } from './output/output-chunker';
import { encodeOutput } from './output/output-encoding.util';
import { EventPublisher, type PublishOptions } from '../events/event-publisher.service';

type Payload<T extends EventType> = EventPayloads[T];

/**
 * Events of agent executions, one method per fact, all on `execution:<id>` through the one
 * publish path. Each resolves once the event is stored. Callers publish one execution's
 * events in order (the publisher keeps call order per stream).
 *
 * @example
 * await claudeEvents.output(executionId, { fd: 1, offset: 0, bytes: Buffer.from('hi\n') });
 */
@Injectable()
export class ClaudeEventsService {
  constructor(private readonly publisher: EventPublisher) {}

  started(payload: Payload<'execution.started'>, options?: PublishOptions): Promise<EventEnvelope> {
    return this.emit(payload.executionId, 'execution.started', payload, options);
  }

  /** Bytes of the log; text when they are valid UTF-8, else base64. */
  output(executionId: string, chunk: OutputChunk): Promise<EventEnvelope> {
    const payload = {
      offset: chunk.offset,
      length: chunk.bytes.length,
      fd: chunk.fd === 1 ? 'stdout' : 'stderr',
      ...encodeOutput(chunk.bytes),
    } as const;
    return this.emit(executionId, 'execution.output', payload);
  }

  /** Pass the transaction that ended the execution's row (`{ tx }`): the end and its event commit together. */
  finished(payload: Payload<'execution.finished'>, options?: PublishOptions): Promise<EventEnvelope> {
    return this.emit(payload.executionId, 'execution.finished', payload, options);
  }

  sessionStarted(executionId: string, payload: Payload<'claude.session_started'>): Promise<EventEnvelope> {
    return this.emit(executionId, 'claude.session_started', payload);
  }

  assistantText(executionId: string, payload: Payload<'claude.assistant_text'>): Promise<EventEnvelope> {
    return this.emit(executionId, 'claude.assistant_text', payload);
  }

  thinking(executionId: string, payload: Payload<'claude.thinking'>): Promise<EventEnvelope> {
    return this.emit(executionId, 'claude.thinking', payload);
  }

  toolUse(executionId: string, payload: Payload<'claude.tool_use'>): Promise<EventEnvelope> {
    return this.emit(executionId, 'claude.tool_use', payload);
  }

  toolResult(executionId: string, payload: Payload<'claude.tool_result'>): Promise<EventEnvelope> {
    return this.emit(executionId, 'claude.tool_result', payload);
  }

  delta(executionId: string, payload: Payload<'claude.delta'>): Promise<EventEnvelope> {
    return this.emit(executionId, 'claude.delta', payload);
  }

  result(executionId: string, payload: Payload<'claude.result'>): Promise<EventEnvelope> {
    return this.emit(executionId, 'claude.result', payload);
  }

  apiRetry(executionId: string, payload: Payload<'claude.api_retry'>): Promise<EventEnvelope> {
    return this.emit(executionId, 'claude.api_retry', payload);
  }

  rateLimit(executionId: string, payload: Payload<'claude.rate_limit'>): Promise<EventEnvelope> {
    return this.emit(executionId, 'claude.rate_limit', payload);
  }

  parseError(executionId: string, payload: Payload<'claude.parse_error'>): Promise<EventEnvelope> {
    return this.emit(executionId, 'claude.parse_error', payload);
  }

  /** Publishes a fact read from a stream-json line with the method for its kind. */
  fact(executionId: string, fact: ClaudeFact): Promise<EventEnvelope> {
    switch (fact.type) {
      case 'claude.session_started':
        return this.sessionStarted(executionId, fact.payload);
      case 'claude.assistant_text':
        return this.assistantText(executionId, fact.payload);
      case 'claude.thinking':
        return this.thinking(executionId, fact.payload);
      case 'claude.tool_use':
        return this.toolUse(executionId, fact.payload);
      case 'claude.tool_result':
        return this.toolResult(executionId, fact.payload);
      case 'claude.delta':
        return this.delta(executionId, fact.payload);
      case 'claude.result':
        return this.result(executionId, fact.payload);
      case 'claude.api_retry':
        return this.apiRetry(executionId, fact.payload);
      case 'claude.rate_limit':
        return this.rateLimit(executionId, fact.payload);
      case 'claude.parse_error':
        return this.parseError(executionId, fact.payload);
    }
  }

  private emit<T extends EventType>(
    executionId: string,
    type: T,
    payload: Payload<T>,
    options?: PublishOptions,
  ): Promise<EventEnvelope> {
    return this.publisher.publish({ stream: executionStream(executionId), type, payload }, options);
  }
}
