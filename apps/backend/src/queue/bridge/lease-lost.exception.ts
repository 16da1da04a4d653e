/** This node no longer holds the bridge lock (it expired or another node took it): stop bridging. */
export class LeaseLostException extends Error {
  constructor(queue: string) {
    super(`lost the bridge lock of queue ${queue}`);
    this.name = 'LeaseLostException';
  }
}
