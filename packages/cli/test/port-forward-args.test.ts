// `wheelhouse port-forward`'s port arguments, as kubectl reads them, and the
// precise usage error for each wrong one.
import { describe, expect, it } from 'vitest';
import { parsePortMapping } from '../src/commands/port-forward.js';

describe('port-forward LOCAL:REMOTE', () => {
  it('reads LOCAL:REMOTE, :REMOTE (any free port) and PORT (the same on both sides)', () => {
    expect(parsePortMapping('8080:80')).toEqual({ local: 8080, remote: 80 });
    expect(parsePortMapping(':80')).toEqual({ local: 0, remote: 80 });
    expect(parsePortMapping('5432')).toEqual({ local: 5432, remote: 5432 });
  });

  it.each([
    ['8080:99999', 'the remote port in "8080:99999" must be a number from 1 to 65535'],
    ['8080:0', 'the remote port in "8080:0" must be a number from 1 to 65535'],
    ['abc:80', 'the local port in "abc:80" must be a number from 1 to 65535'],
    ['0', 'the port in "0" must be a number from 1 to 65535'],
    ['1:2:3', '"1:2:3" is not LOCAL:REMOTE'],
  ])('%s → usage error', (spec, message) => {
    expect(() => parsePortMapping(spec)).toThrow(message);
  });
});
