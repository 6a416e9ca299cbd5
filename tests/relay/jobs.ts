import type { JobLinks } from './report';

/**
 * A video job as the relay's task source sees it. It runs on the relay's clock whatever happens
 * to the stream that reported it (dropped, stalled, client gone), as a real relay's job does —
 * which is what lets a client resume from the task source link.
 */
export interface RelayJob {
  taskId: string;
  sid: string;
  echoSid?: string;
  prompt: string;
  model: string;
  scenario: string;
  startedAt: number;
  /** ms after startedAt when it leaves the queue, and when it completes or fails. */
  generatingAfterMs: number;
  doneAfterMs: number;
  outcome: 'completed' | 'failed';
  failure?: string;
  links: JobLinks;
}

export type JobStatus = 'queued' | 'processing' | 'completed' | 'failed';

export interface TaskSource {
  id: string;
  status: JobStatus;
  progress: number;
  url: string | null;
  gif_url: string | null;
  data: { url: string } | null;
  failure_reason: string | null;
}

export function jobStatus(job: RelayJob, now = Date.now()): { status: JobStatus; progress: number } {
  const elapsed = now - job.startedAt;
  if (elapsed < job.generatingAfterMs) return { status: 'queued', progress: 0 };
  if (elapsed < job.doneAfterMs) {
    const span = Math.max(1, job.doneAfterMs - job.generatingAfterMs);
    return { status: 'processing', progress: Math.min(99, Math.floor(((elapsed - job.generatingAfterMs) / span) * 100)) };
  }
  return job.outcome === 'completed' ? { status: 'completed', progress: 100 } : { status: 'failed', progress: 0 };
}

export function taskSource(job: RelayJob, now = Date.now()): TaskSource {
  const { status, progress } = jobStatus(job, now);
  const done = status === 'completed';
  return {
    id: job.taskId,
    status,
    progress,
    url: done ? job.links.video : null,
    gif_url: done ? job.links.preview : null,
    data: done ? { url: job.links.video } : null,
    failure_reason: status === 'failed' ? (job.failure ?? 'generation failed') : null,
  };
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function taskPage(job: RelayJob, now = Date.now()): string {
  const src = taskSource(job, now);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${job.taskId}</title></head>
<body>
<h1>Task ${job.taskId}</h1>
<p>Status: ${src.status} (${src.progress}%)</p>
<p>Prompt: ${escapeHtml(job.prompt)}</p>
${src.url ? `<video controls src="${src.url}"></video>` : ''}
${src.failure_reason ? `<p>Failure: ${escapeHtml(src.failure_reason)}</p>` : ''}
</body></html>
`;
}
