import type { Build } from '../../core/build-model.js';
import type { AppContext } from '../context.js';
import { raw } from '../responses.js';
import type { Route } from '../router.js';

/**
 * `GET /rss` (Copr's feed URL): an RSS 2.0 feed of the newest builds of all listed
 * projects, from the same one-index query as the home page's recent builds. Every
 * user-controlled text (owner, project, package, version) is XML-escaped; links point
 * at the dashboard's build pages.
 */
const ITEMS = 30;

export function xmlEscape(s: string): string {
  // Characters XML 1.0 cannot carry at all are dropped, not escaped.
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '').replace(/[<>&'"]/g, (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', "'": 'apos', '"': 'quot' }[c]};`);
}

/** The dashboard path of an owner: `/coprs/<user>/` or `/coprs/g/<group>/`. */
export function ownerWebPath(owner: string): string {
  return owner.startsWith('@') ? `/coprs/g/${encodeURIComponent(owner.slice(1))}/` : `/coprs/${encodeURIComponent(owner)}/`;
}

function buildLink(base: string, b: Build): string {
  return `${base}${ownerWebPath(b.ownername)}${encodeURIComponent(b.projectname)}/build/${b.id}/`;
}

function item(base: string, b: Build): string {
  const what = b.package_name ? `${b.package_name}${b.pkg_version ? ` ${b.pkg_version}` : ''}` : 'a new package';
  const title = `${b.ownername}/${b.projectname}: build #${b.id} of ${what}`;
  const desc = `Build #${b.id} of ${what} in ${b.ownername}/${b.projectname}${b.submitter ? `, submitted by ${b.submitter}` : ''}.`;
  const link = buildLink(base, b);
  return [
    '<item>',
    `<title>${xmlEscape(title)}</title>`,
    `<link>${xmlEscape(link)}</link>`,
    `<guid isPermaLink="true">${xmlEscape(link)}</guid>`,
    `<description>${xmlEscape(desc)}</description>`,
    `<pubDate>${new Date(b.submitted_on * 1000).toUTCString()}</pubDate>`,
    '</item>',
  ].join('');
}

async function rss(_req: unknown, ctx: AppContext) {
  const base = ctx.config.FRONTEND_URL.replace(/\/+$/, '');
  const recent = await ctx.app.ports.builds.listRecentBuilds(ITEMS);
  // Unlisted projects stay off the feed as they stay off the home page; one read per project.
  const listed = new Map<string, boolean>();
  const shown: Build[] = [];
  for (const b of recent) {
    const key = `${b.ownername}/${b.projectname}`;
    if (!listed.has(key)) {
      const p = await ctx.store.getProject(b.ownername, b.projectname);
      listed.set(key, p !== null && !p.unlisted_on_hp);
    }
    if (listed.get(key)) shown.push(b);
  }
  const body = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<rss version="2.0">',
    '<channel>',
    '<title>Copr: new builds</title>',
    `<link>${xmlEscape(`${base}/`)}</link>`,
    '<description>The newest builds in Copr.</description>',
    ...shown.map((b) => item(base, b)),
    '</channel>',
    '</rss>',
    '',
  ].join('\n');
  return raw(200, body, { 'content-type': 'application/rss+xml; charset=utf-8', 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
}

export const rssRoutes: Route[] = [{ method: 'GET', path: '/rss', handler: rss }];
