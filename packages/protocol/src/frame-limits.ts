// The largest WebSocket frame a browser or the CLI may send on each user
// socket. Shell input is split into chunks of at most `shell` bytes by both
// clients (a paste, a pipe); the live feed and log streams take no input, so
// their bound only leaves room for a stray control frame. The hub closes a
// socket that sends more (1009) before buffering it. Zod-free: the console
// imports it. The agent link has its own, larger bound (MAX_FRAME_BYTES).
export const CLIENT_MAX_FRAME_BYTES = {
  shell: 64 * 1024,
  logs: 4 * 1024,
  // A forwarded connection's bytes (the CLI splits at 32 KiB; a console tab sends nothing).
  portForward: 64 * 1024,
  live: 4 * 1024,
} as const;
