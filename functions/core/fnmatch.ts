/**
 * Shell-style patterns as Python's `fnmatch.fnmatchcase` reads them (Copr uses them
 * for chroot lists: `fedora-*-x86_64`, `epel-[89]-*`): `*` any run, `?` one char,
 * `[seq]` / `[!seq]` a class. Everything else is literal; matching is case-sensitive.
 */
function escapeRegex(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

/** Compiles one pattern to an anchored RegExp. An unclosed `[` is a literal. */
export function fnmatchRegex(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      let j = i + 1;
      if (pattern[j] === '!') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') j++;
      if (j >= pattern.length) {
        out += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, j);
      const negate = body.startsWith('!');
      if (negate) body = body.slice(1);
      // Inside a class only `\`, `]` and `^` need escaping; `-` keeps its range meaning.
      out += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = j;
    } else out += escapeRegex(c);
  }
  return new RegExp(`^${out}$`, 's');
}

export function fnmatch(name: string, pattern: string): boolean {
  return fnmatchRegex(pattern).test(name);
}

/** Names matching at least one of the patterns, in the order of `names`. */
export function matchAny(names: readonly string[], patterns: readonly string[]): string[] {
  const res = patterns.map(fnmatchRegex);
  return names.filter((n) => res.some((r) => r.test(n)));
}
