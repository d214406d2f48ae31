// Outbound-only networking for a bubblewrap sandbox. The sandbox always gets its own empty
// network namespace (--unshare-net); when the build may use the network, slirp4netns
// plugs a user-mode NAT into that namespace. Connections leave from the host like any
// client's, but the host's loopback (the API, DynamoDB Local, the OIDC issuer, anything
// on 127.0.0.1) is not reachable: --disable-host-loopback refuses the 10.0.2.2 → host
// 127.0.0.1 mapping, and 127.0.0.1 inside is the namespace's own loopback.
//
// The wiring is a small bash launcher, so the sandbox port can stay "an argv": bwrap
// writes its child's pid to an info fifo; the sandboxed command starts with a few lines
// of sh that report "up" (bwrap's own namespace setup is then complete) and wait for "go";
// the launcher attaches slirp4netns to the child's namespace, waits until the tap device
// is ready, then says go, and the build's command replaces the sh. Attaching earlier races
// bwrap's own setup (setns EPERM, loopback RTM_NEWADDR failures). Everything runs in the
// caller's process group, so a cancel kills bwrap, slirp4netns and the launcher together.

/** Fds the launcher opens and bwrap or the sandboxed sh use. */
const INFO_FD = 3;
const GO_FD = 4;
const RESOLV_FD = 5;
const UP_FD = 8;

/** slirp4netns' built-in DNS forwarder in its default 10.0.2.0/24 network. */
const SLIRP_DNS = '10.0.2.3';

/** bwrap options that pair with withOutboundNetwork; they go before bwrap's `--`. */
export function bwrapNetArgs(): string[] {
  return [
    '--info-fd', String(INFO_FD),
    // The host's resolv.conf may name a resolver on the host's loopback, which the
    // sandbox cannot reach; slirp4netns forwards DNS itself.
    '--ro-bind-data', String(RESOLV_FD), '/etc/resolv.conf',
  ];
}

/** The sandboxed command, held until the launcher has wired the network. */
export function waitForNetwork(command: readonly string[]): string[] {
  const gate = `printf u >&${UP_FD} && read -r _ <&${GO_FD}; exec ${GO_FD}<&- ${UP_FD}>&- ${INFO_FD}>&- ${RESOLV_FD}<&-; exec "$@"`;
  return ['/bin/sh', '-c', gate, 'copr-net-wait', ...command];
}

const LAUNCHER = `set -u
state=$(mktemp -d "\${TMPDIR:-/tmp}/copr-sandbox-net.XXXXXX") || exit 1
mkfifo "$state/info" "$state/go" "$state/up" "$state/ready" || { rm -rf "$state"; exit 1; }
# Every fifo is opened read-write (never blocks), then the dir goes: nothing is left behind
# even when a cancel SIGKILLs the whole group.
exec 6<>"$state/info" ${INFO_FD}>"$state/info" ${GO_FD}<>"$state/go" ${UP_FD}<>"$state/up" 7<>"$state/ready" 9>"$state/slirp.log"
rm -rf "$state"
slirp=
trap 'if [ -n "$slirp" ]; then kill "$slirp" 2>/dev/null; fi' EXIT
"$@" ${RESOLV_FD}<<<'nameserver ${SLIRP_DNS}' 6>&- 7>&- 9>&- &
bw=$!
exec ${INFO_FD}>&-
# Reads one line (or byte with -n 1) from an fd; gives up, with bwrap's status, if bwrap ends.
await() {
  local fd=$1 what=$2 waited=0
  shift 2
  while :; do
    if IFS= read -r -t 1 "$@" line <&"$fd"; then return 0; fi
    if ! kill -0 "$bw" 2>/dev/null; then wait "$bw"; exit $?; fi
    waited=$((waited + 1))
    if [ "$waited" -ge 60 ]; then
      echo "copr sandbox: the network namespace could not be set up ($what): $(cat /proc/$$/fd/9 2>/dev/null)" >&2
      kill "$bw" 2>/dev/null; exit 1
    fi
  done
}
pid=
while [ -z "$pid" ]; do
  await 6 'bwrap info'
  case $line in *'"child-pid"'*) pid=\${line//[!0-9]/} ;; esac
done
await ${UP_FD} 'sandbox start' -n 1
slirp4netns --configure --mtu=65520 --disable-host-loopback --enable-sandbox --enable-seccomp \\
  --ready-fd 7 "$pid" tap0 >&9 2>&9 ${GO_FD}>&- ${UP_FD}>&- 6>&- &
slirp=$!
await 7 'slirp4netns' -n 1
echo go >&${GO_FD}
wait "$bw"
`;

/** Wraps a bwrap argv (with bwrapNetArgs and a waitForNetwork command) so its namespace gets outbound NAT. */
export function withOutboundNetwork(bwrapArgv: readonly string[]): string[] {
  return ['bash', '-c', LAUNCHER, 'copr-sandbox-net', ...bwrapArgv];
}
