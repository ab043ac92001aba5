// A form for an action's params, generated from the catalog's JSON Schema, with
// the hub's per-field errors ("params.replicas: must be 0 or more") shown next
// to the field they name.
import type { ParamSchema } from '../api/types.js';
import { formatValue } from './format.js';

export type ParamValues = Record<string, unknown>;

/** Field type after unwrapping nullable/optional unions. */
function baseType(s: ParamSchema): string | undefined {
  if (s.type) return s.type;
  const nonNull = s.anyOf?.find((x) => x.type !== 'null');
  return nonNull?.type;
}

export function initialParams(schema: ParamSchema, given: ParamValues = {}): ParamValues {
  const out: ParamValues = {};
  for (const [k, s] of Object.entries(schema.properties ?? {})) {
    if (k in given) out[k] = given[k];
    else if (s.default !== undefined) out[k] = s.default;
  }
  return out;
}

/** The params to send: empty optional fields are left out. */
export function cleanParams(values: ParamValues): ParamValues {
  const out: ParamValues = {};
  for (const [k, v] of Object.entries(values)) if (v !== undefined && v !== '') out[k] = v;
  return out;
}

export function humanize(key: string): string {
  const words = key.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function ParamsForm({
  schema,
  values,
  onChange,
  errors,
  hidden = [],
}: {
  schema: ParamSchema;
  values: ParamValues;
  onChange: (v: ParamValues) => void;
  errors: Record<string, string>;
  hidden?: readonly string[];
}) {
  const required = new Set(schema.required ?? []);
  const fields = Object.entries(schema.properties ?? {}).filter(([k]) => !hidden.includes(k));
  if (fields.length === 0) return <p className="hint">This action takes no parameters.</p>;
  return (
    <>
      {fields.map(([key, s]) => {
        const type = baseType(s);
        const label = humanize(key) + (required.has(key) && s.default === undefined ? ' *' : '');
        const err = errors[`params.${key}`];
        const set = (v: unknown) => onChange({ ...values, [key]: v });
        const v = values[key];
        const describedBy = err ? `err-${key}` : undefined;
        if (type === 'boolean') {
          return (
            <label key={key} className="field" style={{ gridTemplateColumns: 'auto 1fr', alignItems: 'center' }}>
              <input
                type="checkbox"
                name={key}
                checked={v === true}
                onChange={(e) => set(e.target.checked)}
                aria-describedby={describedBy}
              />
              <span>
                {humanize(key)}
                {s.description && <span className="hint"> — {s.description}</span>}
              </span>
              {err && (
                <span id={describedBy} className="field-error">
                  {err}
                </span>
              )}
            </label>
          );
        }
        const multiline = key === 'manifest';
        return (
          <label key={key} className="field">
            <span>{label}</span>
            {s.enum ? (
              <select name={key} value={formatValue(v ?? '')} onChange={(e) => set(e.target.value)}>
                {s.enum.map((o) => (
                  <option key={String(o)} value={String(o)}>
                    {String(o)}
                  </option>
                ))}
              </select>
            ) : multiline ? (
              <textarea
                name={key}
                rows={14}
                className="mono"
                value={typeof v === 'string' ? v : ''}
                onChange={(e) => set(e.target.value)}
                aria-invalid={!!err}
                aria-describedby={describedBy}
              />
            ) : (
              <input
                name={key}
                type={type === 'integer' || type === 'number' ? 'number' : 'text'}
                step={type === 'integer' ? 1 : undefined}
                min={s.minimum}
                max={s.maximum}
                value={v === undefined || v === null ? '' : formatValue(v)}
                placeholder={
                  s.default === undefined ? (required.has(key) ? 'required' : 'optional') : formatValue(s.default)
                }
                onChange={(e) => {
                  const raw = e.target.value;
                  if (type === 'integer' || type === 'number') set(raw === '' ? undefined : Number(raw));
                  else set(raw === '' && !required.has(key) ? undefined : raw);
                }}
                aria-invalid={!!err}
                aria-describedby={describedBy}
              />
            )}
            {s.description && !multiline && <span className="hint">{s.description}</span>}
            {err && (
              <span id={describedBy} className="field-error">
                {err}
              </span>
            )}
          </label>
        );
      })}
    </>
  );
}
