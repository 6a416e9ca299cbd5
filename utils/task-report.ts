/** The state of a video job as read from the assistant's accumulated markdown report. */
export type ReportPhase = 'queued' | 'generating' | 'completed' | 'failed';

export interface TaskEcho {
  prompt?: string;
  orientation?: string;
  sid?: string;
  /** Any other fields the relay echoed (duration, size, …), kept as they came. */
  [key: string]: unknown;
}

export interface TaskSnapshot {
  /** undefined until the text says anything about the job. */
  phase?: ReportPhase;
  /** 0..100, the last progress number seen. */
  progress?: number;
  taskId?: string;
  sid?: string;
  echo?: TaskEcho;
  videoUrl?: string;
  previewUrl?: string;
  taskPageUrl?: string;
  taskSourceUrl?: string;
  /** Set when phase is 'failed': the reason in the relay's words (or a generic one). */
  failure?: string;
}

// Implementation lives below this line (see tests/unit/task-report.test.ts).
export function parseTaskReport(_content: string): TaskSnapshot {
  throw new Error('not implemented yet');
}
