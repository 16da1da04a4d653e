/**
 * An unmasked, final WebSocket text frame carrying `payload` (RFC 6455 §5.2): the header as
 * bytes, the payload as the string itself, which the socket encodes as UTF-8 while writing.
 * This is the `[header, data]` pair `ws`' `Sender.frame` makes and `Sender.sendFrame`
 * writes, so a message meant for many sockets is framed once instead of once per socket.
 */
export function textFrame(payload: string): [Buffer, string] {
  const length = Buffer.byteLength(payload);
  let header: Buffer;
  if (length < 126) {
    header = Buffer.allocUnsafe(2);
    header[1] = length;
  } else if (length < 65_536) {
    header = Buffer.allocUnsafe(4);
    header[1] = 126;
    header.writeUInt16BE(length, 2);
  } else {
    header = Buffer.allocUnsafe(10);
    header[1] = 127;
    header.writeUInt16BE(0, 2);
    header.writeUIntBE(length, 4, 6);
  }
  header[0] = 0x81; // FIN, text
  return [header, payload];
}
