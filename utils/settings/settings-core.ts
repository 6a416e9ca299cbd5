/**
 * Settings defaults and validation, free of any storage code: the pages import this directly so
 * they do not bundle wxt's storage library (page size budgets). `./settings` re-exports it all.
 */
import { t, type LangPref } from '../i18n';
import type { VideosFlavour } from '../jobs/probe';
import type { ProtocolName } from '../threads/model';

export const DEFAULT_MODELS = ['sora-2', 'sora-2-pro'] as const;

export interface Settings {
  /** Relay base URL, e.g. https://relay.example.com (with or without /v1). */
  baseUrl: string;
  apiKey: string;
  /** How the relay takes video requests: the chat format, or the Videos job API (`/v1/videos`). */
  protocol: ProtocolName;
  /** Which Videos API the last Test connection found ('' before one): where reference images go. */
  videosFlavour: VideosFlavour | '';
  model: string;
  /** Models the relay listed at the last successful "Test connection". */
  models: string[];
  /** How many generations may run at once; the rest wait as pending. */
  concurrency: number;
  /** Minutes without a byte before a stream counts as stalled. */
  stallTimeoutMin: number;
  notifications: boolean;
  /** The UI language: 'auto' follows the browser. */
  language: LangPref;
  /**
   * The one plain-http relay origin (not on this machine) the user agreed to send the key to
   * unencrypted, ticked in Options; '' when none. Tied to the origin, so another URL asks again.
   */
  plainHttpOrigin: string;
}

export const DEFAULT_SETTINGS: Settings = {
  baseUrl: '',
  apiKey: '',
  protocol: 'chat',
  videosFlavour: '',
  model: 'sora-2',
  models: [...DEFAULT_MODELS],
  concurrency: 3,
  stallTimeoutMin: 10,
  notifications: true,
  language: 'auto',
  plainHttpOrigin: '',
};

export const LIMITS = {
  concurrency: { min: 1, max: 10 },
  stallTimeoutMin: { min: 1, max: 60 },
  promptMax: 4000,
} as const;

export type FieldErrors = Partial<Record<keyof Settings, string>>;

/** Why a base URL cannot be used, or undefined when it can. */
export function baseUrlProblem(raw: string): string | undefined {
  const value = raw.trim();
  if (!value) return t('url_empty');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return t('url_invalid');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return t('url_scheme');
  if (url.username || url.password) return t('url_creds');
  if (url.search || url.hash) return t('url_query');
  return undefined;
}

export function validateSettings(s: Settings): FieldErrors {
  const errors: FieldErrors = {};
  const base = baseUrlProblem(s.baseUrl) ?? plainHttpProblem(s);
  if (base) errors.baseUrl = base;
  if (/\s/.test(s.apiKey.trim())) errors.apiKey = t('key_spaces');
  if (!s.model.trim()) errors.model = t('model_needed');
  const c = LIMITS.concurrency;
  if (!Number.isInteger(s.concurrency) || s.concurrency < c.min || s.concurrency > c.max) errors.concurrency = t('concurrency_range', c);
  const st = LIMITS.stallTimeoutMin;
  if (!Number.isFinite(s.stallTimeoutMin) || s.stallTimeoutMin < st.min || s.stallTimeoutMin > st.max)
    errors.stallTimeoutMin = t('stall_range', st);
  return errors;
}

/** The origin the API key may be sent to, as a host-permission match pattern. */
export function originPattern(baseUrl: string): string {
  const u = new URL(baseUrl.trim());
  return `${u.protocol}//${u.hostname}/*`;
}

const hostOf = (url: string): string | undefined => {
  try {
    return new URL(url.trim()).hostname;
  } catch {
    return undefined;
  }
};

/**
 * Hosts the extension may reach from install on, over http and https (wxt.config.ts grants
 * exactly these): a relay there needs no permission prompt when saved.
 */
export const INSTALL_HOSTS = ['localhost', '127.0.0.1', '[::1]'] as const;

export function isLocalOrigin(baseUrl: string): boolean {
  return (INSTALL_HOSTS as readonly (string | undefined)[]).includes(hostOf(baseUrl));
}

/** This machine (localhost, 127.0.0.0/8, [::1]): plain http to it exposes the key to no network. */
export function isLoopback(baseUrl: string): boolean {
  const h = hostOf(baseUrl);
  return h === 'localhost' || h === '[::1]' || (!!h && /^127(?:\.\d{1,3}){3}$/.test(h));
}

/** A plain-http relay elsewhere than this machine: the key would cross the network unencrypted. */
export function sendsKeyInClear(baseUrl: string): boolean {
  try {
    return new URL(baseUrl.trim()).protocol === 'http:' && !isLoopback(baseUrl);
  } catch {
    return false;
  }
}

/** Why the key may not go to this relay as set (plain http elsewhere, not agreed to), or undefined. */
export function plainHttpProblem(s: Pick<Settings, 'baseUrl' | 'plainHttpOrigin'>): string | undefined {
  if (!sendsKeyInClear(s.baseUrl)) return undefined;
  const url = new URL(s.baseUrl.trim());
  return s.plainHttpOrigin === url.origin ? undefined : t('url_plainHttp', { host: url.host });
}

/** Trims what users paste (a trailing slash, spaces) so the saved value is canonical. */
export function normalizeSettings(s: Settings): Settings {
  const baseUrl = s.baseUrl.trim().replace(/\/+$/, '');
  return {
    ...s,
    baseUrl,
    apiKey: s.apiKey.trim(),
    model: s.model.trim(),
    // An agreement for another origin says nothing about this one.
    plainHttpOrigin: sendsKeyInClear(baseUrl) && new URL(baseUrl).origin === s.plainHttpOrigin ? s.plainHttpOrigin : '',
  };
}

/** Why a generation cannot start with these settings (shown in the popup), or undefined. */
export function readinessProblem(s: Settings): string | undefined {
  if (!s.baseUrl) return t('ready_no_relay');
  if (baseUrlProblem(s.baseUrl)) return t('ready_bad_url');
  if (plainHttpProblem(s)) return t('ready_plainHttp');
  if (!s.apiKey) return t('ready_no_key');
  return undefined;
}
