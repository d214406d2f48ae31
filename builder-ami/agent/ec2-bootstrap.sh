#!/usr/bin/env bash
# EC2 user data for a builder instance (launched with
# InstanceInitiatedShutdownBehavior=terminate). The dispatcher renders the three values
# below into the user data; the instance runs exactly one task and then powers off, which
# terminates it. Whatever happens, the instance must not outlive its task.
#
# The dispatcher renders this file with renderUserData() (user-data.ts), which replaces the
# three placeholders below with shell-quoted values.
set -uo pipefail

COPR_API_URL=@@COPR_API_URL@@
COPR_TASK_ID=@@COPR_TASK_ID@@
COPR_TASK_CREDENTIAL=@@COPR_TASK_CREDENTIAL@@

if [ "${COPR_BOOTSTRAP_DRY_RUN:-}" = 1 ]; then
  # For tests of the rendering: show what the agent would get, change nothing.
  printf '%s\n' "$COPR_API_URL" "$COPR_TASK_ID" "$COPR_TASK_CREDENTIAL"
  exit 0
fi

AGENT_DIR=/opt/copr-builder          # installed by the AMI recipe
AGENT_USER=copr-builder              # member of the mock group
LOG=/var/log/copr-builder-agent.log

# Power off on any exit path, including a crash of this script.
trap 'sync; shutdown -h now' EXIT
# Hard stop in case the agent hangs beyond any sane task timeout (the backend also gives up).
( sleep "${COPR_MAX_INSTANCE_SECONDS:-36000}"; shutdown -h now ) &

# The credential goes to a file readable only by the agent user, never to the process list.
cred_dir=$(mktemp -d)
chown "$AGENT_USER" "$cred_dir"
chmod 0700 "$cred_dir"
printf '%s' "$COPR_TASK_CREDENTIAL" > "$cred_dir/credential"
chown "$AGENT_USER" "$cred_dir/credential"
chmod 0600 "$cred_dir/credential"
unset COPR_TASK_CREDENTIAL

runuser -u "$AGENT_USER" -- env \
  COPR_BUILDER_SANDBOX=mock \
  COPR_WORK_ROOT=/var/lib/copr-builder \
  HOME=/var/lib/copr-builder \
  node "$AGENT_DIR/agent.mjs" \
    --api "$COPR_API_URL" \
    --task "$COPR_TASK_ID" \
    --credential-file "$cred_dir/credential" \
  >>"$LOG" 2>&1
echo "agent exited with $?" >>"$LOG"
rm -rf "$cred_dir"
# The EXIT trap shuts the instance down.
