// A merge worker: loads every grammar once, then runs structural steps sent by the pool
// (merge-pool.ts). A step is synchronous CPU work; the pool bounds it by terminating the thread.
import { parentPort } from 'node:worker_threads';
import { preload } from '../languages/parser.js';
import { languages } from '../languages/registry.js';
import { runStructural, type StructuralTask } from './structural-step.js';

const port = parentPort;
if (!port) throw new Error('merge-worker.ts runs as a worker thread');

await preload(languages.values());
// One small merge before the first real one: the merge code is compiled then, not inside a
// request's time budget.
await runStructural({
  code: 'function a() {\n  return 1;\n}\n\nfunction b() {\n  return 2;\n}\n',
  update: '// ... existing code ...\nfunction b() {\n  return 3;\n}\n',
  language: 'javascript',
});
port.postMessage({ ready: true });
port.on('message', async ({ id, task }: { id: number; task: StructuralTask }) => {
  try {
    port.postMessage({ id, outcome: await runStructural(task) });
  } catch (e) {
    port.postMessage({ id, error: (e as Error).message });
  }
});
