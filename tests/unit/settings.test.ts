import { describe, expect, it } from 'vitest';
import {
  baseUrlProblem,
  coerceSettings,
  DEFAULT_SETTINGS,
  INSTALL_HOSTS,
  isLocalOrigin,
  isLoopback,
  normalizeSettings,
  originPattern,
  plainHttpProblem,
  readinessProblem,
  validateSettings,
} from '@/utils/settings/settings';
import { HOST_PERMISSIONS } from '../../wxt.config';

describe('settings validation', () => {
  it.each([
    ['', /Enter the API base URL/],
    ['relay.example.com', /not a valid URL/],
    ['ftp://relay.example.com', /https:\/\/ or http:\/\//],
    ['javascript:alert(1)', /https:\/\/ or http:\/\//],
    ['https://user:pw@relay.example.com', /API key field/],
    ['https://relay.example.com/?x=1', /cannot contain/],
  ])('rejects %j', (url, msg) => {
    expect(baseUrlProblem(url)).toMatch(msg);
  });

  it.each(['https://relay.example.com', 'http://127.0.0.1:8787/v1', ' https://r.example.com/openai/ '])('accepts %j', (url) => {
    expect(baseUrlProblem(url)).toBeUndefined();
  });

  it('flags every bad field at once', () => {
    const errs = validateSettings({
      ...DEFAULT_SETTINGS,
      baseUrl: 'nope',
      apiKey: 'sk bad',
      model: ' ',
      concurrency: 0,
      stallTimeoutMin: 0,
    });
    expect(Object.keys(errs).sort()).toEqual(['apiKey', 'baseUrl', 'concurrency', 'model', 'stallTimeoutMin']);
  });

  it('normalises pasted values and derives the permission pattern', () => {
    const s = normalizeSettings({ ...DEFAULT_SETTINGS, baseUrl: ' https://r.example.com:8443/v1/ ', apiKey: ' sk-1 ' });
    expect(s.baseUrl).toBe('https://r.example.com:8443/v1');
    expect(s.apiKey).toBe('sk-1');
    expect(originPattern(s.baseUrl)).toBe('https://r.example.com/*');
  });

  it('says why a generation cannot start', () => {
    expect(readinessProblem(DEFAULT_SETTINGS)).toMatch(/No relay configured/);
    expect(readinessProblem({ ...DEFAULT_SETTINGS, baseUrl: 'https://r.example.com' })).toMatch(/No API key/);
    expect(readinessProblem({ ...DEFAULT_SETTINGS, baseUrl: 'https://r.example.com', apiKey: 'k' })).toBeUndefined();
  });
});

describe('the API key over plain http', () => {
  const key = { ...DEFAULT_SETTINGS, apiKey: 'sk-1' };

  it.each([
    'http://localhost:8787',
    'http://127.0.0.1:8787/v1',
    'http://127.9.0.5',
    'http://[::1]:3000',
    'https://relay.example.com',
    'https://192.168.1.5',
  ])('%s: allowed without asking (this machine, or encrypted)', (baseUrl) => {
    expect(plainHttpProblem({ baseUrl, plainHttpOrigin: '' })).toBeUndefined();
    expect(validateSettings({ ...key, baseUrl }).baseUrl).toBeUndefined();
    expect(readinessProblem({ ...key, baseUrl })).toBeUndefined();
  });

  it.each([
    'http://relay.example.com',
    'http://192.168.1.5:3000',
    'http://128.0.0.1',
    'http://localhost.evil.test',
    'http://127.0.0.1.nip.io',
  ])('%s: refused until sending the key unencrypted to that origin is agreed to', (baseUrl) => {
    const host = new URL(baseUrl).host;
    expect(validateSettings({ ...key, baseUrl }).baseUrl).toBe(
      `http:// would send your API key to ${host} unencrypted, readable by anyone on the networks in between. Use https://, or tick the box below if you trust them.`,
    );
    expect(readinessProblem({ ...key, baseUrl })).toMatch(/plain http:\/\/.*not agreed to/);
    const agreed = { ...key, baseUrl, plainHttpOrigin: new URL(baseUrl).origin };
    expect(validateSettings(agreed)).toEqual({});
    expect(readinessProblem(agreed)).toBeUndefined();
  });

  it('an agreement covers its own origin only, and is dropped when the URL moves elsewhere', () => {
    const agreed = { ...key, baseUrl: 'http://relay.lan:8080', plainHttpOrigin: 'http://relay.lan:8080' };
    expect(plainHttpProblem({ ...agreed, baseUrl: 'http://relay.lan:9090' })).toMatch(/relay\.lan:9090/);
    expect(plainHttpProblem({ ...agreed, baseUrl: 'http://other.lan:8080' })).toMatch(/other\.lan/);
    expect(normalizeSettings({ ...agreed, baseUrl: 'https://relay.lan:8080' }).plainHttpOrigin).toBe('');
    expect(normalizeSettings({ ...agreed, baseUrl: ' http://relay.lan:8080/v1/ ' }).plainHttpOrigin).toBe('http://relay.lan:8080');
    // Stored with the settings; settings from before it existed read as "not agreed".
    expect(coerceSettings({ baseUrl: 'http://relay.lan:8080', apiKey: 'k' }).plainHttpOrigin).toBe('');
    expect(coerceSettings(agreed).plainHttpOrigin).toBe('http://relay.lan:8080');
  });

  it('the hosts treated as needing no permission prompt are exactly those granted at install, over http and https', () => {
    for (const scheme of ['http', 'https']) {
      for (const host of INSTALL_HOSTS) {
        expect(isLocalOrigin(`${scheme}://${host}:1234/v1`)).toBe(true);
        expect(HOST_PERMISSIONS).toContain(originPattern(`${scheme}://${host}:1234`));
      }
    }
    expect(HOST_PERMISSIONS).toHaveLength(INSTALL_HOSTS.length * 2);
    // Loopback, so plain http is fine, but not granted at install: Save asks for it.
    expect(isLoopback('http://127.0.0.2')).toBe(true);
    expect(isLocalOrigin('http://127.0.0.2')).toBe(false);
    expect(HOST_PERMISSIONS).not.toContain(originPattern('http://127.0.0.2'));
  });
});
