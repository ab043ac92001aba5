// One shell: an xterm.js terminal and its WebSocket to the hub. It lives
// outside React so minimizing, switching and navigating never dispose the
// terminal (scrollback survives); React only moves its element in and out of
// the panel.
import { FitAddon } from '@xterm/addon-fit';
import { Terminal, type ITheme } from '@xterm/xterm';
// With the terminal's own chunk, not in the console's first load (issue 18).
import '@xterm/xterm/css/xterm.css';
import { CLIENT_MAX_FRAME_BYTES } from '@wheelhouse/protocol/core';
import { api, ApiError, errorText, wsUrl } from '../api/client.js';
import { binaryStringBytes, endNotice, parseControl, resizeMessage, shellPath } from './protocol.js';
import type { EndKind, Participant, SessionTarget } from './sessions.js';

export interface SessionEvents {
  opened(sessionId: string, container: string): void;
  exit(code: number): void;
  error(message: string): void;
  ended(kind: EndKind, notice: string): void;
  participants(list: Participant[]): void;
}

// Terminals stay dark in both themes (like the log viewer).
const THEME: ITheme = {
  background: '#0f1319',
  foreground: '#d7dde8',
  cursor: '#d7dde8',
  cursorAccent: '#0f1319',
  selectionBackground: '#3a4a66',
  black: '#1b2029',
  red: '#ff6b6b',
  green: '#4cc27e',
  yellow: '#e5a542',
  blue: '#6b95ff',
  magenta: '#c792ea',
  cyan: '#5fd3e0',
  white: '#d7dde8',
  brightBlack: '#5b6578',
  brightRed: '#ff8a8a',
  brightGreen: '#6fdc9b',
  brightYellow: '#f2c46b',
  brightBlue: '#8fb0ff',
  brightMagenta: '#ddb0f5',
  brightCyan: '#8be7f0',
  brightWhite: '#ffffff',
};

const encoder = new TextEncoder();

export class TerminalSession {
  /** The element xterm renders into; React moves it into the visible panel. */
  readonly element: HTMLDivElement;
  private readonly term: Terminal;
  private readonly fitAddon = new FitAddon();
  private readonly resizeObserver: ResizeObserver | null;
  private ws: WebSocket | null = null;
  private termOpened = false;
  private started = false;
  private disposed = false;
  private frame = 0;
  /** A detached session to take back on the next connect (after a page reload), instead of starting one. */
  private reattachId: string | undefined;

  constructor(
    readonly key: string,
    private target: SessionTarget,
    private readonly events: SessionEvents,
    reattach?: string,
  ) {
    this.reattachId = reattach;
    this.element = document.createElement('div');
    this.element.className = 'shell-term';
    this.element.dataset.testid = `terminal-${key}`;
    this.term = new Terminal({
      cursorBlink: true,
      fontFamily: "ui-monospace, 'SFMono-Regular', 'DejaVu Sans Mono', Menlo, Consolas, monospace",
      fontSize: 13,
      scrollback: 5000,
      theme: THEME,
    });
    this.term.loadAddon(this.fitAddon);
    this.term.onData((d) => this.send(encoder.encode(d)));
    this.term.onBinary((d) => this.send(binaryStringBytes(d)));
    this.term.onResize(({ cols, rows }) => {
      if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(resizeMessage(cols, rows));
    });
    this.resizeObserver = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(() => this.scheduleFit());
    this.resizeObserver?.observe(this.element);
  }

  /** Puts the terminal into `host` (the panel); the first time, connects. */
  attach(host: HTMLElement): void {
    if (this.disposed) return;
    if (this.element.parentElement !== host) host.appendChild(this.element);
    if (!this.termOpened) {
      this.term.open(this.element);
      this.termOpened = true;
    }
    this.fit();
    if (!this.started) {
      this.started = true;
      this.connect();
    }
  }

  detach(host: HTMLElement): void {
    if (this.element.parentElement === host) host.removeChild(this.element);
  }

  /** Fits the terminal to its element when that is visible (a hidden panel measures 0). */
  fit(): void {
    if (!this.termOpened || this.disposed || this.element.clientWidth === 0 || this.element.clientHeight === 0) return;
    try {
      this.fitAddon.fit();
    } catch {
      // not measurable yet (fonts still loading); the next resize fits
    }
  }

  focus(): void {
    if (this.termOpened) this.term.focus();
  }

  /** A new connection on the same terminal (the scrollback stays): a new session. */
  reconnect(target?: SessionTarget): void {
    if (this.disposed) return;
    if (target) this.target = target;
    this.reattachId = undefined;
    this.closeSocket();
    this.term.write('\r\n\x1b[2m── reconnecting ──\x1b[0m\r\n');
    this.connect();
  }

  /** Ends the session (a normal WebSocket close; the hub ends it) and frees the terminal. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.frame) cancelAnimationFrame(this.frame);
    this.closeSocket();
    this.resizeObserver?.disconnect();
    this.term.dispose();
    this.element.remove();
  }

  private scheduleFit(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.fit();
    });
  }

  /** Input in frames the hub accepts (a large paste is several frames). */
  private send(bytes: Uint8Array): void {
    const ws = this.ws;
    if (ws?.readyState !== WebSocket.OPEN) return;
    const max = CLIENT_MAX_FRAME_BYTES.shell;
    for (let i = 0; i < bytes.length; i += max) ws.send(bytes.subarray(i, i + max));
  }

  private closeSocket(): void {
    const ws = this.ws;
    this.ws = null; // its events are ignored from now on
    if (ws && (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING))
      ws.close(1000, 'closed by the user');
  }

  private notice(text: string, colour: 'yellow' | 'red' | 'dim'): void {
    const sgr = colour === 'yellow' ? '33' : colour === 'red' ? '31' : '2';
    this.term.write(`\r\n\x1b[${sgr}m${text}\x1b[0m\r\n`);
  }

  private end(kind: EndKind, notice: string): void {
    this.term.options.disableStdin = true;
    this.notice(notice, kind === 'closed' ? 'dim' : 'yellow');
    this.events.ended(kind, notice);
  }

  private connect(): void {
    this.fit();
    this.term.options.disableStdin = false;
    const join = this.target.join;
    // An observer's keys are not sent (the hub would refuse them anyway).
    this.term.options.disableStdin = join?.mode === 'observer';
    const path = join
      ? `/api/v1/sessions/${encodeURIComponent(join.sessionId)}/join?mode=${join.mode}`
      : shellPath(this.target, {
          cols: this.term.cols,
          rows: this.term.rows,
          ...(this.reattachId ? { session: this.reattachId } : {}),
        });
    // Taken back once: a later Reconnect starts a new session.
    this.reattachId = undefined;
    let ws: WebSocket;
    try {
      ws = new WebSocket(wsUrl(path));
    } catch (err) {
      this.end('refused', `Could not open the shell: ${errorText(err)}`);
      return;
    }
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    let upgraded = false;
    let endedByHub = false;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      upgraded = true;
      // The size may have changed while connecting.
      ws.send(resizeMessage(this.term.cols, this.term.rows));
    };
    ws.onmessage = (e: MessageEvent) => {
      if (this.ws !== ws) return;
      if (e.data instanceof ArrayBuffer) {
        this.term.write(new Uint8Array(e.data));
        return;
      }
      if (typeof e.data !== 'string') return;
      const msg = parseControl(e.data);
      if (!msg) return;
      switch (msg.type) {
        case 'opened':
          this.events.opened(msg.sessionId, msg.container);
          break;
        case 'joined':
          this.notice(`[joined ${msg.owner}'s session as ${msg.role}]`, 'dim');
          this.events.opened(msg.sessionId, msg.container);
          break;
        case 'participants':
          this.events.participants(msg.participants);
          break;
        case 'moderation':
          this.notice(`[${msg.message}]`, msg.held ? 'yellow' : 'dim');
          break;
        case 'reattached':
          // The hub replays the session's recent output next: start from a clean screen.
          this.term.reset();
          this.events.opened(msg.sessionId, msg.container);
          break;
        case 'exit':
          this.notice(`[process exited with code ${msg.code}]`, msg.code === 0 ? 'dim' : 'yellow');
          this.events.exit(msg.code);
          break;
        case 'error':
          this.notice(`Error: ${msg.message}`, 'red');
          this.events.error(msg.message);
          break;
        case 'closed':
          endedByHub = true;
          this.end(msg.reason, endNotice(msg.reason, msg.message));
          break;
      }
    };
    ws.onclose = (e: CloseEvent) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (endedByHub) return;
      if (upgraded) {
        this.end(
          'disconnected',
          `Session ended: the connection to the hub closed (code ${e.code}${e.reason ? `: ${e.reason}` : ''})`,
        );
        return;
      }
      // Refused before the upgrade: browsers hide the HTTP answer, so ask again without upgrading.
      void this.probe(path);
    };
  }

  private async probe(path: string): Promise<void> {
    let kind: EndKind = 'refused';
    let why: string;
    try {
      await api<unknown>(path);
      kind = 'disconnected';
      why = 'the WebSocket connection failed';
    } catch (err) {
      if (err instanceof ApiError && err.code === 'upgrade_required') {
        kind = 'disconnected';
        why =
          'the hub accepts this shell but the WebSocket connection failed (a proxy or the network may block WebSockets); try Reconnect';
      } else {
        why = errorText(err);
      }
    }
    if (this.disposed || this.ws) return; // closed or reconnected meanwhile
    this.end(kind, `Could not open the shell: ${why}`);
  }
}
