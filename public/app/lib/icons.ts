/**
 * Icon names that differ between EUI releases. Inside Kibana the app runs on Kibana's own EUI
 * (a shared dependency), which may be older than ours: EUI 112 introduced `chevronSingle*`,
 * `checkCircleFill` and `eyeSlash` (the old names stayed as aliases until their removal before
 * EUI 122; checked in EUI 110.0.0, 111.1.0, 112.2.0 and 122.1.0). The first name the running
 * EUI knows is used.
 */
import { ICON_TYPES } from '@elastic/eui';

const known = new Set<string>(ICON_TYPES as readonly string[]);

export function pickIcon(preferred: string, ...older: string[]): string {
  return [preferred, ...older].find((n) => known.has(n)) ?? preferred;
}

export const ICONS = {
  chevronDown: pickIcon('chevronSingleDown', 'arrowDown'),
  chevronRight: pickIcon('chevronSingleRight', 'arrowRight'),
  chevronLeft: pickIcon('chevronSingleLeft', 'arrowLeft'),
  checkCircleFill: pickIcon('checkCircleFill', 'checkInCircleFilled'),
  eyeSlash: pickIcon('eyeSlash', 'eyeClosed'),
  commandLine: pickIcon('commandLine', 'console'),
} as const;
