// asciicast v2 (what the hub records shells as): a JSON header line, then one
// [seconds, "o"|"i"|"r", data] event per line.
import { optionalNumber, recordOf } from '@wheelhouse/protocol/core';
export interface Cast {
  width: number;
  height: number;
  events: { t: number; type: string; data: string }[];
  duration: number;
}

export function parseCast(text: string): Cast {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const header = recordOf(JSON.parse(lines[0] ?? '{}'));
  if (header.version !== 2) throw new Error(`not an asciicast v2 recording (version ${String(header.version)})`);
  const events: Cast['events'] = [];
  for (const l of lines.slice(1)) {
    const e: unknown = JSON.parse(l);
    if (Array.isArray(e) && typeof e[0] === 'number' && typeof e[1] === 'string' && typeof e[2] === 'string')
      events.push({ t: e[0], type: e[1], data: e[2] });
  }
  return {
    width: optionalNumber(header.width) ?? 80,
    height: optionalNumber(header.height) ?? 24,
    events,
    duration: events.at(-1)?.t ?? 0,
  };
}
