// The project's own WXT config, built into bench/tmp (git-ignored) so the bench neither races nor
// overwrites a concurrent `npm run build` / e2e run that uses .output/.
import path from 'node:path';
import { defineConfig } from 'wxt';
import base from '../wxt.config';

export default defineConfig({ ...base, outDir: path.resolve('bench/tmp/output') });
