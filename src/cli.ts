#!/usr/bin/env node
// specedit CLI: `serve` starts the HTTP service; `apply` merges an update into a file, in-process
// or through a running server. Exit codes: 0 merged, 2 refused, 1 error.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { configFromEnv } from './config.js';
import { ApplyError } from './apply/errors.js';
import { applyEdit } from './apply/pipeline.js';
import { configuredModel } from './apply/model.js';
import { ApplyRequestSchema, type ApplyRequest } from './apply/schema.js';
import { writeFileAtomic } from './atomic-write.js';
import { startServer } from './server/serve.js';
import { VERSION } from './version.js';

const USAGE = `specedit ${VERSION}

Usage:
  specedit serve [--port N] [--host ADDR] [--model FILE.gguf]
  specedit apply FILE --update SNIPPET_FILE|- [--instruction TEXT] [--language L] [--mode auto|structural|model]
                 [--model FILE.gguf] [--decoder speculative|ngram|greedy] [--write] [--server URL]
  specedit batch --edits FILE.jsonl | --glob PATTERN --instruction TEXT [--root DIR] [--server URL]
                 [--concurrency N] [--mode M] [--write] [--patch FILE] [--report FILE]   (batch --help)
  specedit mcp [--root DIR] [--server URL] [--model FILE.gguf] [--mode M]     (MCP server on stdio; mcp --help)

apply prints the merged file (or, with --write, replaces FILE atomically). Exit code 0 merged,
2 refused (the reason on stderr), 1 error. Without --server the merge runs in-process.
Environment: SPECEDIT_HOST, SPECEDIT_PORT, SPECEDIT_MAX_CODE_BYTES, SPECEDIT_MAX_UPDATE_BYTES;
for serve also SPECEDIT_API_KEYS(_FILE), SPECEDIT_ALLOW_UNAUTHENTICATED, SPECEDIT_RATE_LIMIT_RPM/TPM,
SPECEDIT_PRICE_INPUT/OUTPUT_PER_M, SPECEDIT_LOG, SPECEDIT_BACKENDS(_FILE), SPECEDIT_AUTO_FALLBACK_MODEL,
SPECEDIT_MODEL (a GGUF file for the in-process engine), SPECEDIT_KV_TOKENS (README).
serve refuses a non-loopback --host without API keys unless SPECEDIT_ALLOW_UNAUTHENTICATED=1.
`;

async function readStdin(): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of process.stdin) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

async function serveCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { port: { type: 'string' }, host: { type: 'string' }, model: { type: 'string' } } });
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
  console.log(`specedit ${VERSION} listening on ${running.url}`);
  const stop = () => void running.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return new Promise(() => {});
}

class UsageError extends Error {}

/** What a merge answered, from the pipeline or a server: content, or a refusal/error body. */
type Outcome = { ok: true; content: string } | { ok: false; status: number; error: { code: string; message: string; details?: unknown } };

async function applyRemote(server: string, req: ApplyRequest): Promise<Outcome> {
  const res = await fetch(new URL('/apply', server), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(req),
  });
  const body = (await res.json()) as { content?: string; error?: { code: string; message: string; details?: unknown } };
  if (res.ok && typeof body.content === 'string') return { ok: true, content: body.content };
  return { ok: false, status: res.status, error: body.error ?? { code: 'bad_response', message: `HTTP ${res.status}` } };
}

async function applyCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
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
    },
  });
  if (positionals.length !== 1) throw new UsageError('apply takes exactly one FILE');
  if (values.model && values.server) throw new UsageError('--model runs the model in this process; --server sends the merge to a server (use one)');
  // --model path.gguf: the in-process engine writes what the structural merge cannot (or, with
  // --mode model, everything); read where SPECEDIT_MODEL is, by the apply pipeline
  if (values.model) process.env.SPECEDIT_MODEL = values.model;
  if (values.update === undefined && values.instruction === undefined) throw new UsageError('apply needs --update or --instruction');
  const file = positionals[0];
  const code = await readFile(file, 'utf8');
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
      outcome = { ok: false, status: e.status, error: e.toJSON().error };
    }
  }
  if (!outcome.ok) {
    const details = outcome.error.details ? `\n${JSON.stringify(outcome.error.details, null, 2)}` : '';
    process.stderr.write(`specedit: ${outcome.status === 422 ? 'refused' : 'error'}: ${outcome.error.code}: ${outcome.error.message}${details}\n`);
    return outcome.status === 422 ? 2 : 1;
  }
  if (values.write) await writeFileAtomic(file, outcome.content);
  else process.stdout.write(outcome.content);
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
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return command === undefined ? 1 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`specedit: ${(e as Error).message}\n\n${USAGE}`);
      return 1;
    }
    process.stderr.write(`specedit: error: ${(e as Error).message}\n`);
    return 1;
  }
}
