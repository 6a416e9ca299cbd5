import { useRef, useState } from 'preact/hooks';
import { send } from '@/utils/messages';
import { loadSettings } from '@/utils/settings/settings';
import { formatNumber, t } from '@/utils/i18n';

type Result = { ok: boolean; text: string } | null;

/** Export the history to a JSON file and import one back (merged; a bad file changes nothing). */
export function HistoryBackup() {
  const [result, setResult] = useState<Result>(null);
  const [busy, setBusy] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);

  const exportHistory = async () => {
    setResult(null);
    // Loaded on use, like the import validator: neither is part of the page's start-up.
    const [{ buildExport }, { readIndex, readThreads }] = await Promise.all([
      import('@/utils/threads/backup'),
      import('@/utils/threads/store-read'),
    ]);
    const { value: threads, skipped } = await readThreads((await readIndex()).map((e) => e.id));
    const { apiKey } = await loadSettings();
    const blob = new Blob([buildExport(threads, apiKey)], { type: 'application/json' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `sora-threads-${new Date().toISOString().slice(0, 10)}.json`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    const n = formatNumber(threads.length);
    setResult({
      ok: true,
      text: skipped.length ? t('exportedSkipped', { n, skipped: formatNumber(skipped.length) }) : t('exported', { n }),
    });
  };

  const importHistory = async (file: File | undefined) => {
    if (!file) return;
    setBusy(true);
    setResult(null);
    try {
      const { parseImport } = await import('@/utils/threads/backup-file');
      const parsed = parseImport(await file.text());
      if (!parsed.ok) {
        setResult({ ok: false, text: parsed.error });
        return;
      }
      const c = await send('importThreads', { threads: parsed.threads });
      setResult({
        ok: true,
        text: t('imported', { added: formatNumber(c.added), updated: formatNumber(c.updated), unchanged: formatNumber(c.unchanged) }),
      });
    } catch (err) {
      setResult({ ok: false, text: t('importFailed', { error: (err as Error).message }) });
    } finally {
      setBusy(false);
      if (fileInput.current) fileInput.current.value = '';
    }
  };

  return (
    <section class="card" aria-labelledby="history-title">
      <h2 id="history-title">{t('history')}</h2>
      <p class="muted small">{t('historyLead')}</p>
      <div class="row">
        <button type="button" class="btn" onClick={() => void exportHistory()}>
          {t('exportHistory')}
        </button>
        <button type="button" class="btn" disabled={busy} onClick={() => fileInput.current?.click()}>
          {t('importHistory')}
        </button>
        <input
          ref={fileInput}
          type="file"
          accept="application/json,.json"
          aria-label={t('importHistoryFile')}
          hidden
          onChange={(e) => void importHistory(e.currentTarget.files?.[0])}
        />
      </div>
      {result && (
        <p class={result.ok ? 'ok small' : 'error small'} role={result.ok ? 'status' : 'alert'}>
          {result.text}
        </p>
      )}
    </section>
  );
}
