import { render } from 'preact';
import { ThreadCard } from '@/components/ThreadCard';
import { useThreads } from '@/components/use-threads';
import '@/components/ui.css';

function SidePanel() {
  const { loading, threads, skipped } = useThreads();
  return (
    <main class="page">
      <h1>Sora Threads</h1>
      {skipped.length > 0 && (
        <p class="error" role="alert">
          {skipped.length} saved thread(s) could not be read and are hidden; they are left untouched in storage.
        </p>
      )}
      {!loading && threads.length === 0 && (
        <p class="muted">No videos yet. Open the Sora Threads popup from the toolbar, write a prompt and press Generate.</p>
      )}
      {threads.map((t) => (
        <ThreadCard key={t.id} thread={t} />
      ))}
    </main>
  );
}

render(<SidePanel />, document.getElementById('app')!);
