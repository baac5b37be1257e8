// Routing cases to expert panels: the direction the form declares, and the one the profile's
// sub-direction keywords suggest from the case's own words (title, report text). A suggestion
// is a hint for the organisers, never a verdict.
import type { ContestProfile } from '../config/contest.js';

export interface SuggestedDirection {
  direction: string;
  subDirection: string;
  /** The keywords found, most frequent first. */
  keywords: string[];
}

export function suggestDirection(profile: ContestProfile, text: string): SuggestedDirection | null {
  const haystack = text.toLowerCase();
  let best: (SuggestedDirection & { score: number }) | null = null;
  for (const d of profile.directions) {
    for (const sub of d.subDirections) {
      const hits = sub.keywords
        .map((k) => ({ k, n: occurrences(haystack, k.toLowerCase()) }))
        .filter((h) => h.n > 0)
        .sort((a, b) => b.n - a.n);
      // Distinct keywords weigh more than one word repeated.
      const score = hits.length * 10 + hits.reduce((s, h) => s + h.n, 0);
      if (hits.length > 0 && (!best || score > best.score)) {
        best = { direction: d.name, subDirection: sub.name, keywords: hits.map((h) => h.k), score };
      }
    }
  }
  if (!best) return null;
  const { score: _score, ...rest } = best;
  return rest;
}

function occurrences(haystack: string, needle: string): number {
  let n = 0;
  for (let i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + needle.length))
    n++;
  return n;
}

/** The profile's name for a declared direction ("风险管理智能化"), tolerant of spacing. */
export function matchDeclared(profile: ContestProfile, declared: string | null): string | null {
  if (!declared) return null;
  const norm = (s: string) => s.normalize('NFKC').replace(/\s+/g, '');
  const d = norm(declared);
  return (
    profile.directions.find((x) => norm(x.name) === d || d.includes(norm(x.name)))?.name ?? null
  );
}
