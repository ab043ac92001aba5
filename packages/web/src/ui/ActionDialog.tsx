// One dialog for every action: params (from the catalog's schema), a reason,
// the agent's dry-run preview (diff, warnings, affected objects), then the
// command's live status until it is terminal.
import { useEffect, useState } from 'react';
import { ApiError, api, errorText } from '../api/client.js';
import type { ActionPreview, CatalogAction, CommandTarget } from '../api/types.js';
import { CommandStatus } from './CommandStatus.js';
import { dangerClass } from './danger.js';
import { Dialog } from './Dialog.js';
import { DiffView } from './DiffView.js';
import { ParamsForm, cleanParams, initialParams, type ParamValues } from './ParamsForm.js';
import { RevisionPicker } from './RevisionPicker.js';

export interface ActionRun {
  preview: (params: ParamValues) => Promise<ActionPreview | string>;
  run: (params: ParamValues, reason: string) => Promise<string>;
}

/** POSTs an action; dry runs answer 200 with the preview when the agent is connected. */
export function actionRequests(cluster: string, action: string, target: CommandTarget): ActionRun {
  const path = `/api/v1/clusters/${encodeURIComponent(cluster)}/actions`;
  return {
    async preview(params) {
      const res = await api<{ id: string; status: string; message?: string; preview?: ActionPreview }>(path, {
        method: 'POST',
        body: { action, target, params: cleanParams(params), dryRun: true },
      });
      if (res.preview) return res.preview;
      // A dry run that failed (a conflict, a missing object…) is an error, not a preview.
      if (res.status === 'failed' || res.status === 'rejected')
        throw new Error(res.message ?? `the dry run ${res.status}`);
      return res.message ?? 'The agent is not connected; no preview is available now.';
    },
    async run(params, reason) {
      const res = await api<{ id: string }>(path, {
        method: 'POST',
        body: { action, target, params: cleanParams(params), ...(reason.trim() ? { reason: reason.trim() } : {}) },
      });
      return res.id;
    },
  };
}

export function fieldErrors(err: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (err instanceof ApiError) for (const i of err.issues) out[i.path] = i.message;
  return out;
}

export function PreviewView({ preview }: { preview: ActionPreview }) {
  return (
    <section aria-label="Preview">
      <h3>Preview</h3>
      <p>{preview.summary}</p>
      {preview.warnings.length > 0 && (
        <ul className="warnings" aria-label="Warnings">
          {preview.warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      )}
      <DiffView changes={preview.diff} />
      {preview.affected.length > 0 && (
        <>
          <h3>Affected</h3>
          <ul>
            {preview.affected.map((a) => (
              <li key={`${a.kind}/${a.namespace}/${a.name}`}>
                {a.kind} {a.namespace ? `${a.namespace}/` : ''}
                {a.name} — {a.effect}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

export function ActionDialog({
  cluster,
  action,
  target,
  defaults,
  onClose,
}: {
  cluster: string;
  action: CatalogAction;
  target: CommandTarget;
  defaults?: ParamValues;
  onClose: () => void;
}) {
  const [values, setValues] = useState<ParamValues>(() => initialParams(action.params, defaults));
  const [reason, setReason] = useState('');
  const [preview, setPreview] = useState<ActionPreview | string>();
  const [previewing, setPreviewing] = useState(false);
  const [error, setError] = useState<unknown>();
  const [commandId, setCommandId] = useState<string>();
  const req = actionRequests(cluster, action.id, target);

  async function doPreview(v: ParamValues) {
    setPreviewing(true);
    setError(undefined);
    try {
      setPreview(await req.preview(v));
    } catch (err) {
      setPreview(undefined);
      setError(err);
    } finally {
      setPreviewing(false);
    }
  }

  // A first preview as the dialog opens, with the defaults.
  useEffect(() => {
    void doPreview(values);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- once, on open
  }, []);

  async function run() {
    setError(undefined);
    try {
      setCommandId(await req.run(values, reason));
    } catch (err) {
      setError(err);
    }
  }

  const errors = fieldErrors(error);
  // A Deployment's revisions are its ReplicaSets, which the inventory has: pick from a list.
  const pickRevision = action.id === 'rollback' && target.kind === 'Deployment';
  const where = `${target.kind} ${target.namespace ? `${target.namespace}/` : ''}${target.name}`;
  return (
    <Dialog
      title={`${action.title}: ${where}`}
      onClose={onClose}
      footer={
        commandId ? (
          <button type="button" onClick={onClose}>
            Close
          </button>
        ) : (
          <>
            <button type="button" onClick={onClose}>
              Cancel
            </button>
            <button type="button" onClick={() => void doPreview(values)} disabled={previewing}>
              {previewing ? 'Previewing…' : 'Preview'}
            </button>
            <button type="button" className={dangerClass(action, 'primary')} onClick={() => void run()}>
              Run {action.title.toLowerCase()}
            </button>
          </>
        )
      }
    >
      <p className="hint">{action.description}</p>
      <fieldset disabled={!!commandId} style={{ border: 'none', padding: 0, margin: 0 }}>
        {pickRevision && (
          <RevisionPicker
            cluster={cluster}
            namespace={target.namespace}
            name={target.name}
            value={typeof values.toRevision === 'number' ? values.toRevision : undefined}
            onPick={(toRevision) => {
              const next = { ...values, toRevision };
              setValues(next);
              // The diff to the current revision is what the choice is made on: preview it at once.
              void doPreview(next);
            }}
          />
        )}
        {errors['params.toRevision'] && pickRevision && (
          <span className="field-error">{errors['params.toRevision']}</span>
        )}
        <ParamsForm
          schema={action.params}
          values={values}
          onChange={setValues}
          errors={errors}
          hidden={pickRevision ? ['toRevision'] : []}
        />
        <label className="field">
          <span>Reason</span>
          <input
            name="reason"
            value={reason}
            maxLength={1024}
            placeholder="Why? (recorded in the audit log)"
            onChange={(e) => setReason(e.target.value)}
          />
        </label>
      </fieldset>
      {error !== undefined && (
        <div className="error-box" role="alert">
          {/* Field problems are shown at their fields; the box says what happened. */}
          {error instanceof ApiError && error.issues.length > 0 ? error.message : errorText(error)}
        </div>
      )}
      {!commandId && typeof preview === 'string' && <p className="hint">{preview}</p>}
      {!commandId && preview && typeof preview !== 'string' && <PreviewView preview={preview} />}
      {commandId && <CommandStatus cluster={cluster} id={commandId} />}
    </Dialog>
  );
}
