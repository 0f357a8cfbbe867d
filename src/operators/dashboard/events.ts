import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { ChangeFeed } from './change-feed.js';
import type { DashboardEnv } from './session.js';

/**
 * `GET /dashboard/events`: Server-Sent Events, one `change` event per poll that saw something
 * (`{ instances: [...], inbox, audit }`), a comment every 15 s to keep proxies from closing the
 * stream, and the end of the stream when the service stops (browsers reconnect on their own).
 */
export function registerEvents(app: Hono<DashboardEnv>, feed: ChangeFeed): void {
  app.get('/events', (c) =>
    streamSSE(c, async (stream) => {
      if (feed.closed) return;
      let id = 0;
      const unsubscribe = feed.subscribe((change) => {
        void stream.writeSSE({ event: 'change', data: JSON.stringify(change), id: String(++id) });
      });
      const keepAlive = setInterval(() => void stream.write(': keep-alive\n\n'), 15_000);
      await stream.writeSSE({ event: 'hello', data: '{}' });
      await new Promise<void>((resolve) => {
        const offClose = feed.onClose(resolve);
        stream.onAbort(() => {
          offClose();
          resolve();
        });
      });
      clearInterval(keepAlive);
      unsubscribe();
    }),
  );
}
