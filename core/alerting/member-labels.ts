import { type Labels, transitionLabels } from './alert-transition.ts';
import type { MemberSnapshot } from './incident-types.ts';

/** The labels of an incident member (as of its latest transition), for silences and inhibition. */
export function memberLabels(m: MemberSnapshot): Labels {
  return transitionLabels({ ...m, kind: m.lastKind });
}
