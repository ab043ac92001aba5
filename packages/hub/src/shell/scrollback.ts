// The recent output of a shell, kept so a client that reloads the page (or
// loses its connection) sees what it had on screen when it reattaches.
// Bounded: the oldest bytes go first.

/** How far into the kept bytes a cut may look for a line start (a cut mid-line or mid-escape garbles one line). */
const LINE_SEARCH = 4096;

export class Scrollback {
  private chunks: Buffer[] = [];
  private size = 0;
  private cut = false;

  constructor(private readonly maxBytes: number) {}

  /** Keeps `payload`, which the caller must never change afterwards (the relay's own copy of a frame). */
  push(payload: Buffer): void {
    if (this.maxBytes <= 0 || payload.length === 0) return;
    this.chunks.push(payload);
    this.size += payload.length;
    while (this.size > this.maxBytes) {
      const first = this.chunks[0];
      if (!first) break;
      const over = this.size - this.maxBytes;
      if (first.length <= over) {
        this.chunks.shift();
        this.size -= first.length;
      } else {
        this.chunks[0] = first.subarray(over);
        this.size -= over;
      }
      this.cut = true;
    }
  }

  /** The kept bytes; once the oldest were dropped, from the first whole line on. */
  contents(): Buffer {
    const all = Buffer.concat(this.chunks, this.size);
    if (!this.cut) return all;
    const nl = all.subarray(0, LINE_SEARCH).indexOf(10);
    return nl >= 0 ? all.subarray(nl + 1) : all;
  }

  get bytes(): number {
    return this.size;
  }
}
