/** How a TLS pass directive's block is named in text: `location /api/`, `server`, `stream server`. */
import type { UpstreamTls } from '../nginx/effective-settings.js';

export function blockLabel(u: UpstreamTls): string {
  if (u.location !== null) return `location ${u.location}`;
  return u.module === 'stream' ? 'stream server' : 'server';
}
