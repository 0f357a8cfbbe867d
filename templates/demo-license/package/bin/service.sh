# Shell functions the hooks share; sourced by scripts/*.sh (cwd = the install dir).

# A process is alive if /proc has it and it is not a zombie waiting to be reaped.
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

is_server() {
  tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q 'bin/server.mjs'
}

# Prints the server's pid if the pid file names a live server of THIS install dir (pids are reused).
server_pid() {
  local pid
  pid=$(cat run/server.pid 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] && alive "$pid" || return 1
  [ "$(readlink "/proc/$pid/cwd")" = "$PWD" ] || return 1
  is_server "$pid" || return 1
  echo "$pid"
}

require_node() {
  if ! command -v node >/dev/null; then
    echo "node is not installed: this product needs Node.js 18 or later" >&2
    return 1
  fi
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$major" -lt 18 ]; then
    echo "node $(node --version) is too old: this product needs Node.js 18 or later" >&2
    return 1
  fi
}

start_server() {
  local pid
  if pid=$(server_pid); then
    echo "already running (pid $pid)"
    return 0
  fi
  node bin/license.mjs || return 1
  mkdir -p run log
  # Detached from the hook's SSH session: a new session, no terminal, output to the log.
  setsid nohup node bin/server.mjs >>log/server.log 2>&1 </dev/null &
  local pid=$! waited=0
  echo "$pid" >run/server.pid
  # $! is known at the fork, before the child has become the server: wait (5 s at most) for the
  # exec, so that from now on server_pid and wait-healthy recognise the pid as the server's.
  while alive "$pid" && ! is_server "$pid" && [ "$waited" -lt 100 ]; do
    sleep 0.05
    waited=$((waited + 1))
  done
  echo "started (pid $pid)"
}

# TERM, then KILL if the server has not exited within $1 seconds (default 20).
stop_server() {
  local pid waited=0 limit=$((${1:-20} * 10))
  if ! pid=$(server_pid); then
    echo "not running"
    rm -f run/server.pid
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  while alive "$pid" && [ "$waited" -lt "$limit" ]; do
    sleep 0.1
    waited=$((waited + 1))
  done
  if alive "$pid"; then
    echo "still running after ${1:-20} s: killing pid $pid"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f run/server.pid
  echo "stopped (pid $pid)"
}
