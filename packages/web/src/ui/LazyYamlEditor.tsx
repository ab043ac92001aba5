import { lazy, Suspense, type ComponentProps } from 'react';

const Editor = lazy(() => import('./YamlEditor.js'));

export function LazyYamlEditor(props: ComponentProps<typeof Editor>) {
  return (
    <Suspense fallback={<pre className="panel mono">{props.value}</pre>}>
      <Editor {...props} />
    </Suspense>
  );
}
