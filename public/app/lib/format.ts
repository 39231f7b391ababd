/** Display helpers shared by the views: one place decides how times and counts read. */
import moment from 'moment';

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const m = moment(iso);
  return m.isValid() ? m.format('MMM D, YYYY HH:mm:ss') : iso;
}

/** Short form for table cells; the full timestamp goes in a tooltip. */
export function formatShortDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const m = moment(iso);
  return m.isValid() ? m.format('MMM D HH:mm') : iso;
}

export function formatRelative(iso: string | null | undefined): string {
  if (!iso) return '—';
  const m = moment(iso);
  return m.isValid() ? m.fromNow() : iso;
}

export function formatDuration(ms: number | null | undefined): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  const rest = Math.round(s - m * 60);
  return m < 60 ? `${m} min ${rest} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function formatCount(n: number | null | undefined): string {
  return typeof n === 'number' && Number.isFinite(n) ? n.toLocaleString('en-US') : '—';
}

/** "+4.2 s" from the first event, for reading a timeline at a glance. */
export function formatOffset(fromIso: string, iso: string): string {
  const d = Date.parse(iso) - Date.parse(fromIso);
  if (!Number.isFinite(d)) return '';
  return d === 0 ? '+0 s' : `+${formatDuration(d)}`;
}
