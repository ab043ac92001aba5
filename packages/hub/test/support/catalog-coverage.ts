// Which catalog actions have a real-cluster end-to-end test, found by reading
// the integration tests (*.int.test.ts: the project that runs against the
// local control plane) with the TypeScript parser.
//
// A test case (one `it(…)`/`test(…)`) covers action X only when all three hold
// inside that case:
//   1. it sends X for real: an object literal `{ action: 'X', … }` that is not
//      a dry run (`dryRun: true`) nor the argument of a `preview(…)` call — or,
//      in the console tests, clicks the button named `Run <title of X>`;
//   2. after sending it, the case expects success — `.toBe('succeeded')` /
//      `.toEqual('succeeded')` — and that expectation is not already taken by
//      an action sent later (each expectation pairs with the latest unpaired send);
//   3. it reads the result back from the API server: a call of a Kubernetes
//      client method named read…/list… (readNamespacedDeployment, listNamespacedPod…).
// Comments, strings elsewhere, unit tests, refused requests and previews do
// not count, so a mention cannot satisfy the check by accident.
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

export interface CatalogEntry {
  id: string;
  title: string;
}

export interface CoveringCase {
  file: string;
  test: string;
}

const SKIP_DIRS = new Set(['node_modules', 'dist', '.git']);
/** The read methods of @kubernetes/client-node's typed APIs (readNamespacedPod, listNode…), not readFileSync. */
const KUBE_READ = /^(read|list)(Namespaced[A-Z]\w*|Node|Namespace|PersistentVolume|StorageClass|\w+ForAllNamespaces)$/;

/** Every *.int.test.ts under the roots. */
export function integrationTestFiles(roots: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) walk(join(dir, e.name));
      } else if (e.name.endsWith('.int.test.ts')) out.push(join(dir, e.name));
    }
  };
  for (const r of roots) walk(r);
  return out.sort();
}

const isTestCall = (n: ts.Node): n is ts.CallExpression =>
  ts.isCallExpression(n) &&
  ts.isIdentifier(n.expression) &&
  (n.expression.text === 'it' || n.expression.text === 'test') &&
  n.arguments.some((a) => ts.isArrowFunction(a) || ts.isFunctionExpression(a));

const calledName = (c: ts.CallExpression): string | undefined =>
  ts.isPropertyAccessExpression(c.expression)
    ? c.expression.name.text
    : ts.isIdentifier(c.expression)
      ? c.expression.text
      : undefined;

function literalProperty(o: ts.ObjectLiteralExpression, name: string): ts.Expression | undefined {
  for (const p of o.properties)
    if (ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) && p.name.text === name)
      return p.initializer;
  return undefined;
}

/**
 * The actions one test case runs and sees succeed: each success expectation
 * is paired with the latest action sent before it that has no expectation yet
 * — so a refused request, a second action or an expectation written before
 * the action ran does not borrow another's — provided the case reads from
 * the API server.
 */
function actionsSeenSucceeding(body: ts.Node, ids: ReadonlySet<string>, titles: ReadonlyMap<string, string>): string[] {
  const events: ({ kind: 'send'; id: string; pos: number } | { kind: 'success'; pos: number })[] = [];
  const found = { readsKubernetes: false };
  const visit = (n: ts.Node): void => {
    if (ts.isObjectLiteralExpression(n)) {
      const action = literalProperty(n, 'action');
      const dry = literalProperty(n, 'dryRun');
      const parent = n.parent;
      const inPreview = ts.isCallExpression(parent) && calledName(parent) === 'preview';
      if (
        action &&
        ts.isStringLiteralLike(action) &&
        dry?.kind !== ts.SyntaxKind.TrueKeyword &&
        !inPreview &&
        ids.has(action.text)
      )
        events.push({ kind: 'send', id: action.text, pos: n.getStart() });
    }
    if (ts.isStringLiteralLike(n) && n.text.startsWith('Run ')) {
      const id = titles.get(n.text.slice(4).toLowerCase());
      if (id) events.push({ kind: 'send', id, pos: n.getStart() });
    }
    if (ts.isCallExpression(n)) {
      const name = calledName(n);
      const arg = n.arguments[0];
      if ((name === 'toBe' || name === 'toEqual') && arg && ts.isStringLiteralLike(arg) && arg.text === 'succeeded')
        events.push({ kind: 'success', pos: n.getStart() });
      if (name && KUBE_READ.test(name)) found.readsKubernetes = true;
    }
    ts.forEachChild(n, visit);
  };
  visit(body);
  if (!found.readsKubernetes) return [];
  events.sort((a, b) => a.pos - b.pos);
  const open: string[] = [];
  const seen = new Set<string>();
  for (const e of events) {
    if (e.kind === 'send') open.push(e.id);
    else {
      const id = open.pop();
      if (id !== undefined) seen.add(id);
    }
  }
  return [...seen];
}

/** Per action id, the test cases that cover it (see the rules above). */
export function catalogCoverage(
  catalog: readonly CatalogEntry[],
  files: readonly { path: string; text: string }[],
  root = '',
): Map<string, CoveringCase[]> {
  const ids = new Set(catalog.map((a) => a.id));
  // The console's dialogs name their button "Run <title in lower case>".
  const titles = new Map(catalog.map((a) => [a.title.toLowerCase(), a.id] as const));
  const coverage = new Map<string, CoveringCase[]>(catalog.map((a) => [a.id, []]));
  for (const f of files) {
    const source = ts.createSourceFile(f.path, f.text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const visit = (n: ts.Node): void => {
      if (isTestCall(n)) {
        const name = n.arguments[0] && ts.isStringLiteralLike(n.arguments[0]) ? n.arguments[0].text : '(unnamed)';
        const body = n.arguments.find((a) => ts.isArrowFunction(a) || ts.isFunctionExpression(a));
        if (body) {
          for (const id of actionsSeenSucceeding(body, ids, titles))
            coverage.get(id)?.push({ file: root ? relative(root, f.path) : f.path, test: name });
        }
        return;
      }
      ts.forEachChild(n, visit);
    };
    visit(source);
  }
  return coverage;
}

export function readFiles(paths: readonly string[]): { path: string; text: string }[] {
  return paths.map((p) => ({ path: p, text: readFileSync(p, 'utf8') }));
}
