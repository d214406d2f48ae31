// Outbound-only networking for a bubblewrap sandbox. The sandbox always gets its own empty
// network namespace (--unshare-net); when the build may use the network, slirp4netns
// plugs a user-mode NAT into that namespace. Connections leave from the host like any
// client's, but the host's loopback (the API, DynamoDB Local, the OIDC issuer, anything
// on 127.0.0.1) is not reachable: --disable-host-loopback refuses the 10.0.2.2 → host
// 127.0.0.1 mapping, and 127.0.0.1 inside is the namespace's own loopback.
//
// The wiring is a small bash launcher, so the sandbox port can stay "an argv": bwrap
// writes its child's pid to an info fifo and waits on a block fifo; the launcher attaches
// slirp4netns to that pid, waits until the tap device is up, then lets the build start.
// Everything runs in the caller's process group, so a cancel kills bwrap, slirp4netns and
// the launcher together.

/** Fds the launcher hands to bwrap (see bwrapNetArgs). */
const INFO_FD = 3;
const BLOCK_FD = 4;
const RESOLV_FD = 5;

/** slirp4netns' built-in DNS forwarder in its default 10.0.2.0/24 network. */
const SLIRP_DNS = '10.0.2.3';

/** bwrap options that pair with withOutboundNetwork; they go before bwrap's `--`. */
export function bwrapNetArgs(): string[] {
  return [
    '--info-fd', String(INFO_FD),
    '--block-fd', String(BLOCK_FD),
    // The host's resolv.conf may name a resolver on the host's loopback, which the
    // sandbox cannot reach; slirp4netns forwards DNS itself.
    '--ro-bind-data', String(RESOLV_FD), '/etc/resolv.conf',
  ];
}

const LAUNCHER = `set -u
state=$(mktemp -d "\${TMPDIR:-/tmp}/copr-sandbox-net.XXXXXX") || exit 1
slirp=
cleanup() { if [ -n "$slirp" ]; then kill "$slirp" 2>/dev/null; fi; rm -rf "$state"; }
trap cleanup EXIT
mkfifo "$state/info" "$state/block" "$state/ready" || exit 1
exec 6<>"$state/info" ${BLOCK_FD}<>"$state/block" 7<>"$state/ready"
"$@" ${INFO_FD}>"$state/info" ${RESOLV_FD}<<<'nameserver ${SLIRP_DNS}' 6>&- 7>&- &
bw=$!
pid=
while [ -z "$pid" ]; do
  if IFS= read -r -t 1 line <&6; then
    case $line in *'"child-pid"'*) pid=\${line//[!0-9]/} ;; esac
  elif ! kill -0 "$bw" 2>/dev/null; then
    wait "$bw"; exit $?
  fi
done
slirp4netns --configure --mtu=65520 --disable-host-loopback --enable-sandbox --enable-seccomp \\
  --ready-fd 7 "$pid" tap0 >"$state/slirp.log" 2>&1 ${BLOCK_FD}>&- 6>&- &
slirp=$!
if ! IFS= read -r -n 1 -t 30 _ <&7; then
  echo "copr sandbox: the network namespace could not be set up: $(cat "$state/slirp.log")" >&2
  kill "$bw" 2>/dev/null
  exit 1
fi
echo go >&${BLOCK_FD}
wait "$bw"
`;

/** Wraps a bwrap argv (which must carry bwrapNetArgs) so its namespace gets outbound NAT. */
export function withOutboundNetwork(bwrapArgv: readonly string[]): string[] {
  return ['bash', '-c', LAUNCHER, 'copr-sandbox-net', ...bwrapArgv];
}
