import { serve, type ServerType } from '@hono/node-server';
import type { Config } from '../config.js';
import { preload } from '../languages/parser.js';
import { languages } from '../languages/registry.js';
import { createApp } from './app.js';

export interface Running {
  server: ServerType;
  url: string;
  close(): Promise<void>;
}

/** Start the HTTP server; grammars load before it listens so no request pays for them. */
export async function startServer(config: Config): Promise<Running> {
  await preload(languages.values());
  const app = createApp(config);
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
      const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
      resolve({
        server,
        url: `http://${host}:${info.port}`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
    server.once('error', reject);
  });
}
