/** Times and states the way people read them: relative, absolute (UTC) and durations. */
const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['year', 365 * 86400],
  ['month', 30 * 86400],
  ['day', 86400],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];
const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

export function relativeTime(epochSeconds: number, nowMs = Date.now()): string {
  const diff = epochSeconds - nowMs / 1000;
  for (const [unit, secs] of UNITS) {
    if (Math.abs(diff) >= secs || unit === 'second') return rtf.format(Math.round(diff / secs), unit);
  }
  return '';
}

export function absoluteTime(epochSeconds: number): string {
  return `${new Date(epochSeconds * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${rest} s`;
  return `${rest} s`;
}

export const FINISHED_STATES = new Set(['succeeded', 'forked', 'canceled', 'skipped', 'failed']);

export function isFinished(state: string): boolean {
  return FINISHED_STATES.has(state);
}

export const ALL_STATES = ['pending', 'waiting', 'importing', 'starting', 'running', 'succeeded', 'forked', 'failed', 'canceled', 'skipped'];
