/**
 * The fix's path, chosen among the paths the diagnosis proved (Diagnosis.paths: every path to a root, each judged by
 * the engine with the bundle and sent order that make OpenSSL take it). Minimal and conservative:
 *
 * 1. a root the user already trusts (this bundle, then the user's other bundles) before any other;
 * 2. then the newest root (latest notBefore): while roots are rotated, the new one is the one that stays;
 * 3. never a root older than one the user trusts on this chain (a cross-signing predecessor being retired) unless
 *    asked (--allow-root-change): trading the user's new root for the old one is what a reviewer least wants;
 * 4. then the smallest bundle, then the shortest path.
 *
 * The other proven realizations (the upstream sends the right copy first, another bundle) are listed as one-line
 * alternatives; each one is engine-proven, and re-judged against the closed-loop handshake where there is one.
 */
import type { PathRealizationItem, PathSummary } from '../diagnosis/types.js';

export interface ChosenPath {
  path: PathSummary;
  realization: PathRealizationItem;
}

export interface PathChoice {
  /** The path and bundle the fix uses; undefined when nginx already takes a path or none is proven. */
  chosen?: ChosenPath;
  /** Every other proven way, offered ones only. */
  alternatives: ChosenPath[];
  /** Working paths not offered: through a root older than the user's (needs --allow-root-change). */
  refused: ChosenPath[];
}

const time = (iso: string): number => new Date(iso).getTime();

function trustRank(p: PathSummary): number {
  return p.anchor.inBundle ? 0 : p.anchor.yours ? 1 : 2;
}

function compare(a: ChosenPath, b: ChosenPath): number {
  return (
    trustRank(a.path) - trustRank(b.path) ||
    time(b.path.anchor.notBefore) - time(a.path.anchor.notBefore) ||
    a.realization.bundle.length - b.realization.bundle.length ||
    a.path.certs.length - b.path.certs.length
  );
}

export function choosePath(paths: PathSummary[], opts: { allowRootChange?: boolean } = {}): PathChoice {
  if (paths.some((p) => p.taken)) return { alternatives: [], refused: [] };
  // The newest root the user trusts among those this chain can reach (working or not: an expired new root still
  // says which generation the user is on).
  const yourNewest = Math.max(-Infinity, ...paths.filter((p) => p.anchor.yours).map((p) => time(p.anchor.notBefore)));
  const olderThanYours = (p: PathSummary): boolean => !p.anchor.yours && time(p.anchor.notBefore) < yourNewest;
  const offered: ChosenPath[] = [];
  const refused: ChosenPath[] = [];
  for (const path of paths) {
    for (const realization of path.realizations) {
      const c = { path, realization };
      if (olderThanYours(path) && !opts.allowRootChange) refused.push(c);
      else offered.push(c);
    }
  }
  const bundles = offered.filter((c) => c.realization.kind === 'nginx-bundle').sort(compare);
  const chosen = bundles[0];
  if (!chosen) return { alternatives: offered.sort(compare), refused };
  return { chosen, alternatives: offered.filter((c) => c !== chosen).sort(compare), refused };
}
