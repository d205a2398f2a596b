import { serve, type ServerType } from '@hono/node-server';
import type { Config } from '../config.js';
import { preload } from '../languages/parser.js';
import { languages } from '../languages/registry.js';
import { createService, type Service, type ServiceOptions } from './app.js';
import { checkBind } from './auth.js';

export interface Running {
  server: ServerType;
  url: string;
  service: Service;
  /** Stop accepting, let open requests finish. */
  close(): Promise<void>;
  /** Stop at once: open connections are cut (as a crash would). */
  kill(): Promise<void>;
}

/** Start the HTTP server; grammars load before it listens so no request pays for them. */
export async function startServer(config: Config, options?: ServiceOptions): Promise<Running> {
  checkBind(config);
  await preload(languages.values());
  const service = createService(config, options);
  await service.warm();
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: service.app.fetch, port: config.port, hostname: config.host }, (info) => {
      const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
      const close = () =>
        new Promise<void>((done) => {
          service.close();
          server.close(() => done());
          (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
        });
      resolve({
        server,
        url: `http://${host}:${info.port}`,
        service,
        close,
        kill: () => {
          const p = close();
          (server as { closeAllConnections?: () => void }).closeAllConnections?.();
          return p;
        },
      });
    });
    server.once('error', reject);
  });
}
