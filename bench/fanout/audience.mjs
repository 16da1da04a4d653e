// Who subscribes to what in the fan-out benchmarks: `clients` users, `streams` task streams,
// each user on `perClient` of them, so that every stream has the same number of
// subscribers (user i sees the streams of group i % groups; stream t has the users of
// group t % groups).
import { api, signToken } from '../lib/server.mjs';

/** The fan-out benchmarks' audience: every client on 10 of 100 task streams. */
export const FANOUT_SHAPE = Object.freeze({ streams: 100, perClient: 10 });

export function createAudience({ clients, streams, perClient }) {
  const groups = streams / perClient;
  const users = Array.from({ length: clients }, (_, i) => `bench-user-${i}`);
  const streamIndexesOf = (user) => Array.from({ length: perClient }, (_, j) => (user % groups) + groups * j);
  return {
    users,
    subscribersPerStream: clients / groups,
    /** Creates the tasks through the API, members by group; returns their stream names. */
    async createTasks(url, owner, prefix = 'bench task') {
      const names = [];
      for (let t = 0; t < streams; t++) {
        const members = users.filter((_, i) => i % groups === t % groups);
        const task = await api(url, 'POST', '/tasks', owner, { title: `${prefix} ${t}`, members });
        names.push(`task:${task.id}`);
      }
      return names;
    },
    /** One client per user; `urlOf(i)` may send client i to a server of its own. */
    clientsFor(streamNames, { withTokens, urlOf = () => undefined }) {
      return users.map((user, i) => ({
        token: withTokens ? signToken(user) : undefined,
        streams: streamIndexesOf(i).map((t) => streamNames[t]),
        url: urlOf(i),
      }));
    },
  };
}
