/**
 * The simulated workload: who submits how many builds when, and how long each
 * builder step takes. Everything is drawn from one seeded generator, so a run
 * is repeatable and two strategies (cold, warm) see the same builds.
 */

/** mulberry32: small, fast, good enough for a simulation's draws. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Log-normal draw with the given median, spread (sigma of the log) and upper cap. */
export function logNormal(rand: () => number, median: number, sigma: number, cap: number): number {
  const u1 = Math.max(rand(), 1e-12);
  const u2 = rand();
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  return Math.min(cap, median * Math.exp(sigma * z));
}

export interface OwnerPlan {
  owner: string;
  /** mass: a mass rebuild submitted at once; medium: a batch; single: one build at a random time. */
  kind: 'mass' | 'medium' | 'single';
  builds: number;
}

export interface PlannedBuild {
  owner: string;
  kind: OwnerPlan['kind'];
  /** Simulated second of the submission. */
  submitAt: number;
  /** Package name the SRPM stage reports. */
  pkg: string;
  /** Seconds of work: the SRPM stage, and the RPM stage of each chroot (without buildroot init). */
  srpmSeconds: number;
  rpmSeconds: number[];
  srpmFails: boolean;
  rpmFails: boolean[];
}

export interface WorkloadSpec {
  builds: number;
  owners: number;
  chroots: string[];
  seed: number;
  /** Single-build owners submit at a random second in [0, spreadSeconds). */
  spreadSeconds: number;
  /** Multiplies every build duration (tests shorten the work; 1 = the model below). */
  workScale: number;
  /** Builds per second one owner's script submits (copr-cli in a loop; the API answers each in turn). */
  submitRate: number;
}

/**
 * 50 owners by default: 37 owners with one build each; of the other builds, 3
 * mass-rebuild owners submit 50/25/15% and 10 medium owners share the last 10%.
 */
export function planOwners(spec: Pick<WorkloadSpec, 'builds' | 'owners'>): OwnerPlan[] {
  const singles = Math.max(0, spec.owners - 13);
  const shared = spec.builds - singles;
  if (shared < 13) throw new Error(`${spec.builds} builds are too few for ${spec.owners} owners`);
  const mass = [0.5, 0.25, 0.15].map((f) => Math.floor(shared * f));
  const rest = shared - mass.reduce((a, b) => a + b, 0);
  const medium = Array.from({ length: 10 }, (_, i) => Math.floor(rest / 10) + (i < rest % 10 ? 1 : 0));
  return [
    ...mass.map((n, i) => ({ owner: `mass${i + 1}`, kind: 'mass' as const, builds: n })),
    ...medium.map((n, i) => ({ owner: `medium${i + 1}`, kind: 'medium' as const, builds: n })),
    ...Array.from({ length: singles }, (_, i) => ({ owner: `single${i + 1}`, kind: 'single' as const, builds: 1 })),
  ];
}

export function planBuilds(spec: WorkloadSpec): PlannedBuild[] {
  const rand = seededRandom(spec.seed);
  const out: PlannedBuild[] = [];
  for (const o of planOwners(spec)) {
    // Medium owners submit their batch at one random moment of the first half of the spread.
    const batchAt = Math.floor(rand() * (spec.spreadSeconds / 2));
    for (let i = 0; i < o.builds; i++) {
      const paced = Math.floor(i / spec.submitRate);
      const submitAt = o.kind === 'mass' ? paced : o.kind === 'medium' ? batchAt + paced : Math.floor(rand() * spec.spreadSeconds);
      out.push({
        owner: o.owner,
        kind: o.kind,
        submitAt,
        pkg: `pkg-${o.owner}-${i}`,
        // Copr's typical small builds: SRPM stages of about a minute, RPM builds of a few
        // minutes with a long tail (capped at 2 h).
        srpmSeconds: Math.round(spec.workScale * logNormal(rand, 45, 0.5, 1800)),
        rpmSeconds: spec.chroots.map(() => Math.round(spec.workScale * logNormal(rand, 180, 0.9, 7200))),
        srpmFails: rand() < 0.03,
        rpmFails: spec.chroots.map(() => rand() < 0.08),
      });
    }
  }
  return out.sort((a, b) => a.submitAt - b.submitAt);
}
