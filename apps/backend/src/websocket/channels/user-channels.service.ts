import { Injectable } from '@nestjs/common';
import { ErrorCode, parseStream } from '@taskdash/contract';
import { isOperator, type Principal } from '../../auth/principal.types';
import { SessionStateService } from '../../auth/session-state.service';
import type { Role } from '../../auth/principal.types';
import { TaskAccessService } from '../../auth/task-access.service';

export type AccessDecision =
  | { allowed: true }
  | { allowed: false; code: typeof ErrorCode.InvalidStream | typeof ErrorCode.Forbidden };

const ALLOWED: AccessDecision = { allowed: true };
const FORBIDDEN: AccessDecision = { allowed: false, code: ErrorCode.Forbidden };

/**
 * Who sees which stream, decided from the current database state every time it is asked
 * (on subscribe and before every replayed page), never from what was true at publish time:
 * - `task:<id>`: the task's owner, its members, admins;
 * - `execution:<id>`: whoever sees the execution's task;
 * - `user:<id>`: only that user;
 * - `queue:<name>`, `system`: admins and operators.
 */
@Injectable()
export class UserChannelsService {
  constructor(
    private readonly tasks: TaskAccessService,
    private readonly sessions: SessionStateService,
  ) {}

  /** The role the server holds for the principal now (a role change overrides the token). */
  async currentRole(principal: Principal): Promise<Role> {
    try {
      return (await this.sessions.resolve(principal)).role;
    } catch {
      return 'user'; // disabled or revoked: the disconnect that follows removes the socket anyway
    }
  }

  async authorize(principal: Principal, stream: string): Promise<AccessDecision> {
    const parsed = parseStream(stream);
    if (!parsed) return { allowed: false, code: ErrorCode.InvalidStream };
    switch (parsed.kind) {
      case 'user':
        return parsed.id === principal.userId ? ALLOWED : FORBIDDEN;
      case 'system':
      case 'queue':
        return isOperator(principal) ? ALLOWED : FORBIDDEN;
      case 'task':
        return (await this.tasks.canSee(principal, parsed.id)) ? ALLOWED : FORBIDDEN;
      case 'execution':
        return (await this.tasks.canSeeExecution(principal, parsed.id)) ? ALLOWED : FORBIDDEN;
    }
  }
}
