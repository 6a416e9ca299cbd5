import { describe, expect, it } from 'vitest';
import { baseUrlProblem, DEFAULT_SETTINGS, normalizeSettings, originPattern, readinessProblem, validateSettings } from '@/utils/settings/settings';

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
    const errs = validateSettings({ ...DEFAULT_SETTINGS, baseUrl: 'nope', apiKey: 'sk bad', model: ' ', concurrency: 0, stallTimeoutMin: 0 });
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
