import { LocalStoragePositionStore } from './local-storage-position.store';
import { MemoryPositionStore } from './memory-position.store';
import { MemoryStorage } from './testing/memory.storage';

const EPOCH = '00000000-0000-4000-8000-000000000001';

describe('LocalStoragePositionStore', () => {
  it('stores positions as JSON under its prefix and reads them back', () => {
    const storage = new MemoryStorage();
    const store = new LocalStoragePositionStore({ storage, prefix: 'u1:' });
    store.set('task:a', { seq: 3, epoch: EPOCH });
    expect(storage.getItem('u1:task:a')).toBe(JSON.stringify({ seq: 3, epoch: EPOCH }));
    expect(new LocalStoragePositionStore({ storage, prefix: 'u1:' }).get('task:a')).toEqual({
      seq: 3,
      epoch: EPOCH,
    });
    expect(new LocalStoragePositionStore({ storage, prefix: 'u2:' }).get('task:a')).toBeUndefined();
  });

  it('ignores malformed entries instead of resuming from them', () => {
    const storage = new MemoryStorage();
    const store = new LocalStoragePositionStore({ storage });
    storage.setItem('taskdash:position:a', '{not json');
    storage.setItem('taskdash:position:b', JSON.stringify({ seq: -1, epoch: EPOCH }));
    storage.setItem('taskdash:position:c', JSON.stringify({ seq: 1 }));
    expect(['a', 'b', 'c'].map((s) => store.get(s))).toEqual([undefined, undefined, undefined]);
  });

  it('deletes one stream and clears only its own prefix', () => {
    const storage = new MemoryStorage();
    storage.setItem('other', 'kept');
    const store = new LocalStoragePositionStore({ storage, prefix: 'p:' });
    store.set('a', { seq: 1, epoch: EPOCH });
    store.set('b', { seq: 2, epoch: EPOCH });
    store.delete('a');
    expect(store.get('a')).toBeUndefined();
    store.clear();
    expect([...storage.items.keys()]).toEqual(['other']);
  });

  it('keeps working when the storage throws (quota, private mode)', () => {
    const storage = new MemoryStorage();
    storage.setItem = () => {
      throw new Error('QuotaExceededError');
    };
    const store = new LocalStoragePositionStore({ storage });
    expect(() => store.set('a', { seq: 1, epoch: EPOCH })).not.toThrow();
  });

  it('needs a storage when there is no global localStorage', () => {
    expect(() => new LocalStoragePositionStore()).toThrow(/pass options.storage/);
  });
});

describe('MemoryPositionStore', () => {
  it('keeps a copy of what it is given', () => {
    const store = new MemoryPositionStore();
    const position = { seq: 1, epoch: EPOCH };
    store.set('a', position);
    position.seq = 99;
    expect(store.get('a')).toEqual({ seq: 1, epoch: EPOCH });
    store.delete('a');
    expect(store.get('a')).toBeUndefined();
  });
});
