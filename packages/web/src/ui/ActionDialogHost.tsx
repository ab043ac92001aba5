// Action dialogs live here, above the pages: a dialog opened from a table row
// must outlive the row (deleting a pod removes its row while the dialog still
// shows the command's status).
import { createContext, useCallback, useContext, useState, type ReactNode } from 'react';
import type { CatalogAction, CommandTarget } from '../api/types.js';
import { ActionDialog } from './ActionDialog.js';
import type { ParamValues } from './ParamsForm.js';

interface Request {
  cluster: string;
  action: CatalogAction;
  target: CommandTarget;
  defaults?: ParamValues;
}

const Ctx = createContext<(r: Request) => void>(() => undefined);

export function ActionDialogHost({ children }: { children: ReactNode }) {
  const [open, setOpen] = useState<Request & { key: number }>();
  const show = useCallback((r: Request) => setOpen({ ...r, key: Date.now() }), []);
  return (
    <Ctx.Provider value={show}>
      {children}
      {open && (
        <ActionDialog
          key={open.key}
          cluster={open.cluster}
          action={open.action}
          target={open.target}
          defaults={open.defaults}
          onClose={() => setOpen(undefined)}
        />
      )}
    </Ctx.Provider>
  );
}

export function useActionDialog(): (r: Request) => void {
  return useContext(Ctx);
}
