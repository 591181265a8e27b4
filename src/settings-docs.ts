import { settingsTable } from './settings.js';

const BEGIN = '<!-- settings:begin (generated from src/settings.ts by `npm run docs:config`) -->\n';
const END = '<!-- settings:end -->';

/**
 * The generated table of each document: docs/configuration.md, every setting. The README names the
 * essential ones in prose and links there, so new settings do not grow it past its size limit.
 */
export function configurationTables(): Record<string, string> {
  return {
    'docs/configuration.md': settingsTable(['essential', 'tuning', 'throttle']),
  };
}

/** `text` with what stands between the settings markers replaced by `table`. */
export function replaceBetweenMarkers(text: string, table: string): string {
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (start === -1 || end < start) throw new Error('settings markers not found');
  return text.slice(0, start + BEGIN.length) + table + text.slice(end);
}

/** What stands between the markers, or `null` without them. */
export function tableBetweenMarkers(text: string): string | null {
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  return start === -1 || end < start ? null : text.slice(start + BEGIN.length, end);
}
