/** What the server decided about one user (a `users` row), as the session check needs it. */
export interface UserState {
  role: string | null;
  disabled: boolean;
  /** "Log out everywhere": tokens issued at or before this instant (ms) are refused. */
  sessionsValidAfter: number | null;
}

/** The state a check needs for one principal. */
export interface SessionFacts {
  user: UserState | undefined;
  revoked: boolean;
}

/** A full copy of the session tables, as one statement read them. */
export interface MirrorSnapshot {
  users: Array<[string, UserState]>;
  /** Revoked token ids with the end of their revocation (ms). */
  revoked: Array<[string, number]>;
}

/**
 * This node's copy of all session state (the `users` rows and the live `revoked_tokens`),
 * so that a handshake of a user the server has decided nothing about costs no database
 * round trip. It answers only what it knows exactly:
 * - before the first full load, or when the tables hold more than `maxRows`, it knows
 *   nothing and every check reads the database;
 * - a change announced for a user (the access change every node applies, sent after the
 *   change was committed) makes that user unknown until a read that began after the
 *   announcement brings the committed state back.
 * Changes made past the backend's API (SQL by hand) are seen at the next full load.
 * Versions order announcements against reads: a read started at version v may settle a
 * user only if no announcement came after v.
 */
export class SessionMirror {
  private users = new Map<string, UserState>();
  private revoked = new Map<string, number>();
  /** Users announced as changed, with the version of the latest announcement. */
  private readonly stale = new Map<string, number>();
  /** Revocations announced but perhaps not yet in a full read, with their version. */
  private readonly announced = new Map<string, number>();
  private version = 0;
  private complete = false;

  constructor(readonly maxRows: number) {}

  /** True while the mirror answers checks (loaded, and within `maxRows`). */
  get active(): boolean {
    return this.complete;
  }

  get size(): number {
    return this.users.size + this.revoked.size;
  }

  /** To be taken before a read whose result goes to `replace` or `learn`. */
  mark(): number {
    return this.version;
  }

  /** The facts for a principal, or undefined when only the database knows them. */
  lookup(userId: string, jti: string | undefined, now = Date.now()): SessionFacts | undefined {
    if (!this.complete || this.stale.has(userId)) return undefined;
    if (jti === undefined) return { user: this.users.get(userId), revoked: false };
    const until = this.revoked.get(jti);
    return {
      user: this.users.get(userId),
      revoked: this.announced.has(jti) || (until !== undefined && until > now),
    };
  }

  /** A change to `userId` (and the revocation of `jti`, if given) was committed. */
  changed(userId: string, jti?: string): void {
    this.stale.set(userId, ++this.version);
    // Known at once, without a read: a revocation is never undone.
    if (jti !== undefined) this.announced.set(jti, this.version);
  }

  /** A read of one user that began at `since` (from `mark`) found this state. */
  learn(userId: string, state: UserState | undefined, since: number): void {
    const announced = this.stale.get(userId);
    if (announced !== undefined && announced > since) return;
    this.stale.delete(userId);
    if (!this.complete) return;
    if (state) this.users.set(userId, state);
    else this.users.delete(userId);
  }

  /** A full read that began at `since`. Returns false (and stops answering) above `maxRows`. */
  replace(snapshot: MirrorSnapshot, since: number): boolean {
    // What was announced before the read began is in it; what came later stays.
    for (const [userId, version] of this.stale) if (version <= since) this.stale.delete(userId);
    for (const [jti, version] of this.announced) if (version <= since) this.announced.delete(jti);
    if (snapshot.users.length + snapshot.revoked.length > this.maxRows) {
      this.clear();
      return false;
    }
    this.users = new Map(snapshot.users);
    this.revoked = new Map(snapshot.revoked);
    this.complete = true;
    return true;
  }

  /** Forgets everything (every check reads the database). */
  clear(): void {
    this.complete = false;
    this.users = new Map();
    this.revoked = new Map();
  }

  /** Drops revocations that ended (their tokens are refused for expiry anyway). */
  prune(now = Date.now()): void {
    for (const [jti, until] of this.revoked) if (until <= now) this.revoked.delete(jti);
  }
}
