import type { Caller } from '../core/model.js';
import type { ApiRequest } from './request.js';
import type { AppContext } from './context.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RouteRequest extends ApiRequest {
  params: Record<string, string>;
  /** Set when the request carried valid credentials. */
  caller: Caller | null;
}

/** The request of a route that requires login: the caller is known. */
export interface AuthedRequest extends RouteRequest {
  caller: Caller;
}

interface RouteBase {
  method: Method;
  /** Segments; `{name}` matches one segment, `{name+}` the rest of the path. */
  path: string;
}

/** Anyone may call it; `caller` is set when valid credentials came along. */
export interface PublicRoute extends RouteBase {
  auth?: false;
  handler: (req: RouteRequest, ctx: AppContext) => Promise<unknown>;
}

/** Login required: anonymous or invalid credentials get 401 before the handler runs. */
export interface AuthedRoute extends RouteBase {
  auth: true;
  handler: (req: AuthedRequest, ctx: AppContext) => Promise<unknown>;
}

export type Route = PublicRoute | AuthedRoute;

interface Compiled {
  route: Route;
  segments: string[];
}

export type Match =
  | { kind: 'found'; route: Route; params: Record<string, string> }
  | { kind: 'wrong-method'; allowed: Method[] }
  | { kind: 'none' };

function splitPath(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}

function decode(seg: string): string | null {
  try {
    return decodeURIComponent(seg);
  } catch {
    return null;
  }
}

function matchSegments(pattern: string[], actual: string[]): Record<string, string> | null {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p.startsWith('{') && p.endsWith('+}')) {
      if (i >= actual.length) return null;
      const rest = actual.slice(i).map(decode);
      if (rest.some((s) => s === null)) return null;
      params[p.slice(1, -2)] = rest.join('/');
      return params;
    }
    const a = actual[i];
    if (a === undefined) return null;
    if (p.startsWith('{') && p.endsWith('}')) {
      const v = decode(a);
      if (v === null || v.length === 0) return null;
      params[p.slice(1, -1)] = v;
    } else if (p !== a) {
      return null;
    }
  }
  return pattern.length === actual.length ? params : null;
}

export class Router {
  private readonly compiled: Compiled[] = [];

  add(...routes: Route[]): this {
    for (const route of routes) this.compiled.push({ route, segments: splitPath(route.path) });
    return this;
  }

  get routes(): readonly Route[] {
    return this.compiled.map((c) => c.route);
  }

  /**
   * Upstream accepts POST on every PUT/DELETE route, and GET routes answer HEAD;
   * a route registered for the exact method wins over such a fallback.
   */
  match(method: string, path: string): Match {
    const actual = splitPath(path);
    const allowed: Method[] = [];
    let fallback: Match | null = null;
    for (const c of this.compiled) {
      const params = matchSegments(c.segments, actual);
      if (!params) continue;
      if (c.route.method === method) return { kind: 'found', route: c.route, params };
      if (method === 'POST' && (c.route.method === 'PUT' || c.route.method === 'DELETE')) {
        fallback ??= { kind: 'found', route: c.route, params };
      }
      if (method === 'HEAD' && c.route.method === 'GET') fallback ??= { kind: 'found', route: c.route, params };
      allowed.push(c.route.method);
    }
    if (fallback) return fallback;
    return allowed.length > 0 ? { kind: 'wrong-method', allowed } : { kind: 'none' };
  }
}
