// The name-prefix box the Pods, Nodes and Workloads pages share: what it
// shows, where its text comes from (?q=), and which texts the hub can filter
// by. Typing in it on each page is test/e2e (pods-list, nodes-list,
// workloads-list).
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { Router } from 'wouter';
import { describe, expect, it } from 'vitest';
import { NamePrefixFilter, useNamePrefix } from '../src/ui/NamePrefixFilter.js';
import { isNamePrefix } from '../src/start/first-requests.js';

describe('NamePrefixFilter', () => {
  it('is a search box labelled "Filter by name" showing the text as typed', () => {
    const html = renderToStaticMarkup(
      createElement(NamePrefixFilter, { prefix: { text: ' Api-', setText: () => {}, valid: true } }),
    );
    expect(html).toBe(
      '<input type="search" aria-label="Filter by name" placeholder="Name starts with…" value=" Api-"/>',
    );
  });

  it('takes its text from the address (?q=), and says whether the hub can filter by it', () => {
    const seen = (search: string) => {
      let got: { text: string; valid: boolean } | undefined;
      const Probe = () => {
        const { text, valid } = useNamePrefix();
        got = { text, valid };
        return null;
      };
      renderToStaticMarkup(
        createElement(Router, { ssrPath: '/c/prod/pods', ssrSearch: search, children: createElement(Probe) }),
      );
      return got;
    };
    expect(seen('q=%20Api-0')).toEqual({ text: ' Api-0', valid: true });
    expect(seen('status=Failed')).toEqual({ text: '', valid: true });
    expect(seen('q=api_0')).toEqual({ text: 'api_0', valid: false });
  });

  it('accepts what a Kubernetes name may start with, in any case and with spaces around', () => {
    for (const ok of ['', 'api-', 'node.01', ' Web-7 ', 'A']) expect(isNamePrefix(ok)).toBe(true);
    for (const bad of ['api_', 'a b', 'ns/pod', 'é']) expect(isNamePrefix(bad)).toBe(false);
  });
});
