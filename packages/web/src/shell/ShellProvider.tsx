// Placeholder until the shell tray lands (see shell/README in the issue).
import type { ReactNode } from 'react';

export interface ShellTarget {
  cluster: string;
  namespace: string;
  pod: string;
  container?: string;
}

export function ShellProvider({ children }: { children: ReactNode }) {
  return <>{children}</>;
}

export function useShells(): { open: (target: ShellTarget) => void } {
  return { open: () => undefined };
}

export function ShellTray() {
  return null;
}
