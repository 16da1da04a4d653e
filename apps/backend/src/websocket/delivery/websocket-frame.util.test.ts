import WebSocket from 'ws';

/** `ws`' own framing, which its typings do not declare. */
const { Sender } = WebSocket as unknown as {
  Sender: { frame(data: Buffer, options: Record<string, unknown>): Array<Buffer | string> };
};
import { textFrame } from './websocket-frame.util';

/** What `ws` itself writes for an unmasked final text frame of `payload`. */
const wsFrame = (payload: string): Buffer => {
  const parts = Sender.frame(Buffer.from(payload), { fin: true, mask: false, opcode: 1, readOnly: false, rsv1: false });
  return Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : part)));
};
const ours = (payload: string): Buffer => {
  const [header, data] = textFrame(payload);
  return Buffer.concat([header, Buffer.from(data)]);
};

describe('textFrame', () => {
  it.each([
    ['empty', ''],
    ['short', '42/events,["events",[]]'],
    ['125 bytes (the largest one-byte length)', 'x'.repeat(125)],
    ['126 bytes (the smallest two-byte length)', 'x'.repeat(126)],
    ['65535 bytes', 'y'.repeat(65_535)],
    ['65536 bytes (an eight-byte length)', 'z'.repeat(65_536)],
    ['multi-byte characters, counted in bytes', 'é🙂'.repeat(40)],
  ])('frames %s exactly as ws does', (_name, payload) => {
    expect(ours(payload).equals(wsFrame(payload))).toBe(true);
  });
});
