// The MCP server: specedit's two tools on the official SDK's McpServer. Transport-free, so the
// stdio command and the tests (in memory) run the very same server.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { VERSION } from '../version.js';
import { EDIT_FILE_DESCRIPTION, editArgs, PREVIEW_EDIT_DESCRIPTION, runEdit, type EditArgs, type EditContext } from './tools.js';

export const SERVER_INSTRUCTIONS =
  'specedit applies lazy edits to files under one workspace root. Use edit_file to change a file by sending only the changed code with a little context and marker lines such as "// ... existing code ..." for the rest (its description says how), and preview_edit to see the diff without writing.';

export interface SpeceditMcp {
  server: McpServer;
  /** Resolves once no tool call is running (so a shutdown never cuts a write short). */
  idle(): Promise<void>;
}

export function createMcpServer(ctx: EditContext): SpeceditMcp {
  const server = new McpServer({ name: 'specedit', version: VERSION }, { instructions: SERVER_INSTRUCTIONS });
  const running = new Set<Promise<CallToolResult>>();
  const track = (args: EditArgs, write: boolean, signal: AbortSignal) => {
    const p = runEdit(args, ctx, write, signal);
    running.add(p);
    void p.finally(() => running.delete(p));
    return p;
  };
  server.registerTool(
    'edit_file',
    {
      title: 'Edit file (lazy edit)',
      description: EDIT_FILE_DESCRIPTION,
      inputSchema: editArgs,
      annotations: { readOnlyHint: false, idempotentHint: false, openWorldHint: false },
    },
    (args, extra) => track(args, true, extra.signal),
  );
  server.registerTool(
    'preview_edit',
    {
      title: 'Preview a lazy edit',
      description: PREVIEW_EDIT_DESCRIPTION,
      inputSchema: editArgs,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args, extra) => track(args, false, extra.signal),
  );
  return {
    server,
    async idle() {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
}
