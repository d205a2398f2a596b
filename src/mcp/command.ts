// `specedit mcp`: the MCP server on stdio, for coding agents (Claude Code, Cursor, Cline, Continue...).
// stdout carries the protocol and nothing else; every human-readable line goes to stderr.
import { parseArgs } from 'node:util';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { configFromEnv } from '../config.js';
import { configuredModel } from '../apply/model.js';
import { MODES } from '../apply/schema.js';
import { inProcessApplier, remoteApplier } from '../batch/appliers.js';
import type { ApplyMode } from '../client/apply-client.js';
import { VERSION } from '../version.js';
import { createMcpServer } from './server.js';
import { Workspace } from './workspace.js';

export const MCP_USAGE = `Usage:
  specedit mcp [--root DIR] [--server URL] [--model FILE.gguf] [--mode auto|structural|model]

An MCP server on stdin/stdout for coding agents. Tools:
  edit_file(target_file, instructions, code_edit)     merge a lazy edit into a file and write it
  preview_edit(target_file, instructions, code_edit)  the same merge, nothing written (the diff)

Options:
  --root DIR        the only files it may read or write are under DIR (default: the current directory);
                    paths leaving it (.., absolute paths elsewhere, symlinks) are refused unread
  --server URL      merge on a specedit server (SPECEDIT_API_KEY for its key); default: in this process
  --model FILE.gguf in-process model for what the structural merge refuses (or everything with --mode model)
  --mode M          auto | structural | model (default auto)
  --timeout S       per-merge limit with --server, in seconds (default 120)

Files are written atomically and only if unchanged on disk since they were read. Logs go to stderr.
See the README's "Agents (MCP)" section for the configuration of Claude Code, Cursor, Cline and Continue.
`;

class McpUsageError extends Error {}

export async function mcpCommand(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        root: { type: 'string' },
        server: { type: 'string' },
        model: { type: 'string' },
        mode: { type: 'string' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    process.stderr.write(`specedit mcp: ${(e as Error).message}\n\n${MCP_USAGE}`);
    return 1;
  }
  if (values.help) {
    process.stdout.write(MCP_USAGE);
    return 0;
  }

  let workspace: Workspace;
  let timeoutMs: number;
  try {
    if (values.model && values.server) throw new McpUsageError('--model runs the model in this process; --server sends merges to a server (use one)');
    if (values.mode !== undefined && !(MODES as readonly string[]).includes(values.mode)) throw new McpUsageError(`--mode must be one of ${MODES.join(', ')}`);
    timeoutMs = Number(values.timeout ?? 120) * 1000;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new McpUsageError('--timeout must be a positive number of seconds');
    if (values.server) {
      try {
        new URL(values.server);
      } catch {
        throw new McpUsageError(`--server must be a URL, got "${values.server}"`);
      }
    }
    // in-process, files the pipeline would refuse as too large are not even read; a server has its own limit
    const maxFileBytes = values.server ? undefined : configFromEnv().limits.codeBytes;
    workspace = await Workspace.open(values.root ?? '.', { maxFileBytes }).catch((e: Error) => {
      throw new McpUsageError(`--root: ${e.message}`);
    });
  } catch (e) {
    if (!(e instanceof McpUsageError)) throw e;
    process.stderr.write(`specedit mcp: ${e.message}\n\n${MCP_USAGE}`);
    return 1;
  }

  // --model: as for apply, the pipeline reads SPECEDIT_MODEL; open it now so a bad file fails the
  // start (where the user sees it) rather than the agent's first edit
  if (values.model) process.env.SPECEDIT_MODEL = values.model;
  const model = values.server ? null : process.env.SPECEDIT_MODEL ? configuredModel() : null;

  const applier = values.server
    ? remoteApplier({ server: values.server, apiKey: process.env.SPECEDIT_API_KEY || undefined, timeoutMs })
    : inProcessApplier(configFromEnv().limits);
  const mcp = createMcpServer({ workspace, applier, mode: values.mode as ApplyMode | undefined });
  const transport = new StdioServerTransport();
  await mcp.server.connect(transport);
  const via = values.server ? `merges on ${values.server}` : `merges in-process (structural${model ? ` + model ${model.path}` : ''})`;
  process.stderr.write(`specedit ${VERSION} mcp: edit_file, preview_edit for ${workspace.root}; ${via}${values.mode ? `, mode ${values.mode}` : ''}\n`);

  // The client ends the session by closing our stdin (or with a signal): finish the edits in
  // flight, so no write is cut short, then leave.
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      void mcp
        .idle()
        .then(() => mcp.server.close())
        .catch(() => {})
        .finally(() => {
          process.stdin.destroy(); // after a signal stdin may still be open, holding the process
          resolve(0);
        });
    };
    process.stdin.once('end', stop);
    process.stdin.once('close', stop);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
