import type { Turn } from '../threads/model';

/**
 * A turn whose job may still be running on the relay and can be looked at again without sending
 * anything: interrupted (or cancelled while its video job went on) with a task source or a job id.
 */
export function canFollowAgain(turn: Turn): boolean {
  if (turn.status === 'interrupted') return Boolean(turn.taskSourceUrl || turn.jobId);
  return turn.status === 'cancelled' && Boolean(turn.jobId);
}
