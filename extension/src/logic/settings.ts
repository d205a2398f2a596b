// Settings as read from the configuration, checked, with defaults.
import type { ApplyMode } from '../../../src/client/apply-client.js';
import type { Settings } from './host.js';

export const DEFAULT_SETTINGS: Settings = { serverUrl: 'http://127.0.0.1:8787', mode: 'auto', timeoutSeconds: 120 };
const MODES: ApplyMode[] = ['auto', 'structural', 'model'];

export class SettingsError extends Error {}

/** get(key) reads `specedit.<key>`; a bad value is an error that names the setting. */
export function readSettings(get: (key: string) => unknown): Settings {
  const url = get('serverUrl') ?? DEFAULT_SETTINGS.serverUrl;
  if (typeof url !== 'string' || !/^https?:\/\/[^/\s]+/i.test(url.trim())) {
    throw new SettingsError(`specedit.serverUrl must be an http(s) URL such as ${DEFAULT_SETTINGS.serverUrl}, not "${String(url)}".`);
  }
  const mode = get('mode') ?? DEFAULT_SETTINGS.mode;
  if (typeof mode !== 'string' || !MODES.includes(mode as ApplyMode)) throw new SettingsError(`specedit.mode must be one of ${MODES.join(', ')}, not "${String(mode)}".`);
  const timeout = get('timeoutSeconds') ?? DEFAULT_SETTINGS.timeoutSeconds;
  if (typeof timeout !== 'number' || !(timeout > 0)) throw new SettingsError(`specedit.timeoutSeconds must be a positive number, not "${String(timeout)}".`);
  return { serverUrl: url.trim().replace(/\/+$/, ''), mode: mode as ApplyMode, timeoutSeconds: timeout };
}
