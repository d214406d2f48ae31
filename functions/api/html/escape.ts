/** Text for HTML element content and quoted attribute values: every markup character escaped. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * The page shell (the SPA's index.html) with a server-rendered body: inside the
 * shell's `<noscript>` (or a new one before `</body>`), so clients without JavaScript
 * read it and browsers run the dashboard exactly as before.
 */
export function withStaticBody(shell: string, body: string): string {
  const section = `<noscript>\n<div class="copr-static">\n${body}\n</div>\n</noscript>`;
  const existing = /<noscript>[\s\S]*?<\/noscript>/;
  if (existing.test(shell)) return shell.replace(existing, () => section);
  if (shell.includes('</body>')) return shell.replace('</body>', () => `${section}\n</body>`);
  return `${shell}\n${section}\n`;
}
