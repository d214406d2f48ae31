import { useState } from 'preact/hooks';

/**
 * A form's action: `busy` while it runs (its buttons are disabled meanwhile) and its
 * failure kept for <ErrorMessage>; a new run clears the last failure.
 */
export interface Submission {
  busy: boolean;
  error: unknown;
  /** Runs `action`; true when it succeeded. */
  run: (action: () => Promise<unknown>) => Promise<boolean>;
}

export function useSubmit(): Submission {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
      return true;
    } catch (err) {
      setError(err);
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}
