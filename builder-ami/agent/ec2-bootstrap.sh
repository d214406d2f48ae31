#!/usr/bin/env bash
# EC2 user data for a builder instance (launched with
# InstanceInitiatedShutdownBehavior=terminate). The dispatcher renders the values below
# into the user data; the instance runs its task and, as a warm builder (a builder
# credential given), asks for more tasks of the same sandbox until it has been idle for
# COPR_IDLE_SECONDS; then it powers off, which terminates it. Whatever happens, the
# instance must not outlive its work.
#
# The dispatcher renders this file with renderUserData() (user-data.ts), which replaces the
# placeholders below with shell-quoted values.
set -uo pipefail

COPR_API_URL=@@COPR_API_URL@@
COPR_TASK_ID=@@COPR_TASK_ID@@
COPR_TASK_CREDENTIAL=@@COPR_TASK_CREDENTIAL@@
COPR_BUILDER_CREDENTIAL=@@COPR_BUILDER_CREDENTIAL@@
COPR_IDLE_SECONDS=@@COPR_IDLE_SECONDS@@
# The deployment's DistGit lookaside caches (docs/builder.md); empty keeps the agent's defaults.
COPR_DISTGIT_LOOKASIDE=@@COPR_DISTGIT_LOOKASIDE@@

if [ "${COPR_BOOTSTRAP_DRY_RUN:-}" = 1 ]; then
  # For tests of the rendering: show what the agent would get, change nothing.
  printf '%s\n' "$COPR_API_URL" "$COPR_TASK_ID" "$COPR_TASK_CREDENTIAL"
  if [ -n "$COPR_BUILDER_CREDENTIAL" ]; then printf '%s\n' "$COPR_BUILDER_CREDENTIAL" "$COPR_IDLE_SECONDS"; fi
  if [ -n "$COPR_DISTGIT_LOOKASIDE" ]; then printf '%s\n' "$COPR_DISTGIT_LOOKASIDE"; fi
  exit 0
fi

AGENT_DIR=/opt/copr-builder          # installed by the AMI recipe
AGENT_USER=copr-builder              # member of the mock group
LOG=/var/log/copr-builder-agent.log

# Power off on any exit path, including a crash of this script.
trap 'sync; shutdown -h now' EXIT
# Hard stop in case the agent hangs: it touches $ALIVE before every task and every
# poll for work, so silence beyond any sane task timeout means it is stuck (the backend
# gives up on its task too). A warm builder may live through many tasks; only silence counts.
ALIVE=/var/lib/copr-builder/.alive
touch "$ALIVE"
chown "$AGENT_USER" "$ALIVE"
(
  limit=${COPR_MAX_SILENT_SECONDS:-36000}
  while sleep 60; do
    if [ $(( $(date +%s) - $(stat -c %Y "$ALIVE" 2>/dev/null || echo 0) )) -gt "$limit" ]; then shutdown -h now; fi
  done
) &

# The credential goes to a file readable only by the agent user, never to the process list.
cred_dir=$(mktemp -d)
chown "$AGENT_USER" "$cred_dir"
chmod 0700 "$cred_dir"
printf '%s' "$COPR_TASK_CREDENTIAL" > "$cred_dir/credential"
chown "$AGENT_USER" "$cred_dir/credential"
chmod 0600 "$cred_dir/credential"
unset COPR_TASK_CREDENTIAL
warm_args=()
if [ -n "$COPR_BUILDER_CREDENTIAL" ]; then
  printf '%s' "$COPR_BUILDER_CREDENTIAL" > "$cred_dir/builder-credential"
  chown "$AGENT_USER" "$cred_dir/builder-credential"
  chmod 0600 "$cred_dir/builder-credential"
  warm_args=(--builder-credential-file "$cred_dir/builder-credential" --idle-seconds "$COPR_IDLE_SECONDS")
fi
unset COPR_BUILDER_CREDENTIAL

runuser -u "$AGENT_USER" -- env \
  COPR_BUILDER_SANDBOX=mock \
  COPR_WORK_ROOT=/var/lib/copr-builder \
  COPR_ALIVE_FILE="$ALIVE" \
  COPR_DISTGIT_LOOKASIDE="$COPR_DISTGIT_LOOKASIDE" \
  HOME=/var/lib/copr-builder \
  node "$AGENT_DIR/agent.mjs" \
    --api "$COPR_API_URL" \
    --task "$COPR_TASK_ID" \
    --credential-file "$cred_dir/credential" \
    "${warm_args[@]}" \
  >>"$LOG" 2>&1
echo "agent exited with $?" >>"$LOG"
rm -rf "$cred_dir"
# The EXIT trap shuts the instance down.
