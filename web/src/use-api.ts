import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

/** Loads data for a page; `reload` refetches, `pollMs` keeps it fresh while wanted. */
export interface Loaded<T> {
  data: T | null;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

export function useLoad<T>(load: () => Promise<T>, deps: unknown[], opts: { pollMs?: (data: T | null) => number | null } = {}): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: unknown; loading: boolean }>({ data: null, error: null, loading: true });
  const [tick, setTick] = useState(0);
  const pollRef = useRef(opts.pollMs);
  pollRef.current = opts.pollMs;
  const reload = useCallback(() => setTick((t) => t + 1), []);
  // A reload or poll keeps showing the old data; a change of what is loaded must not.
  const key = JSON.stringify(deps);
  const lastKey = useRef(key);

  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const sameThing = lastKey.current === key;
    lastKey.current = key;
    setState((s) => (sameThing ? { ...s, loading: true } : { data: null, error: null, loading: true }));
    load().then(
      (data) => {
        if (!live) return;
        setState({ data, error: null, loading: false });
        const ms = pollRef.current?.(data);
        if (ms) timer = setTimeout(() => setTick((t) => t + 1), ms);
      },
      (error: unknown) => live && setState({ data: null, error, loading: false }),
    );
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- deps are the caller's
  }, [...deps, tick]);

  return { ...state, reload };
}
