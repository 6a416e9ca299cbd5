/**
 * Whether the signal has aborted, read through a call: after one check TypeScript keeps
 * `signal.aborted` narrowed to false, though an await later it may well be true.
 */
export function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}
