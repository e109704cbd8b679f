// Where the metrics endpoint's serving certificate comes from: a directory
// with tls.crt and tls.key (a mounted Secret, e.g. from cert-manager), re-read
// when its files change so a renewed certificate is served without a restart,
// or a self-signed one made in memory at start.
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { Logger } from 'pino';
import { selfSignedCertificate, type Credentials } from './selfsigned.js';

export type { Credentials } from './selfsigned.js';

export interface TlsSource {
  /** Description for logs. */
  readonly describe: string;
  load(): Promise<Credentials>;
  /** Calls onChange with each new pair it finds; returns what stops looking. */
  watch?(onChange: (c: Credentials) => void): () => void;
}

/** The names a self-signed certificate is made for: the pod's name and loopback. */
export function defaultCertificateNames(): string[] {
  return [hostname(), 'localhost', '127.0.0.1', '::1'];
}

export function selfSignedTls(names: readonly string[] = defaultCertificateNames()): TlsSource {
  return {
    describe: 'self-signed certificate made at start',
    load: () => Promise.resolve(selfSignedCertificate({ names })),
  };
}

async function readPair(dir: string): Promise<Credentials> {
  const [cert, key] = await Promise.all([
    readFile(join(dir, 'tls.crt'), 'utf8'),
    readFile(join(dir, 'tls.key'), 'utf8'),
  ]);
  // Throws on a key that does not belong to the certificate, before anything is served with it.
  createSecureContext({ cert, key });
  return { cert, key };
}

/**
 * tls.crt and tls.key from a directory. A missing or broken pair at start is
 * an error (the operator exits and says why); later, a pair that cannot be
 * read or does not match keeps the one being served and is logged. Polling,
 * because a Secret volume is updated by swapping a symlink, which file
 * watches see unreliably; two small reads every interval cost nothing.
 */
export function certDirTls(dir: string, log: Logger, intervalMs = 10_000): TlsSource {
  let current = '';
  return {
    describe: `certificate from ${dir}`,
    load: async () => {
      const pair = await readPair(dir);
      current = pair.cert + pair.key;
      return pair;
    },
    watch: (onChange) => {
      let lastError = '';
      const timer = setInterval(() => {
        readPair(dir).then(
          (pair) => {
            lastError = '';
            if (pair.cert + pair.key === current) return;
            current = pair.cert + pair.key;
            log.info({ dir }, 'metrics serving certificate reloaded');
            onChange(pair);
          },
          (err: unknown) => {
            const message = err instanceof Error ? err.message : String(err);
            if (message !== lastError) log.warn({ dir, err: message }, 'metrics certificate not reloaded');
            lastError = message;
          },
        );
      }, intervalMs);
      timer.unref();
      return () => {
        clearInterval(timer);
      };
    },
  };
}
