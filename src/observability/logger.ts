// Structured JSON logs. One logger per process; components and reconcile
// passes take children so every line says where it came from.
import { pino, type Logger, type LevelWithSilent } from 'pino';
import { managerName } from '../api/v1alpha1/vocabulary.js';

export type { Logger } from 'pino';

export const logLevels: readonly LevelWithSilent[] = [
  'trace',
  'debug',
  'info',
  'warn',
  'error',
  'fatal',
  'silent',
];

export function isLogLevel(value: string): value is LevelWithSilent {
  return (logLevels as readonly string[]).includes(value);
}

export function createLogger(level: LevelWithSilent = 'info'): Logger {
  return pino({
    level,
    base: { app: managerName },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
