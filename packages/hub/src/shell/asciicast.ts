// asciicast v2 (https://docs.asciinema.org/manual/asciicast/v2/): a JSON
// header line, then one JSON array per event: [seconds since start, code, data]
// with code "o" (output), "i" (input) or "r" (resize, "COLSxROWS").
// Terminal bytes are decoded as a UTF-8 stream, so a character split across
// two frames is written whole, in the later event.

export interface AsciicastHeader {
  width: number;
  height: number;
  /** Unix time of the start, in seconds. */
  timestamp: number;
  command?: string;
  title?: string;
  env?: Record<string, string>;
}

export type AsciicastEvent = [number, 'o' | 'i' | 'r', string];

export class AsciicastWriter {
  private readonly out = new TextDecoder('utf-8', { fatal: false });
  private readonly inp = new TextDecoder('utf-8', { fatal: false });

  constructor(
    private readonly startedAtMs: number,
    private readonly header: AsciicastHeader,
  ) {}

  headerLine(): string {
    return `${JSON.stringify({ version: 2, ...this.header })}\n`;
  }

  private line(atMs: number, code: 'o' | 'i' | 'r', data: string): string {
    const t = Math.max(0, atMs - this.startedAtMs) / 1000;
    return `${JSON.stringify([Number(t.toFixed(6)), code, data])}\n`;
  }

  /** An output event, or '' when the bytes end inside a character (they come with the next call). */
  output(atMs: number, bytes: Uint8Array): string {
    const text = this.out.decode(bytes, { stream: true });
    return text ? this.line(atMs, 'o', text) : '';
  }

  input(atMs: number, bytes: Uint8Array): string {
    const text = this.inp.decode(bytes, { stream: true });
    return text ? this.line(atMs, 'i', text) : '';
  }

  resize(atMs: number, cols: number, rows: number): string {
    return this.line(atMs, 'r', `${cols}x${rows}`);
  }

  /** Whatever the decoders still hold (a truncated character becomes U+FFFD). */
  finish(atMs: number): string {
    const o = this.out.decode();
    const i = this.inp.decode();
    return (o ? this.line(atMs, 'o', o) : '') + (i ? this.line(atMs, 'i', i) : '');
  }
}

/** Parses an asciicast v2 document (header + events); throws on malformed lines. */
export function parseAsciicast(text: string): {
  header: AsciicastHeader & { version: number };
  events: AsciicastEvent[];
} {
  const lines = text.split('\n').filter((l) => l.length > 0);
  const first = lines.shift();
  if (first === undefined) throw new Error('empty recording');
  const header = JSON.parse(first) as AsciicastHeader & { version: number };
  const events = lines.map((l): AsciicastEvent => {
    const e: unknown = JSON.parse(l);
    const parts: readonly unknown[] = Array.isArray(e) && e.length === 3 ? e : [];
    const [t, code, data] = parts;
    if (typeof t !== 'number' || typeof data !== 'string' || (code !== 'o' && code !== 'i' && code !== 'r')) {
      throw new Error(`malformed event: ${l.slice(0, 80)}`);
    }
    return [t, code, data];
  });
  return { header, events };
}
