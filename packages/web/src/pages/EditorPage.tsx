// Resource editor: YAML with highlighting and validation; edit a live object
// or create new ones. Every change is previewed by a server dry run (the
// field diff) before it is applied with the apply action; delete goes through
// the delete action. ?kind=&namespace=&name= opens an object; with
// &raise=memory&container=<name> the container's memory limit is doubled and
// previewed at once (the "Edit resources" suggestion after an OOM kill).
// Unsaved edits are not lost silently: leaving asks first. A create links to
// what it created once it succeeded.
import { useEffect, useState } from 'react';
import { Link, useSearch } from 'wouter';
import { errorText } from '../api/client.js';
import type { ActionPreview, CommandTarget } from '../api/types.js';
import { useCommand } from '../data/hooks.js';
import { checkManifest, editableYaml, raiseMemoryLimit, type MemoryRaise } from '../data/manifest.js';
import { doubleQuantity } from '../data/why.js';
import { ActionButton } from '../ui/ActionMenu.js';
import { PreviewView, actionRequests, fieldErrors } from '../ui/ActionDialog.js';
import { CommandStatus } from '../ui/CommandStatus.js';
import { LazyYamlEditor } from '../ui/LazyYamlEditor.js';
import { fetchObject } from '../ui/ObjectYaml.js';
import { useUnsavedChangesGuard } from '../ui/unsaved-guard.js';
import { objectHref } from '../links.js';

const NEW_TEMPLATE = `apiVersion: v1
kind: ConfigMap
metadata:
  name: example
  namespace: default
data:
  key: value
`;

export function EditorPage({ cluster }: { cluster: string }) {
  // A different object (or "create") starts from a clean editor: no leftover reason, force or preview.
  const search = useSearch();
  return <Editor key={`${cluster}?${search}`} cluster={cluster} search={search} />;
}

function Editor({ cluster, search }: { cluster: string; search: string }) {
  const q = new URLSearchParams(search);
  const kind = q.get('kind') ?? '';
  const name = q.get('name') ?? '';
  const namespace = q.get('namespace') ?? '';
  const editing = kind !== '' && name !== '';
  const raiseFor = q.get('raise') === 'memory' ? q.get('container') : null;
  const [suggestion, setSuggestion] = useState<MemoryRaise | 'unavailable'>();
  const [original, setOriginal] = useState<string>();
  const [text, setText] = useState(editing ? '' : NEW_TEMPLATE);
  const [loadError, setLoadError] = useState<string>();
  const [reason, setReason] = useState('');
  // An edit is an explicit intent to set these values (as kubectl edit does): take over fields
  // other managers own. Creating leaves them alone by default.
  const [force, setForce] = useState(editing);
  const [preview, setPreview] = useState<ActionPreview | string>();
  const [previewedText, setPreviewedText] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [commandId, setCommandId] = useState<string>();
  /** The text the last apply sent, and its target. */
  const [sentText, setSentText] = useState<string>();
  const [appliedTarget, setAppliedTarget] = useState<CommandTarget>();
  /** The text of the last apply that succeeded: nothing unsaved while the editor still holds it.
   * An apply that was accepted but then failed (a conflict, a webhook) saved nothing. */
  const [savedText, setSavedText] = useState<string>();
  const applying = useCommand(cluster, commandId);
  const succeeded = applying?.id === commandId && applying?.state === 'succeeded';
  useEffect(() => {
    if (succeeded && sentText !== undefined) setSavedText(sentText);
  }, [succeeded, sentText]);

  async function load() {
    if (!editing) return;
    setLoadError(undefined);
    try {
      const o = await fetchObject(cluster, kind, namespace, name);
      const y = editableYaml(o.object);
      setOriginal(y);
      setText(y);
      setSavedText(undefined);
      setPreview(undefined);
      setCommandId(undefined);
      if (raiseFor) {
        const raised = raiseMemoryLimit(y, raiseFor, doubleQuantity);
        setSuggestion(raised ?? 'unavailable');
        if (raised) {
          setText(raised.text);
          await previewOf(raised.text);
        }
      }
    } catch (err) {
      setLoadError(errorText(err));
    }
  }
  useEffect(() => {
    void load();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- reload when the object changes
  }, [cluster, kind, namespace, name]);

  const check = checkManifest(text, namespace);
  const target = check.ok ? check.target : undefined;
  const dirty = editing ? original !== undefined && text !== original : true;
  const baseline = savedText ?? (editing ? original : NEW_TEMPLATE);
  useUnsavedChangesGuard(baseline !== undefined && text !== baseline);

  async function doPreview() {
    await previewOf(text);
  }

  async function previewOf(manifest: string) {
    const checked = checkManifest(manifest, namespace);
    if (!checked.ok) return;
    setBusy(true);
    setError(undefined);
    try {
      setPreview(await actionRequests(cluster, 'apply', checked.target).preview({ manifest, force }));
      setPreviewedText(manifest);
    } catch (err) {
      setPreview(undefined);
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  async function doApply() {
    if (!target) return;
    setBusy(true);
    setError(undefined);
    try {
      setCommandId(await actionRequests(cluster, 'apply', target).run({ manifest: text, force }, reason));
      setSentText(text);
      setAppliedTarget(target);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const errs = fieldErrors(error);
  return (
    <>
      <div className="toolbar">
        <h1 className="grow" style={{ margin: 0 }}>
          {editing ? `Edit ${kind} ${namespace ? `${namespace}/` : ''}${name}` : 'Create resources'}
        </h1>
        {editing && (
          <button type="button" onClick={() => void load()}>
            Reload from cluster
          </button>
        )}
        {editing && <ActionButton cluster={cluster} target={{ kind, namespace, name }} actionId="delete" />}
      </div>
      {loadError && (
        <div className="error-box" role="alert">
          {loadError}
        </div>
      )}
      {suggestion && (
        <div className="panel" role="note" aria-label="Suggested change">
          {suggestion === 'unavailable'
            ? `Container ${raiseFor ?? ''} has no memory limit or request to raise from: set resources.limits.memory below.`
            : `Suggested after an out-of-memory kill: ${suggestion.container}'s memory limit ${
                suggestion.from ? `from ${suggestion.from} ` : ''
              }to ${suggestion.to}. Review the preview below, then Apply (or change the value first).`}
        </div>
      )}
      <p className="hint">
        {editing
          ? 'Change the YAML, preview the change (a server-side dry run shows exactly which fields change), then apply. Status and server-set metadata are left out.'
          : 'Paste or write one or more YAML documents. The first document is the target; all must be in its namespace.'}
      </p>
      {(!editing || original !== undefined) && (
        <LazyYamlEditor
          value={text}
          onChange={(v) => {
            setText(v);
            setCommandId(undefined);
          }}
          label="Manifest"
          height="48vh"
        />
      )}
      {!check.ok && (
        <ul className="field-error" aria-label="Manifest problems">
          {check.errors.map((e) => (
            <li key={e}>{e}</li>
          ))}
        </ul>
      )}
      {errs['params.manifest'] && <div className="error-box">{errs['params.manifest']}</div>}
      <div className="toolbar" style={{ marginTop: 10 }}>
        <input
          aria-label="Reason"
          placeholder="Reason (recorded in the audit log)"
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          style={{ flex: 1 }}
        />
        <label title="server-side apply force: fields you change that another field manager owns become Wheelhouse's">
          <input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} /> Take over fields other
          managers own
        </label>
        <button type="button" disabled={!target || busy || !dirty} onClick={() => void doPreview()}>
          Preview changes
        </button>
        <button
          type="button"
          className="primary"
          disabled={!target || busy || !dirty || previewedText !== text}
          title={previewedText !== text ? 'Preview the change first' : undefined}
          onClick={() => void doApply()}
        >
          Apply
        </button>
      </div>
      {error !== undefined && !errs['params.manifest'] && (
        <div className="error-box" role="alert">
          {errorText(error)}
        </div>
      )}
      {typeof preview === 'string' && <p className="hint">{preview}</p>}
      {preview && typeof preview !== 'string' && previewedText === text && <PreviewView preview={preview} />}
      {commandId && target && (
        <div className="panel">
          <CommandStatus cluster={cluster} id={commandId} />
          {!editing && appliedTarget && <CreatedLink cluster={cluster} id={commandId} target={appliedTarget} />}
        </div>
      )}
    </>
  );
}

/** After a create succeeded: the way to what was created. */
function CreatedLink({ cluster, id, target }: { cluster: string; id: string; target: CommandTarget }) {
  const cmd = useCommand(cluster, id);
  if (cmd?.state !== 'succeeded') return null;
  const what = `${target.kind} ${target.namespace ? `${target.namespace}/` : ''}${target.name}`;
  return (
    <p>
      Created: <Link href={objectHref(cluster, target.kind, target.namespace, target.name)}>Open {what}</Link>
    </p>
  );
}
