// The health badge (the rule itself is @wheelhouse/protocol's health.ts).
export { podState, workloadHealth, type Health, type PodState } from '@wheelhouse/protocol/core';

export function Badge({ level, children }: { level: string; children: React.ReactNode }) {
  return <span className={`badge ${level}`}>{children}</span>;
}
