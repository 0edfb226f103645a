#!/bin/sh
# Installs the Tunnelfleet node agent from the control plane that served this script,
# joins this node to it and starts the agent. The console renders the server URL below.
#
# Nothing here trusts the network on its own: every download uses the gateway CA given
# with --ca-file, and the script first checks that CA's public key hash against
# --ca-hash (the pin printed by the console). The agent artefact is installed only when
# its SHA-256 matches the manifest. Running the script again is safe: an agent already
# joined to this server is not joined again, and the artefact is replaced atomically.
#
# Usage: sh install.sh --token TOKEN --ca-hash sha256:HEX --ca-file CA.pem [options]
#
# Environment:
#   TUNNELFLEET_PREFIX   install under this directory instead of / (for tests); the
#                        agent is then registered with systemd only when
#   TUNNELFLEET_SYSTEMD_RUN_DIR  names a directory that exists (tests point it at a temp
#                        dir and put a stand-in systemctl on PATH)
set -eu

SERVER='@@SERVER_URL@@'

PREFIX="${TUNNELFLEET_PREFIX:-}"
LIB_DIR="$PREFIX/usr/local/lib/tunnelfleet"
BIN_DIR="$PREFIX/usr/local/bin"
AGENT_FILE="$LIB_DIR/tunnelfleet-agent.mjs"
AGENT_LINK="$BIN_DIR/tunnelfleet-agent"
STATE_DIR="$PREFIX/etc/tunnelfleet"
RUN_DIR="$PREFIX/run/tunnelfleet"
UNIT_DIR="$PREFIX/etc/systemd/system"
# systemd is running when this directory exists (what sd_booted checks).
if [ -n "$PREFIX" ]; then
  SYSTEMD_RUN_DIR="${TUNNELFLEET_SYSTEMD_RUN_DIR:-}"
else
  SYSTEMD_RUN_DIR="/run/systemd/system"
fi
MINIMUM_NODE_MAJOR=20

TOKEN=""
CA_HASH=""
CA_FILE=""
HOST_NAME=""
INSTALL_DEPS=0
START_MODE="auto"

say() {
  printf 'tunnelfleet: %s\n' "$*"
}

fail() {
  printf 'tunnelfleet: error: %s\n' "$*" >&2
  exit 1
}

usage() {
  cat <<EOF
Usage: sh install.sh --token TOKEN --ca-hash sha256:HEX --ca-file CA.pem [options]

Installs the Tunnelfleet agent from $SERVER and joins this node.

Options:
  --token TOKEN        single-use join token from the console
  --ca-hash HASH       SPKI hash of the gateway CA, sha256:<64 hex digits>
  --ca-file FILE       gateway CA certificate (PEM), checked against --ca-hash
  --name NAME          host name to register when the token does not fix one
  --install-deps       install stunnel with apt-get, dnf or yum when it is missing
  --start              without systemd, start the agent in the background
  --no-start           do not start the agent or register it with systemd
  --help               print this help
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
    --token | --ca-hash | --ca-file | --name)
      [ $# -ge 2 ] || fail "$1 needs a value; run with --help for the options"
      case "$1" in
        --token) TOKEN="$2" ;;
        --ca-hash) CA_HASH="$2" ;;
        --ca-file) CA_FILE="$2" ;;
        --name) HOST_NAME="$2" ;;
      esac
      shift 2
      ;;
    --install-deps) INSTALL_DEPS=1; shift ;;
    --start) START_MODE="background"; shift ;;
    --no-start) START_MODE="none"; shift ;;
    --help | -h) usage; exit 0 ;;
    *) fail "unknown option \"$1\"; run with --help for the options" ;;
  esac
done

[ -n "$TOKEN" ] || fail "--token is missing; copy the whole join command from the console"
printf '%s\n' "$CA_HASH" | grep -Eq '^sha256:[0-9a-f]{64}$' ||
  fail "--ca-hash \"$CA_HASH\" is not sha256:<64 hex digits>; copy it from the console"
if [ -z "$CA_FILE" ] || [ ! -r "$CA_FILE" ]; then
  fail "--ca-file \"$CA_FILE\" is not a readable file; give the gateway CA (PEM)"
fi

# --- preflight: who we are and what this node has --------------------------------------

[ "$(id -u)" -eq 0 ] || fail "run this as root: the agent manages stunnel and iptables"

for tool in curl openssl sha256sum; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is not installed; install it and run the command again"
done

command -v node >/dev/null 2>&1 || fail "Node.js is not installed; install Node.js $MINIMUM_NODE_MAJOR or newer and run the command again"
NODE_VERSION="$(node -p 'process.versions.node')"
NODE_MAJOR="${NODE_VERSION%%.*}"
[ "$NODE_MAJOR" -ge "$MINIMUM_NODE_MAJOR" ] 2>/dev/null ||
  fail "Node.js $NODE_VERSION is too old; the agent needs Node.js $MINIMUM_NODE_MAJOR or newer"

install_stunnel() {
  if command -v apt-get >/dev/null 2>&1; then
    apt-get install -y stunnel4
  elif command -v dnf >/dev/null 2>&1; then
    dnf install -y stunnel
  elif command -v yum >/dev/null 2>&1; then
    yum install -y stunnel
  else
    fail "stunnel is not installed and no apt-get, dnf or yum was found; install stunnel 5 by hand"
  fi
}

if ! command -v stunnel >/dev/null 2>&1 && ! command -v stunnel4 >/dev/null 2>&1; then
  if [ "$INSTALL_DEPS" -eq 1 ]; then
    say "stunnel is missing; installing it"
    install_stunnel
  else
    fail "stunnel is not installed. Install it with one of:
  apt-get install -y stunnel4     (Debian, Ubuntu)
  dnf install -y stunnel          (Fedora, RHEL 8+)
  yum install -y stunnel          (RHEL 7, CentOS 7)
or run the join command again with --install-deps appended."
  fi
fi

# --- trust: the CA file must carry the pinned key -----------------------------------------

ACTUAL_HASH="sha256:$(openssl x509 -in "$CA_FILE" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -c1-64)"
[ "$ACTUAL_HASH" = "$CA_HASH" ] ||
  fail "the CA in $CA_FILE has key hash $ACTUAL_HASH, not the pinned $CA_HASH; stopped before downloading anything"

WORK_DIR="$(mktemp -d)"
trap 'rm -rf "$WORK_DIR"' EXIT

fetch() {
  curl -fsS --globoff --proto =https --tlsv1.2 --cacert "$CA_FILE" -o "$2" "$SERVER$1" ||
    fail "downloading $SERVER$1 failed; check that this node reaches the control plane"
}

# --- download and verify the artefact -------------------------------------------------

fetch /v1/agent/manifest.json "$WORK_DIR/manifest.json"
EXPECTED_SHA256="$(sed -n 's/.*"sha256":"\([0-9a-f]\{64\}\)".*/\1/p' "$WORK_DIR/manifest.json")"
VERSION="$(sed -n 's/.*"version":"\([0-9A-Za-z.+-]*\)".*/\1/p' "$WORK_DIR/manifest.json")"
if [ -z "$EXPECTED_SHA256" ] || [ -z "$VERSION" ]; then
  fail "the manifest from $SERVER/v1/agent/manifest.json has no version or sha256; is the control plane up to date?"
fi

fetch /v1/agent/tunnelfleet-agent.js "$WORK_DIR/tunnelfleet-agent.mjs"
ACTUAL_SHA256="$(sha256sum "$WORK_DIR/tunnelfleet-agent.mjs" | cut -c1-64)"
if [ "$ACTUAL_SHA256" != "$EXPECTED_SHA256" ]; then
  fail "the downloaded agent has SHA-256 $ACTUAL_SHA256 but the manifest says $EXPECTED_SHA256; nothing was installed. Run the command again; if it fails the same way, the artefact on the control plane was altered or rebuilt during the download."
fi

# --- install: a rename replaces the file and the link in one step -------------------------

CHANGED=1
if [ -f "$AGENT_FILE" ] && [ "$(sha256sum "$AGENT_FILE" | cut -c1-64)" = "$ACTUAL_SHA256" ]; then
  CHANGED=0
fi

mkdir -p "$LIB_DIR" "$BIN_DIR"
if [ "$CHANGED" -eq 1 ]; then
  cp "$WORK_DIR/tunnelfleet-agent.mjs" "$AGENT_FILE.new.$$"
  chmod 0755 "$AGENT_FILE.new.$$"
  mv -f "$AGENT_FILE.new.$$" "$AGENT_FILE"
  say "installed agent $VERSION at $AGENT_FILE"
else
  say "agent $VERSION is already installed at $AGENT_FILE"
fi
ln -s "$AGENT_FILE" "$AGENT_LINK.new.$$"
mv -f "$AGENT_LINK.new.$$" "$AGENT_LINK"
say "linked $AGENT_LINK"

# --- join, unless this node already is a member of this server ---------------------------

IDENTITY_FILE="$STATE_DIR/identity/identity.json"
if [ -f "$IDENTITY_FILE" ]; then
  JOINED="$(node -e '
    const identity = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
    process.stdout.write(identity.server + " " + identity.caHash);
  ' "$IDENTITY_FILE")" || fail "$IDENTITY_FILE is not readable JSON; run tunnelfleet-agent uninstall and try again"
  [ "$JOINED" = "$SERVER $CA_HASH" ] ||
    fail "this node is already joined to another control plane (${JOINED% *}); run \"$AGENT_LINK uninstall\" first to move it to $SERVER"
  say "already joined to $SERVER; not joining again"
else
  set -- join --server "$SERVER" --token "$TOKEN" --ca-hash "$CA_HASH" --state-dir "$STATE_DIR" --run-dir "$RUN_DIR"
  [ -z "$HOST_NAME" ] || set -- "$@" --name "$HOST_NAME"
  "$AGENT_LINK" "$@" || fail "joining $SERVER failed (see above); nothing else was changed, and the agent stays installed"
fi

# --- start -------------------------------------------------------------------------------

RUN_COMMAND="$AGENT_LINK run --state-dir $STATE_DIR --run-dir $RUN_DIR"

agent_pid() {
  [ -f "$RUN_DIR/agent.pid" ] || return 1
  pid="$(cat "$RUN_DIR/agent.pid")"
  kill -0 "$pid" 2>/dev/null || return 1
  grep -q tunnelfleet-agent "/proc/$pid/cmdline" 2>/dev/null || return 1
  printf '%s' "$pid"
}

if [ "$START_MODE" = "none" ]; then
  say "not starting the agent (--no-start); start it with: $RUN_COMMAND"
elif [ -n "$SYSTEMD_RUN_DIR" ] && [ -d "$SYSTEMD_RUN_DIR" ] && command -v systemctl >/dev/null 2>&1; then
  "$AGENT_LINK" install-service --state-dir "$STATE_DIR" --run-dir "$RUN_DIR" --unit-dir "$UNIT_DIR"
  systemctl daemon-reload
  systemctl enable --now tunnelfleet-agent
  if [ "$CHANGED" -eq 1 ]; then systemctl restart tunnelfleet-agent; fi
  say "agent service tunnelfleet-agent is enabled and running (systemctl status tunnelfleet-agent)"
elif [ "$START_MODE" = "background" ]; then
  mkdir -p "$RUN_DIR"
  if OLD_PID="$(agent_pid)"; then
    if [ "$CHANGED" -eq 0 ]; then
      say "agent already running with PID $OLD_PID"
      exit 0
    fi
    kill "$OLD_PID"
    say "stopped the previous agent (PID $OLD_PID) to run the new version"
  fi
  nohup "$AGENT_LINK" run --state-dir "$STATE_DIR" --run-dir "$RUN_DIR" >>"$RUN_DIR/agent.log" 2>&1 </dev/null &
  printf '%s\n' "$!" >"$RUN_DIR/agent.pid"
  say "agent started in the background with PID $!; log in $RUN_DIR/agent.log, PID in $RUN_DIR/agent.pid"
  say "without systemd nothing restarts it after a reboot or a crash; run it under your init system"
else
  say "no systemd found; start the agent with: $RUN_COMMAND"
  say "or run the join command again with --start appended to start it in the background"
fi
