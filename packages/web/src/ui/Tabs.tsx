// Accessible tabs (arrow keys move between them); the chosen tab is kept in the URL.
import type { ReactNode } from 'react';
import { useQueryState } from './query-state.js';

export function Tabs({
  tabs,
  label,
}: {
  tabs: { id: string; title: string; render: () => ReactNode }[];
  label: string;
}) {
  const [current, setCurrent] = useQueryState('tab', tabs[0]?.id ?? '');
  const active = tabs.find((t) => t.id === current) ?? tabs[0];
  return (
    <>
      <div
        className="tabs"
        role="tablist"
        aria-label={label}
        onKeyDown={(e) => {
          if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
          const i = tabs.findIndex((t) => t.id === active?.id);
          const next = tabs[(i + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length];
          if (next) {
            setCurrent(next.id);
            document.getElementById(`tab-${next.id}`)?.focus();
          }
        }}
      >
        {tabs.map((t) => (
          <button
            key={t.id}
            id={`tab-${t.id}`}
            type="button"
            role="tab"
            aria-selected={t.id === active?.id}
            aria-controls={`panel-${t.id}`}
            tabIndex={t.id === active?.id ? 0 : -1}
            onClick={() => setCurrent(t.id)}
          >
            {t.title}
          </button>
        ))}
      </div>
      {active && (
        <div role="tabpanel" id={`panel-${active.id}`} aria-labelledby={`tab-${active.id}`}>
          {active.render()}
        </div>
      )}
    </>
  );
}
