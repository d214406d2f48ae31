/**
 * CloudFormation's intrinsic functions over the physical ids the rehearsal's
 * "deployment" gave each resource: what `Ref`/`Fn::GetAtt` would resolve to in the
 * emulated account, so environment variables and policies read exactly as the
 * deployed stack's would.
 */
export const REGION = 'us-east-1';
/** moto's default account; every ARN the rehearsal writes uses it. */
export const ACCOUNT = '123456789012';
export const STACK_NAME = 'Copr-dev';

export interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
}

export interface Template {
  readonly Resources: Record<string, Resource>;
  readonly Parameters?: Record<string, { Default?: unknown }>;
  readonly Outputs?: Record<string, { Value: unknown }>;
}

/** What a resource resolves to once created: its `Ref` and its attributes. */
export interface Physical {
  readonly ref: string;
  readonly attrs: Record<string, string>;
}

export class UnresolvedError extends Error {}

export class Resolver {
  readonly physical = new Map<string, Physical>();

  constructor(private readonly template: Template) {}

  set(logicalId: string, ref: string, attrs: Record<string, string> = {}): void {
    this.physical.set(logicalId, { ref, attrs });
  }

  ref(logicalId: string): string {
    const pseudo: Record<string, string> = {
      'AWS::Region': REGION,
      'AWS::AccountId': ACCOUNT,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': STACK_NAME,
      'AWS::StackId': `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${STACK_NAME}/rehearsal`,
      'AWS::NoValue': '',
    };
    const p = pseudo[logicalId];
    if (p !== undefined) return p;
    const param = this.template.Parameters?.[logicalId];
    if (param) return String(param.Default ?? '');
    const got = this.physical.get(logicalId);
    if (!got) throw new UnresolvedError(`Ref ${logicalId} (not created yet)`);
    return got.ref;
  }

  getAtt(logicalId: string, attr: string): string {
    const got = this.physical.get(logicalId);
    const value = got?.attrs[attr];
    if (value === undefined) throw new UnresolvedError(`Fn::GetAtt ${logicalId}.${attr}`);
    return value;
  }

  /** Resolves every intrinsic in a value (deep). */
  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value === null || typeof value !== 'object') return value;
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (keys.length === 1) {
      const [k] = keys as [string];
      const arg = obj[k];
      switch (k) {
        case 'Ref':
          return this.ref(String(arg));
        case 'Fn::GetAtt': {
          const [id, attr] = Array.isArray(arg) ? (arg as string[]) : String(arg).split(/\.(.*)/s);
          return this.getAtt(String(id), String(attr));
        }
        case 'Fn::Join': {
          const [sep, parts] = arg as [string, unknown[]];
          return (this.resolve(parts) as unknown[]).map(String).join(sep);
        }
        case 'Fn::Select': {
          const [index, list] = arg as [unknown, unknown];
          return (this.resolve(list) as unknown[])[Number(this.resolve(index))];
        }
        case 'Fn::Split': {
          const [sep, s] = arg as [string, unknown];
          return String(this.resolve(s)).split(sep);
        }
        case 'Fn::Base64':
          return Buffer.from(String(this.resolve(arg))).toString('base64');
        case 'Fn::Sub':
          return this.sub(arg);
        case 'Fn::GetAZs':
          return [`${REGION}a`, `${REGION}b`, `${REGION}c`];
        default:
          if (k.startsWith('Fn::')) throw new UnresolvedError(`${k} is not supported by the rehearsal`);
      }
    }
    return Object.fromEntries(keys.map((k) => [k, this.resolve(obj[k])]));
  }

  resolveString(value: unknown): string {
    const r = this.resolve(value);
    if (typeof r !== 'string') throw new UnresolvedError(`expected a string, got ${JSON.stringify(r)}`);
    return r;
  }

  private sub(arg: unknown): string {
    const [text, vars] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [String(arg), {}];
    return text.replace(/\$\{([^}]+)\}/g, (_m, name: string) => {
      if (name.startsWith('!')) return `\${${name.slice(1)}}`;
      if (name in vars) return String(this.resolve(vars[name]));
      const [id, attr] = name.split(/\.(.*)/s);
      return attr ? this.getAtt(String(id), attr) : this.ref(String(id));
    });
  }
}

/** Resources in an order where every `Ref`/`GetAtt`/`DependsOn` target comes first. */
export function creationOrder(template: Template): string[] {
  const deps = new Map<string, Set<string>>();
  const ids = new Set(Object.keys(template.Resources));
  const collect = (v: unknown, into: Set<string>): void => {
    if (Array.isArray(v)) return v.forEach((x) => collect(x, into));
    if (v === null || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (k === 'Ref' && typeof x === 'string' && ids.has(x)) into.add(x);
      else if (k === 'Fn::GetAtt') {
        const id = Array.isArray(x) ? String(x[0]) : String(x).split('.')[0];
        if (id && ids.has(id)) into.add(id);
      } else if (k === 'Fn::Sub') {
        const text = Array.isArray(x) ? String(x[0]) : String(x);
        for (const m of text.matchAll(/\$\{([^}.!]+)/g)) if (m[1] && ids.has(m[1])) into.add(m[1]);
        if (Array.isArray(x)) collect(x[1], into);
      } else collect(x, into);
    }
  };
  for (const [id, r] of Object.entries(template.Resources)) {
    const d = new Set<string>();
    collect(r.Properties ?? {}, d);
    for (const x of ([] as string[]).concat(r.DependsOn ?? [])) d.add(x);
    d.delete(id);
    deps.set(id, d);
  }
  const out: string[] = [];
  const done = new Set<string>();
  const visit = (id: string, path: Set<string>): void => {
    if (done.has(id)) return;
    if (path.has(id)) throw new Error(`dependency cycle at ${id}`);
    path.add(id);
    for (const d of deps.get(id) ?? []) visit(d, path);
    path.delete(id);
    done.add(id);
    out.push(id);
  };
  for (const id of Object.keys(template.Resources).sort()) visit(id, new Set());
  return out;
}
