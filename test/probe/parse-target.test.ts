import { describe, expect, it } from 'vitest';
import { parseTarget } from '../../src/probe/parse-target.js';

describe('parseTarget', () => {
  it.each([
    ['example.com', 'example.com', 443, false, 'example.com:443'],
    ['example.com:8443', 'example.com', 8443, false, 'example.com:8443'],
    ['backend', 'backend', 443, false, 'backend:443'],
    ['my_host.internal.', 'my_host.internal.', 443, false, 'my_host.internal.:443'],
    ['10.0.0.1', '10.0.0.1', 443, true, '10.0.0.1:443'],
    ['127.0.0.1:1', '127.0.0.1', 1, true, '127.0.0.1:1'],
    ['127.0.0.1:65535', '127.0.0.1', 65535, true, '127.0.0.1:65535'],
    ['[::1]:8443', '::1', 8443, true, '[::1]:8443'],
    ['[2001:db8::1]', '2001:db8::1', 443, true, '[2001:db8::1]:443'],
    ['::1', '::1', 443, true, '[::1]:443'],
    ['2001:db8::1', '2001:db8::1', 443, true, '[2001:db8::1]:443'],
    ['  example.com:444 ', 'example.com', 444, false, 'example.com:444'],
  ])('%j → %s port %i', (input, host, port, hostIsIp, display) => {
    expect(parseTarget(input)).toEqual({ host, port, hostIsIp, display });
  });

  it.each([
    ['', /empty/],
    ['example.com:0', /out of range 1-65535/],
    ['example.com:65536', /out of range/],
    ['example.com:', /port "" is not a number/],
    ['example.com:https', /is not a number/],
    ['example.com:-1', /is not a number/],
    [':443', /missing host/],
    ['[::1', /missing "\]"/],
    ['[::1]8443', /unexpected "8443"/],
    ['[example.com]:443', /not an IPv6 address/],
    ['2001:db8::zz', /not an IPv6 address/],
    ['1.2.3', /not a valid IPv4 address/],
    ['256.1.1.1', /not a valid IPv4 address/],
    ['exa mple.com', /whitespace/],
    ['-bad-.com', /not a valid host name/],
    ['https://example.com/', /not a URL/],
    ['a..b', /not a valid host name/],
  ])('rejects %j', (input, message) => {
    let caught: unknown;
    try {
      parseTarget(input);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(Error);
    const e = caught as Error & { code: string };
    expect(e.code).toBe('BAD_TARGET');
    expect(e.message).toMatch(message);
    expect(e.message).toContain(JSON.stringify(input));
    expect(e.message).not.toContain('\n');
  });
});
