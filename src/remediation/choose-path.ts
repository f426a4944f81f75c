/**
 * The fix's path, chosen among the paths the diagnosis proved (Diagnosis.paths: every path to a root, each judged by
 * the engine with the bundle and sent order that make OpenSSL take it). Minimal and conservative:
 *
 * 1. a root the user already trusts (this bundle, then the user's other bundles) before any other;
 * 2. then the newest root (latest notBefore): while roots are rotated, the new one is the one that stays;
 * 3. never a root older than one the user trusts on this chain (a cross-signing predecessor being retired) unless
 *    asked (--allow-root-change): trading the user's new root for the old one is what a reviewer least wants.
 *    Also when no known path reaches the user's root: a leaf sent alone whose AIA URL serves the copy of its issuing
 *    CA signed by the old root, with the old root in --intermediates, reaches only the old root, and nothing known
 *    links it to the user's new one (the other copy is what is missing). A root older than every root of the user's
 *    bundle is then refused too: "older than all you trust" is a step back whatever links the roots, while a
 *    bundle that already holds older roots (a system-wide one) says nothing about a generation;
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

export interface ChoosePathOptions {
  allowRootChange?: boolean;
  /**
   * notBefore (ISO) of the roots of the user's current bundle; called at most once, and only when a path ends at a
   * root the user does not trust (it reads every bundle certificate). Omitted or empty: no constraint (the system
   * store, or a bundle without a root).
   */
  bundleRoots?: () => string[];
}

export function choosePath(paths: PathSummary[], opts: ChoosePathOptions = {}): PathChoice {
  if (paths.some((p) => p.taken)) return { alternatives: [], refused: [] };
  // The newest root the user trusts among those this chain can reach (working or not: an expired new root still
  // says which generation the user is on).
  const yourNewest = Math.max(-Infinity, ...paths.filter((p) => p.anchor.yours).map((p) => time(p.anchor.notBefore)));
  // The oldest root of the user's bundle (rule 3, when no path reaches the user's roots); a bundle without a root
  // (an intermediate or a leaf alone: a dead end) constrains nothing.
  let bundleOldest: number | undefined;
  const oldestOfBundle = (): number => {
    if (bundleOldest === undefined) {
      const roots = (opts.bundleRoots?.() ?? []).map(time);
      bundleOldest = roots.length ? Math.min(...roots) : -Infinity;
    }
    return bundleOldest;
  };
  const olderThanYours = (p: PathSummary): boolean =>
    !p.anchor.yours && (time(p.anchor.notBefore) < yourNewest || time(p.anchor.notBefore) < oldestOfBundle());
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
