#!/usr/bin/env bash
# start: refuses (exit 1, with the reason) unless the installed license is valid, then starts the
# server detached. Already running: nothing to do.
set -euo pipefail
. bin/service.sh
start_server
