// A merge worker: loads every grammar once, then runs structural steps sent by the pool
// (merge-pool.ts). A step is synchronous CPU work; the pool bounds it by terminating the thread.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { preload } from '../languages/parser.js';
import { languages } from '../languages/registry.js';
import { runStructural, type StructuralTask } from './structural-step.js';

const port = parentPort;
if (!port) throw new Error('merge-worker.ts runs as a worker thread');

// Merges are background work: on Linux this thread lowers its own priority (nice +10), so the event
// loop (requests, /healthz, streams) gets a core as soon as it needs one, however many merges run.
try {
  setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), 10);
} catch {
  // not Linux, or not allowed: merges run at normal priority
}

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
