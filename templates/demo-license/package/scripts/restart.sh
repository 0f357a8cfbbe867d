#!/usr/bin/env bash
# restart: after an upgrade (new license, maybe a bigger server).
set -euo pipefail
. bin/service.sh
stop_server
start_server
node bin/wait-healthy.mjs "${KGD_DEMO_START_TIMEOUT:-60}"
