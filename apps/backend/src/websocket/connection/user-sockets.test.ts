import type { AppSocket } from '../socket.types';
import { UserSockets } from './user-sockets';

const socket = (userId: string, id: string) => ({ id, data: { principal: { userId } } }) as unknown as AppSocket;

describe('UserSockets', () => {
  it('keeps each user sockets through adds and removes, and forgets a user with none', () => {
    const users = new UserSockets();
    const [a1, a2, a3, b1] = [socket('a', '1'), socket('a', '2'), socket('a', '3'), socket('b', '4')];
    users.add(a1);
    users.add(b1);
    expect([users.count('a'), users.of('a'), users.size]).toEqual([1, [a1], 2]);
    users.add(a2);
    users.add(a3);
    users.add(a3); // twice: still one
    expect([users.count('a'), users.of('a')]).toEqual([3, [a1, a2, a3]]);
    users.remove(a2);
    users.remove(a1);
    expect([users.count('a'), users.of('a')]).toEqual([1, [a3]]);
    users.remove(a1); // not there any more: nothing happens
    users.remove(a3);
    users.remove(b1);
    expect([users.count('a'), users.of('a'), users.count('b'), users.size]).toEqual([0, [], 0, 0]);
  });
});
