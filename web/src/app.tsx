import { useEffect } from 'preact/hooks';
import { login, logout, useSession } from './auth.js';
import { matchRoute } from './paths.js';
import { Link, useLocation } from './router.js';
import { ApiPage } from './pages/api-page.js';
import { BuildPage } from './pages/build.js';
import { BuildsPage } from './pages/builds.js';
import { CallbackPage } from './pages/callback.js';
import { DeleteProjectPage } from './pages/delete-project.js';
import { HomePage } from './pages/home.js';
import { IntegrationsPage } from './pages/integrations.js';
import { MonitorPage } from './pages/monitor.js';
import { NewBuildPage } from './pages/new-build.js';
import { NewProjectPage } from './pages/new-project.js';
import { OwnerPage } from './pages/owner.js';
import { PackageEditPage, PackageRebuildPage } from './pages/package-actions.js';
import { PackagePage } from './pages/package.js';
import { PackagesPage } from './pages/packages.js';
import { ProjectPage } from './pages/project.js';
import { ProjectsPage } from './pages/projects.js';
import { RepositoriesPage } from './pages/repositories.js';
import { SettingsPage } from './pages/settings.js';
import { StatusPage } from './pages/status.js';
import { UserInfoPage } from './pages/user-info.js';
import { useTitle } from './title.js';

export function App() {
  const loc = useLocation();
  const session = useSession();
  const route = matchRoute(loc.path);

  // Move focus to the new page's heading so keyboard and screen-reader users follow navigation.
  useEffect(() => {
    const h1 = document.querySelector<HTMLElement>('main h1');
    if (h1 && document.activeElement === document.body) h1.focus({ preventScroll: true });
  }, [loc.path]);

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <Link href="/" class="brand">
          Copr
        </Link>
        <nav aria-label="Main">
          <Link href="/">Home</Link>
          <Link href="/coprs/">Projects</Link>
          <Link href="/status/">Status</Link>
          {session ? <Link href="/coprs/add/">New project</Link> : null}
          <Link href="/api/">API</Link>
        </nav>
        <div class="who">
          {session ? (
            <>
              <Link href={`/coprs/${encodeURIComponent(session.username)}/`} data-testid="whoami">
                {session.username}
              </Link>
              <Link href="/user/info">My info</Link>
              <button type="button" class="link" onClick={logout}>
                Log out
              </button>
            </>
          ) : (
            <button type="button" onClick={() => void login(loc.path + location.search)}>
              Log in
            </button>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Page route={route} query={loc.query} />
      </main>
      <footer class="foot">
        <span>Copr build system</span> · <a href="/api_3/">APIv3</a>
      </footer>
    </>
  );
}

function Page({ route, query }: { route: ReturnType<typeof matchRoute>; query: URLSearchParams }) {
  switch (route.page) {
    case 'home':
      return <HomePage query={query} />;
    case 'status':
      return <StatusPage kind={route.kind} />;
    case 'projects':
      return <ProjectsPage query={query} />;
    case 'user-info':
      return <UserInfoPage />;
    case 'monitor':
      return <MonitorPage owner={route.owner} project={route.project} />;
    case 'integrations':
      return <IntegrationsPage owner={route.owner} project={route.project} />;
    case 'repositories':
      return <RepositoriesPage owner={route.owner} project={route.project} />;
    case 'delete':
      return <DeleteProjectPage owner={route.owner} project={route.project} />;
    case 'package-rebuild':
      return <PackageRebuildPage owner={route.owner} project={route.project} name={route.name} />;
    case 'package-edit':
      return <PackageEditPage owner={route.owner} project={route.project} name={route.name} />;
    case 'api':
      return <ApiPage />;
    case 'callback':
      return <CallbackPage query={query} />;
    case 'new-project':
      return <NewProjectPage />;
    case 'owner':
      return <OwnerPage owner={route.owner} />;
    case 'project':
      return <ProjectPage owner={route.owner} project={route.project} />;
    case 'builds':
      return <BuildsPage owner={route.owner} project={route.project} query={query} />;
    case 'packages':
      return <PackagesPage owner={route.owner} project={route.project} query={query} />;
    case 'edit':
      return <SettingsPage owner={route.owner} project={route.project} />;
    case 'add-build':
      return <NewBuildPage owner={route.owner} project={route.project} />;
    case 'build':
      return <BuildPage owner={route.owner} project={route.project} id={route.id} />;
    case 'package':
      return <PackagePage owner={route.owner} project={route.project} name={route.name} />;
    case 'not-found':
      return <NotFound />;
  }
}

function NotFound() {
  useTitle('Page not found');
  return (
    <>
      <h1 tabIndex={-1}>Page not found</h1>
      <p>
        There is no page at this address. Go to the <Link href="/">home page</Link>.
      </p>
    </>
  );
}
