import { summaryChroots, type Build, type BuildChroot } from '../../core/build-model.js';
import type { BuildStore } from '../../core/build-ports.js';
import type { Project, ProjectChroot } from '../../core/model.js';
import { ownerUrlPart, parseChrootName } from '../../core/names.js';
import { buildChrootToApi, buildToApi } from '../build-serialize.js';
import type { AppContext } from '../context.js';
import { esc } from './escape.js';

/**
 * The pages Copr users fetch without a browser (`curl`, `wget`, scripts): the
 * project list, a project, a build. Upstream renders them on the server; we render
 * a plain HTML summary of the same facts that the page shell carries next to the
 * SPA, so a client without JavaScript sees project names and build states while a
 * browser gets the dashboard. Every user-provided string goes through `esc`.
 */
export type ServerPage =
  | { kind: 'page'; status: number; body: string }
  | { kind: 'redirect'; location: string };

/** How many rows the list pages show (the dashboard pages through the rest). */
const LIST_LIMIT = 200;
const RECENT_BUILDS = 20;

const projectPath = (owner: string, name: string) => `/coprs/${ownerUrlPart(owner)}/${name}/`;
const buildPath = (owner: string, name: string, id: number) => `${projectPath(owner, name)}build/${id}/`;

function when(epochSeconds: number | null): string {
  return epochSeconds === null ? '' : new Date(epochSeconds * 1000).toISOString().replace('.000Z', 'Z');
}

function link(href: string, text: string): string {
  return `<a href="${esc(href)}">${esc(text)}</a>`;
}

function table(head: string[], rows: string[][], cls: string): string {
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('');
  const trs = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table class="${cls}">\n<thead><tr>${th}</tr></thead>\n<tbody>\n${trs}\n</tbody>\n</table>`;
}

function notFound(message: string): ServerPage {
  return { kind: 'page', status: 404, body: `<h1>Not found</h1>\n<p class="error">${esc(message)}</p>` };
}

async function projectList(ctx: AppContext): Promise<ServerPage> {
  const all = (await ctx.store.listAllProjects()).filter((p) => !p.unlisted_on_hp).sort((a, b) => b.id - a.id);
  const rows = all.slice(0, LIST_LIMIT).map((p) => [
    link(projectPath(p.ownername, p.name), `${p.ownername}/${p.name}`),
    esc(p.description ?? ''),
  ]);
  const body = [
    '<h1>Projects</h1>',
    rows.length === 0 ? '<p>No projects yet.</p>' : table(['Project', 'Description'], rows, 'projects'),
  ].join('\n');
  return { kind: 'page', status: 200, body };
}

function repoFileLink(p: Project, chroot: ProjectChroot): string {
  const nr = parseChrootName(chroot.mock_chroot).name_release;
  const file = `${p.ownername.replace(/^@/, 'group_')}-${p.name}-${nr}.repo`;
  return link(`${projectPath(p.ownername, p.name)}repo/${nr}/${file}`, file);
}

async function buildRows(ctx: AppContext, builds: BuildStore, builds_: Build[]): Promise<string[][]> {
  return Promise.all(
    builds_.map(async (b) => {
      // The build item's chroot summary is enough for a row (older builds: their chroots).
      const api = buildToApi(ctx.config.RESULTS_BASE_URL, b, summaryChroots(b) ?? (await builds.listBuildChroots(b.id)));
      return [
        link(buildPath(b.ownername, b.projectname, b.id), String(b.id)),
        esc(api.source_package.name ?? ''),
        esc(api.source_package.version ?? ''),
        `<span class="state">${esc(api.state)}</span>`,
        esc(when(api.submitted_on)),
      ];
    }),
  );
}

async function projectPage(ctx: AppContext, owner: string, name: string): Promise<ServerPage> {
  const p = await ctx.store.getProject(owner, name);
  if (!p) return notFound(`Project ${owner}/${name} does not exist.`);
  const chroots = [...(await ctx.store.listProjectChroots(owner, name))].sort((a, b) => a.mock_chroot.localeCompare(b.mock_chroot));
  const parts = [
    `<h1>${esc(`${p.ownername}/${p.name}`)}</h1>`,
    `<p>Owner: ${link(`/coprs/${ownerUrlPart(p.ownername)}/`, p.ownername)}</p>`,
    '<h2>Description</h2>',
    `<div class="description">${esc(p.description ?? '')}</div>`,
    '<h2>Installation Instructions</h2>',
    `<div class="instructions">${esc(p.instructions ?? '')}</div>`,
  ];
  if (p.homepage) parts.push(`<p>Homepage: ${link(p.homepage, p.homepage)}</p>`);
  parts.push('<h2>Active Releases</h2>');
  parts.push(
    table(
      ['Chroot', 'Repo file', 'Repository'],
      chroots.map((c) => {
        const url = `${ctx.config.RESULTS_BASE_URL}/${p.ownername}/${p.name}/${c.mock_chroot}/`;
        return [esc(c.mock_chroot), repoFileLink(p, c), link(url, url)];
      }),
      'chroots',
    ),
  );
  const builds = ctx.app.ports.builds;
  // The newest builds straight from the project-builds index, newest first: one bounded Query.
  const recent = await builds.pages.page({ ownername: p.ownername, projectname: p.name, packageName: null, descending: true }, null, RECENT_BUILDS);
  parts.push('<h2>Builds</h2>');
  parts.push(
    recent.length === 0
      ? '<p>No builds yet.</p>'
      : table(['Build ID', 'Package', 'Version', 'State', 'Submitted'], await buildRows(ctx, builds, recent), 'builds'),
  );
  return { kind: 'page', status: 200, body: parts.join('\n') };
}

function chrootRow(ctx: AppContext, b: Build, c: BuildChroot): string[] {
  const api = buildChrootToApi(ctx.config.RESULTS_BASE_URL, b, c);
  return [
    esc(api.name),
    `<span class="state">${esc(api.state)}</span>`,
    esc(when(api.started_on)),
    esc(when(api.ended_on)),
    api.result_url ? link(api.result_url, 'results') : '',
  ];
}

async function buildPage(ctx: AppContext, owner: string | null, name: string | null, rawId: string): Promise<ServerPage | null> {
  const builds = ctx.app.ports.builds;
  // Not a build id at all: the dashboard's own not-found page answers.
  if (!/^\d{1,12}$/.test(rawId)) return null;
  const b = await builds.getBuild(Number(rawId));
  if (!b || (owner !== null && (b.ownername !== owner || b.projectname !== name))) return notFound(`Build ${rawId} does not exist.`);
  // `/coprs/build/<id>/` (what copr-cli prints) goes to the build's own page.
  if (owner === null) return { kind: 'redirect', location: buildPath(b.ownername, b.projectname, b.id) };
  const chroots = await builds.listBuildChroots(b.id);
  const api = buildToApi(ctx.config.RESULTS_BASE_URL, b, chroots);
  const facts: Array<[string, string]> = [
    ['State', `<span class="state">${esc(api.state)}</span>`],
    ['Project', link(projectPath(b.ownername, b.projectname), `${b.ownername}/${b.projectname}`)],
    ['Package', esc(api.source_package.name ?? '')],
    ['Version', esc(api.source_package.version ?? '')],
    ['Source type', esc(b.source_type)],
    ['Source', api.source_package.url ? link(api.source_package.url, api.source_package.url) : ''],
    ['Submitter', esc(api.submitter ?? '')],
    ['Submitted', esc(when(api.submitted_on))],
    ['Started', esc(when(api.started_on))],
    ['Finished', esc(when(api.ended_on))],
  ];
  const dl = facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('\n');
  const rows = chroots.filter((c) => api.chroots.includes(c.name)).map((c) => chrootRow(ctx, b, c));
  const body = [
    `<h1>Build ${b.id}</h1>`,
    `<dl class="build">\n${dl}\n</dl>`,
    '<h2>Results</h2>',
    rows.length === 0 ? '<p>No chroots yet.</p>' : table(['Chroot', 'State', 'Started', 'Finished', 'Results'], rows, 'build-chroots'),
  ].join('\n');
  return { kind: 'page', status: 200, body };
}

/** Path segments with decoding; null when a segment is not valid percent-encoding. */
function segments(path: string): string[] | null {
  try {
    return path.split('/').filter((s) => s.length > 0).map(decodeURIComponent);
  } catch {
    return null;
  }
}

/**
 * The server-rendered page for `path`, or null when the path is not one of them
 * (the shell is then served as it is).
 */
export async function serverPageFor(path: string, ctx: AppContext): Promise<ServerPage | null> {
  const s = segments(path);
  if (!s || s[0] !== 'coprs') return null;
  const rest = s.slice(1);
  if (rest.length === 0) return projectList(ctx);
  if (rest.length === 2 && rest[0] === 'build') return buildPage(ctx, null, null, rest[1] as string);
  // `/coprs/g/<group>/...` names the group `@<group>` (`/coprs/g/<group>/` is its owner page).
  const group = rest[0] === 'g';
  if (group && rest.length < 3) return null;
  const [owner, tail] = group ? [`@${rest[1]}`, rest.slice(2)] : [rest[0] as string, rest.slice(1)];
  if (tail.length === 1) return projectPage(ctx, owner, tail[0] as string);
  if (tail.length === 3 && tail[1] === 'build') return buildPage(ctx, owner, tail[0] as string, tail[2] as string);
  return null;
}
