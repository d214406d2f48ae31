import type { Project } from './model.js';

/**
 * Search tokens of a project: lower-case words of its owner, name and description.
 * The store keeps one index item per token, so a search is a few key queries, never
 * a scan. Words shorter than 2 characters and very long descriptions are cut to
 * keep the index bounded.
 */
const MAX_TOKENS = 60;

export function tokenize(text: string): string[] {
  return [
    ...new Set(
      text
        .toLowerCase()
        .split(/[^a-z0-9]+/)
        .filter((w) => w.length >= 2 && w.length <= 40),
    ),
  ];
}

export function projectSearchTokens(p: Pick<Project, 'ownername' | 'name' | 'description'>): string[] {
  const words = new Set<string>([
    ...tokenize(p.ownername),
    ...tokenize(p.name),
    // The full name is a token too, so `copr-cli`-style exact names match.
    p.name.toLowerCase(),
    ...tokenize(p.description ?? ''),
  ]);
  return [...words].slice(0, MAX_TOKENS);
}
