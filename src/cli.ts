#!/usr/bin/env node
// specedit CLI: `serve` starts the HTTP service; `apply` merges an update into a file, in-process
// or through a running server. Exit codes: 0 merged, 2 refused, 1 error.
import { readFile } from 'node:fs/promises';
import { parseFlags, UsageError } from './args.js';
import { configFromEnv } from './config.js';
import { ApplyError } from './apply/errors.js';
import { applyEdit } from './apply/pipeline.js';
import { configuredModel, describeModel, openedModel } from './apply/model.js';
import { parseDevice } from './engine/device.js';
import { ApplyRequestSchema, type ApplyRequest } from './apply/schema.js';
import { replaceIfUnchanged } from './atomic-write.js';
import { streamApply } from './client/apply-client.js';
import { decodeFile, encodeFile, UnencodableError } from './file-text.js';
import { startServer } from './server/serve.js';
import { VERSION } from './version.js';

const SERVE_USAGE = `Usage: specedit serve [--port N] [--host ADDR] [--model FILE.gguf] [--device auto|cpu|cuda]

Starts the HTTP service (POST /apply, the OpenAI-compatible /v1, /healthz, /metrics) on
127.0.0.1:8787 unless told otherwise. --model loads a GGUF model for the in-process engine,
on --device: auto (default) takes a usable CUDA GPU, else the CPU; cuda fails without one.
A non-loopback --host needs API keys (SPECEDIT_API_KEYS) or SPECEDIT_ALLOW_UNAUTHENTICATED=1.
Environment: SPECEDIT_HOST, SPECEDIT_PORT, SPECEDIT_MAX_CODE_BYTES, SPECEDIT_MAX_UPDATE_BYTES,
SPECEDIT_API_KEYS(_FILE), SPECEDIT_ALLOW_UNAUTHENTICATED, SPECEDIT_RATE_LIMIT_RPM/TPM,
SPECEDIT_PRICE_INPUT/OUTPUT_PER_M, SPECEDIT_LOG, SPECEDIT_BACKENDS(_FILE), SPECEDIT_AUTO_FALLBACK_MODEL,
SPECEDIT_MODEL (a GGUF file for the in-process engine), SPECEDIT_DEVICE, SPECEDIT_KV_TOKENS, SPECEDIT_MERGE_THREADS,
SPECEDIT_MERGE_BUDGET_MS, SPECEDIT_MERGE_QUEUE, SPECEDIT_STREAM_STALL_MS (see the README).
`;

const APPLY_USAGE = `Usage: specedit apply FILE --update SNIPPET_FILE|- [--instruction TEXT] [--language L]
                     [--mode auto|structural|model] [--model FILE.gguf] [--decoder speculative|ngram|greedy]
                     [--write] [--server URL] [--encoding latin1]

Prints the merged file (or, with --write, replaces FILE atomically, and only if nothing else changed
it meanwhile). Files keep their encoding byte for byte: UTF-8, UTF-8/UTF-16 with a BOM, or Latin-1
with --encoding latin1; any other file is refused (unsupported_encoding). Without --server the merge
runs in this process (--model: a GGUF model writes what the structural merge cannot); with --server
it runs on a specedit server (SPECEDIT_API_KEY for its key).
Exit code: 0 merged, 2 refused (the reason on stderr) or a usage error, 1 error.
`;

const USAGE = `specedit ${VERSION}

Usage:
  specedit serve [--port N] [--host ADDR] [--model FILE.gguf]
  specedit apply FILE --update SNIPPET_FILE|- [--instruction TEXT] [--language L] [--mode auto|structural|model]
                 [--model FILE.gguf] [--decoder speculative|ngram|greedy] [--write] [--server URL]
                 [--encoding latin1]
  specedit batch --edits FILE.jsonl | --glob PATTERN --instruction TEXT [--root DIR] [--server URL | --model FILE.gguf]
                 [--concurrency N] [--mode M] [--write] [--patch FILE] [--report FILE]
  specedit mcp [--root DIR] [--server URL] [--model FILE.gguf] [--mode M]     (MCP server on stdio)

specedit COMMAND --help says more about each.
`;

/** The usage printed with a command's --help or its usage errors. */
const USAGES: Record<string, string> = { serve: SERVE_USAGE, apply: APPLY_USAGE };

async function readStdin(): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of process.stdin) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

async function serveCommand(args: string[]): Promise<number> {
  const parsed = parseFlags({ args, options: { port: { type: 'string' }, host: { type: 'string' }, model: { type: 'string' }, device: { type: 'string' } } });
  if (parsed === 'help') return help(SERVE_USAGE);
  const { values } = parsed;
  // --device: read where SPECEDIT_DEVICE is, when the engine opens
  if (values.device) {
    try { process.env.SPECEDIT_DEVICE = parseDevice(values.device, '--device'); } catch (e) { throw new UsageError((e as Error).message); }
  }
  // --model path.gguf: the in-process engine serves mode "model" and "auto" (read where
  // SPECEDIT_MODEL is, by the apply pipeline on first use)
  if (values.model) process.env.SPECEDIT_MODEL = values.model;
  const config = configFromEnv();
  // open the model before listening: a bad file fails the start, not the first request
  if (process.env.SPECEDIT_MODEL) configuredModel();
  if (values.host) config.host = values.host;
  if (values.port) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0-65535, got "${values.port}"`);
    config.port = port;
  }
  const running = await startServer(config);
  const model = openedModel();
  const fallback = config.autoFallbackModel ? `; backend model ${config.autoFallbackModel} where the structural merge cannot answer` : '';
  const serving = model ? `model ${describeModel(model.describe())}` : `no model loaded${fallback ? '' : ' (structural merges only; --model FILE.gguf for the rest)'}`;
  console.log(`specedit ${VERSION} listening on ${running.url}; ${serving}${fallback}`);
  const stop = () => void running.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return new Promise(() => {});
}

const help = (usage: string) => {
  process.stdout.write(usage);
  return 0;
};

/** What a merge answered, from the pipeline or a server: content, or a refusal/error body. */
type Outcome = { ok: true; content: string } | { ok: false; refused: boolean; error: { code: string; message: string; details?: unknown } };

/** Through a server, with the client the batch command and the extension use (it names why a server cannot be reached). */
async function applyRemote(server: string, req: ApplyRequest): Promise<Outcome> {
  const out = await streamApply(req, { server, apiKey: process.env.SPECEDIT_API_KEY || undefined });
  if (out.ok) return { ok: true, content: out.content };
  return { ok: false, refused: out.kind === 'refused', error: { code: out.code, message: out.message, details: out.details } };
}

async function applyCommand(args: string[]): Promise<number> {
  const flags = parseFlags({
    args,
    allowPositionals: true,
    options: {
      update: { type: 'string', short: 'u' },
      instruction: { type: 'string', short: 'i' },
      language: { type: 'string' },
      mode: { type: 'string' },
      model: { type: 'string' },
      decoder: { type: 'string' },
      write: { type: 'boolean', short: 'w' },
      server: { type: 'string' },
      encoding: { type: 'string' },
    },
  });
  if (flags === 'help') return help(APPLY_USAGE);
  const { values, positionals } = flags;
  if (positionals.length !== 1) throw new UsageError('apply takes exactly one FILE');
  if (values.model && values.server) throw new UsageError('--model runs the model in this process; --server sends the merge to a server (use one)');
  if (values.server && !URL.canParse(values.server)) throw new UsageError(`--server must be a URL such as http://127.0.0.1:8787, got "${values.server}"`);
  // --model path.gguf: the in-process engine writes what the structural merge cannot (or, with
  // --mode model, everything); read where SPECEDIT_MODEL is, by the apply pipeline
  if (values.model) process.env.SPECEDIT_MODEL = values.model;
  if (values.update === undefined && values.instruction === undefined) throw new UsageError('apply needs --update or --instruction');
  if (values.encoding !== undefined && values.encoding !== 'latin1') throw new UsageError('--encoding takes latin1 (UTF-8 and BOM-marked UTF-16 are recognised on their own)');
  const file = positionals[0];
  // Bytes in, bytes out: the file's own encoding, every untouched line byte for byte.
  const bytes = await readFile(file);
  const decoded = decodeFile(bytes, { latin1: values.encoding === 'latin1' });
  if (!decoded.ok) {
    process.stderr.write(`specedit: refused: ${decoded.code}: ${decoded.message}\n`);
    return 2;
  }
  const code = decoded.text;
  const update = values.update === undefined ? undefined : values.update === '-' ? await readStdin() : await readFile(values.update, 'utf8');
  const parsed = ApplyRequestSchema.safeParse({ code, update, instruction: values.instruction, path: file, language: values.language, mode: values.mode, decoder: values.decoder });
  if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));

  let outcome: Outcome;
  if (values.server) {
    outcome = await applyRemote(values.server, parsed.data);
  } else {
    try {
      outcome = { ok: true, content: (await applyEdit(parsed.data, configFromEnv().limits)).content };
    } catch (e) {
      if (!(e instanceof ApplyError)) throw e;
      outcome = { ok: false, refused: e.status === 422, error: e.toJSON().error };
    }
  }
  if (!outcome.ok) {
    const details = outcome.error.details ? `\n${JSON.stringify(outcome.error.details, null, 2)}` : '';
    process.stderr.write(`specedit: ${outcome.refused ? 'refused' : 'error'}: ${outcome.error.code}: ${outcome.error.message}${details}\n`);
    return outcome.refused ? 2 : 1;
  }
  let out: Buffer;
  try {
    out = encodeFile(outcome.content, decoded.encoding);
  } catch (e) {
    if (!(e instanceof UnencodableError)) throw e;
    process.stderr.write(`specedit: refused: ${e.code}: ${e.message}\n`);
    return 2;
  }
  if (!values.write) {
    process.stdout.write(out);
    return 0;
  }
  const r = await replaceIfUnchanged(file, out, bytes);
  if (!r.written) {
    process.stderr.write(`specedit: error: ${file} ${r.reason === 'missing' ? 'disappeared' : 'changed on disk'} while the edit was merged: not written${r.kept ? ` (a concurrent version was kept at ${r.kept})` : ''}\n`);
    return 1;
  }
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serveCommand(rest);
      case 'apply':
        return await applyCommand(rest);
      case 'batch':
        return await (await import('./batch/command.js')).batchCommand(rest);
      case 'mcp':
        return await (await import('./mcp/command.js')).mcpCommand(rest);
      case '--version':
      case '-v':
        console.log(VERSION);
        return 0;
      case 'help':
      case '--help':
      case '-h':
        return help(USAGE);
      case undefined:
        throw new UsageError('which command?');
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      const usage = USAGES[command ?? ''];
      process.stderr.write(`specedit${usage ? ` ${command}` : ''}: ${e.message}\n\n${usage ?? USAGE}`);
      return 2;
    }
    process.stderr.write(`specedit: error: ${(e as Error).message}\n`);
    return 1;
  }
}
