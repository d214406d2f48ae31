import { useEffect, useState } from 'preact/hooks';
import { completeLogin } from '../auth.js';
import { ErrorMessage, Loading } from '../components/ui.js';
import { Link, navigate } from '../router.js';
import { useTitle } from '../title.js';

export function CallbackPage({ query }: { query: URLSearchParams }) {
  useTitle('Logging in');
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    completeLogin(query).then((to) => navigate(to, { replace: true }), setError);
    // Runs once: the code is single use.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  return (
    <>
      <h1 tabIndex={-1}>Logging in</h1>
      {error ? (
        <>
          <ErrorMessage error={error} />
          <p>
            <Link href="/">Back to the home page</Link>
          </p>
        </>
      ) : (
        <Loading what="Finishing login" />
      )}
    </>
  );
}
