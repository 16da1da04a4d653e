import { Injectable } from '@nestjs/common';
import type { z } from 'zod';
import type { AppSocket } from '../socket.types';

/** Handles one validated client message and returns its acknowledgement. */
export type MessageHandler<T> = (socket: AppSocket, request: T) => Promise<unknown>;

interface Entry {
  schema: z.ZodType;
  handle: MessageHandler<unknown>;
}

/**
 * The client messages the gateway accepts, each with the contract schema its payload must
 * match. Feature services register their messages here at start-up, so the gateway stays a
 * thin dispatcher and a new message never needs gateway code.
 */
@Injectable()
export class MessageHandlersRegistry {
  private readonly entries = new Map<string, Entry>();

  register<S extends z.ZodType>(event: string, schema: S, handle: MessageHandler<z.infer<S>>): void {
    if (this.entries.has(event)) throw new Error(`message ${event} registered twice`);
    this.entries.set(event, { schema, handle: handle as MessageHandler<unknown> });
  }

  get(event: string): Entry | undefined {
    return this.entries.get(event);
  }

  get events(): string[] {
    return [...this.entries.keys()];
  }
}
