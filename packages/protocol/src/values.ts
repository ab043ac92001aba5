// Reading parsed JSON of unknown shape (Kubernetes objects, stored rows): one
// set of narrowing helpers for every package, each with one null convention.
import type { JsonObject, JsonValue } from './json.js';

export type UnknownRecord = Record<string, unknown>;

export const isRecord = (v: unknown): v is UnknownRecord => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The value as an object, or an empty one: for walking optional nested fields. */
export const recordOf = (v: unknown): UnknownRecord => (isRecord(v) ? v : {});

/** The value's object elements (others dropped), or none when it is not an array. */
export const recordsOf = (v: unknown): UnknownRecord[] => (Array.isArray(v) ? v.filter(isRecord) : []);

/** A string, or null: for fields a projection always carries. */
export const stringOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** A finite number, or null. */
export const numberOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** A string, or undefined: for optional fields that are left out when absent. */
export const optionalString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** A finite number, or undefined. */
export const optionalNumber = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;

/** The string values of an object (labels, selectors, quantities), others dropped; undefined when absent. */
export function stringRecordOf(v: unknown): Record<string, string> | undefined {
  if (!isRecord(v)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}

/** The string elements of an array; undefined when it is not an array. */
export const stringsOf = (v: unknown): string[] | undefined =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;

/** The `message` of an error body (Kubernetes Status, the hub's error body), if it has one. */
export const messageOf = (body: unknown): string | undefined => optionalString(recordOf(body).message);

/** Any parsed value as JSON: undefined members dropped, non-finite numbers and non-JSON values as null. */
export function toJson(v: unknown): JsonValue {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (Array.isArray(v)) return v.map(toJson);
  if (isRecord(v)) return toJsonObject(v);
  return null;
}

/** An object as a JSON object (see toJson). fromEntries defines keys, so even "__proto__" stays a plain key. */
export function toJsonObject(v: UnknownRecord): JsonObject {
  return Object.fromEntries(
    Object.entries(v)
      .filter(([, val]) => val !== undefined)
      .map(([k, val]) => [k, toJson(val)]),
  );
}

/** A stored JSON object column (written by us from a JsonObject) read back. */
export const parseJsonObject = (text: string): JsonObject => toJsonObject(recordOf(JSON.parse(text)));
