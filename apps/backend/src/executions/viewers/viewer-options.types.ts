/** Protection and pacing of execution viewers; from the app's configuration. */
export interface ViewerOptions {
  /** Unsent bytes a viewer may queue before its output is skipped. @default 262144 */
  maxBufferBytes: number;
  /** Output bytes per second sent to a viewer that catches up. @default 16777216 */
  catchUpBytesPerSec: number;
  /** How often skipped viewers are checked for having drained, in ms. @default 50 */
  checkMs: number;
}
