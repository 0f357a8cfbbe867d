#!/usr/bin/env bash
# start: first boot and unfreeze. Refuses unless the license is valid, then waits until it serves.
set -euo pipefail
. bin/service.sh
start_server
node bin/wait-healthy.mjs "${KGD_DEMO_START_TIMEOUT:-60}"
