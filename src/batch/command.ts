// `specedit batch`: apply many edits across a tree, dry run by default.
import { readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { openModel, type ModelService } from '../apply/model.js';
import { parseFlags, UsageError } from '../args.js';
import { configFromEnv } from '../config.js';
import { writeFileAtomic } from '../atomic-write.js';
import { MODES } from '../apply/schema.js';
import type { ApplyMode } from '../client/apply-client.js';
import { VERSION } from '../version.js';
import { inProcessApplier, remoteApplier, type Applier } from './appliers.js';
import { BatchInputError, instructionJobs, parseEditsJsonl, type BatchJob } from './edits.js';
import { globFiles } from './glob.js';
import { realRoot } from './paths.js';
import { createProgress, type ProgressSink } from './progress.js';
import { buildReport, combinedPatch, formatSummary } from './report.js';
import { runBatch } from './runner.js';

export const BATCH_USAGE = `Usage:
  specedit batch --edits FILE.jsonl [options]
  specedit batch --glob PATTERN --instruction TEXT [options]

FILE.jsonl holds one edit per line: {"path": "src/a.ts", "update": "<lazy snippet>"} or
{"path": ..., "instruction": "..."} (instructions need a model backend); paths are relative to --root.
Dry run by default: prints a summary and, with --patch, writes one combined unified diff.

Options:
  --root DIR          files are resolved here; paths leaving it (.. or symlinks) are refused (default: .)
  --server URL        send merges to a specedit server (streamed; SPECEDIT_API_KEY for its key);
                      default: merge in this process
  --model FILE.gguf   in this process, a GGUF model writes what the structural merge cannot
                      (instructions; with --mode model, everything); not with --server
  --concurrency N     files in flight at once (default 4)
  --mode M            auto | structural | model (default auto)
  --write             write changed files (atomically, only if unchanged on disk since read)
  --patch FILE|-      write the combined unified diff of the changed files
  --report FILE       write a JSON report of every file's outcome and stats
  --timeout S         per-request limit with --server, in seconds (default 120)
  --encoding latin1   read files that are not UTF-8 as Latin-1 and write them back so (without it
                      they are refused: unsupported_encoding); BOM-marked UTF-16/UTF-8 need nothing
  --quiet             no progress output

Exit code: 0 all merged, 2 some refused or skipped (or a usage error), 1 errors, 130 interrupted (Ctrl-C).
`;

export interface BatchIo {
  stdout: ProgressSink;
  stderr: ProgressSink;
  /** Where Ctrl-C comes from (default: process SIGINT). */
  onInterrupt?(handler: () => void): () => void;
}

const processInterrupt = (handler: () => void) => {
  process.on('SIGINT', handler);
  return () => void process.off('SIGINT', handler);
};

export async function batchCommand(args: string[], io: BatchIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let flags;
  try {
    flags = parseFlags({
      args,
      options: {
        edits: { type: 'string', short: 'e' },
        glob: { type: 'string', short: 'g' },
        instruction: { type: 'string', short: 'i' },
        root: { type: 'string' },
        server: { type: 'string' },
        model: { type: 'string' },
        concurrency: { type: 'string', short: 'j' },
        mode: { type: 'string' },
        write: { type: 'boolean', short: 'w' },
        patch: { type: 'string' },
        report: { type: 'string' },
        timeout: { type: 'string' },
        encoding: { type: 'string' },
        quiet: { type: 'boolean', short: 'q' },
      },
    });
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`specedit batch: ${e.message}\n\n${BATCH_USAGE}`);
    return 2;
  }
  if (flags === 'help') {
    io.stdout.write(BATCH_USAGE);
    return 0;
  }
  const { values } = flags;

  let jobs: BatchJob[];
  let root: string;
  let concurrency: number;
  let mode: ApplyMode | undefined;
  let timeoutMs: number;
  try {
    if (!!values.edits === !!values.glob) throw new UsageError('give either --edits FILE.jsonl or --glob PATTERN --instruction TEXT');
    if (values.glob && !values.instruction) throw new UsageError('--glob needs --instruction TEXT');
    if (values.edits && values.instruction) throw new UsageError('--instruction goes with --glob; in an edits file each line carries its own');
    concurrency = Number(values.concurrency ?? 4);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) throw new UsageError(`--concurrency must be 1-256, got "${values.concurrency}"`);
    if (values.encoding !== undefined && values.encoding !== 'latin1') throw new UsageError('--encoding takes latin1');
    if (values.mode !== undefined && !(MODES as readonly string[]).includes(values.mode)) throw new UsageError(`--mode must be one of ${MODES.join(', ')}`);
    mode = values.mode as ApplyMode | undefined;
    timeoutMs = Number(values.timeout ?? 120) * 1000;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new UsageError(`--timeout must be a positive number of seconds`);
    if (values.server && !URL.canParse(values.server)) throw new UsageError(`--server must be a URL, got "${values.server}"`);
    if (values.model && values.server) throw new UsageError('--model runs the model in this process; --server sends the merges to a server (use one)');
    if (values.model && !existsSync(values.model)) throw new UsageError(`--model: no such file "${values.model}"`);
    root = await realRoot(values.root ?? '.').catch((e: Error) => {
      throw new UsageError(`--root: ${e.message}`);
    });
    if (values.edits) {
      const text = values.edits === '-' ? await readStdin() : await readFile(values.edits, 'utf8');
      jobs = parseEditsJsonl(text, values.edits === '-' ? 'stdin' : values.edits);
    } else {
      const files = await globFiles(root, values.glob!);
      if (files.length === 0) throw new UsageError(`--glob ${values.glob} matches no file under ${root}`);
      jobs = instructionJobs(files, values.instruction!);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`specedit batch: ${e.message}\n\n${BATCH_USAGE}`);
      return 2;
    }
    io.stderr.write(`specedit batch: ${e instanceof BatchInputError ? 'bad edits file:\n' : 'error: '}${(e as Error).message}\n`);
    return 1;
  }

  // --model as apply's: opened before the first file, so a bad file fails the batch, not every file
  let model: ModelService | undefined;
  try {
    if (values.model) model = openModel(values.model);
  } catch (e) {
    io.stderr.write(`specedit batch: error: --model ${values.model}: ${(e as Error).message}\n`);
    return 1;
  }
  const applier: Applier = values.server
    ? remoteApplier({ server: values.server, apiKey: process.env.SPECEDIT_API_KEY || undefined, timeoutMs })
    : inProcessApplier(configFromEnv().limits, model);

  const progress = createProgress(values.quiet ? { write: () => true } : io.stderr);
  const controller = new AbortController();
  let interrupts = 0;
  const stopListening = (io.onInterrupt ?? processInterrupt)(() => {
    interrupts += 1;
    if (interrupts === 1) {
      progress.note('specedit batch: interrupted: cancelling in-flight requests, starting nothing new (Ctrl-C again to quit at once)');
      controller.abort();
    } else {
      process.exit(130);
    }
  });

  let run;
  try {
    progress.start(jobs.length);
    run = await runBatch({
      root,
      jobs,
      applier,
      concurrency,
      mode,
      write: !!values.write,
      latin1: values.encoding === 'latin1',
      signal: controller.signal,
      onResult: (r, done, total) => progress.fileDone(r, done, total),
    });
    progress.finish();
  } finally {
    stopListening();
    await model?.close();
  }

  const report = buildReport(run, { version: VERSION, root, via: values.server ?? 'in-process', mode: mode ?? 'auto', dryRun: !values.write });
  const patch = combinedPatch(run.results);
  if (values.patch === '-') io.stdout.write(patch);
  else if (values.patch) await writeFile(values.patch, patch);
  if (values.report) await writeFileAtomic(values.report, `${JSON.stringify(report, null, 2)}\n`);
  io.stderr.write(formatSummary(report, { patch: values.patch === '-' ? 'stdout' : values.patch, reportPath: values.report }));

  const s = report.summary;
  if (run.interrupted) return 130;
  if (s.error > 0) return 1;
  if (s.refused > 0 || s.skipped > 0) return 2;
  return 0;
}

async function readStdin(): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of process.stdin) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8');
}
