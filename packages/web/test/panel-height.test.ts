import { describe, expect, it } from 'vitest';
import { PANEL_MIN, clampPanel, panelBounds, panelHeightAfterKey } from '../src/shell/panel-height.js';

describe('shell panel height', () => {
  it('stays between a usable minimum and what leaves the tray and a strip of page visible', () => {
    expect(panelBounds(768)).toEqual({ min: PANEL_MIN, max: 768 - 134 });
    expect(clampPanel(10_000, 768)).toBe(768 - 134);
    expect(clampPanel(0, 768)).toBe(PANEL_MIN);
    expect(panelBounds(200).max).toBe(PANEL_MIN); // a tiny window: never below the minimum
  });

  it('moves with arrows and pages, jumps with Home and End, ignores other keys', () => {
    expect(panelHeightAfterKey('ArrowUp', 400, 768)).toBe(424);
    expect(panelHeightAfterKey('ArrowDown', 400, 768)).toBe(376);
    expect(panelHeightAfterKey('PageUp', 400, 768)).toBe(520);
    expect(panelHeightAfterKey('PageDown', 400, 768)).toBe(280);
    expect(panelHeightAfterKey('Home', 400, 768)).toBe(634);
    expect(panelHeightAfterKey('End', 400, 768)).toBe(PANEL_MIN);
    expect(panelHeightAfterKey('a', 400, 768)).toBeUndefined();
  });
});
