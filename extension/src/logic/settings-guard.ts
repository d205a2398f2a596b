// Settings errors are shown with an "Open Settings" action instead of failing the command silently.
import { ACTION, type Host, type Settings } from './host.js';

export function readSettingsSafely(host: Host): Settings | undefined {
  try {
    return host.settings();
  } catch (e) {
    void host.showError((e as Error).message, [ACTION.openSettings]).then((c) => {
      if (c === ACTION.openSettings) host.openSettings();
    });
    return undefined;
  }
}
