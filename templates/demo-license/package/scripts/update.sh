#!/usr/bin/env bash
# update: after a renewal the deployer has written the new license. The server re-reads it on every
# request, so there is nothing to restart: check it, make sure the server runs, and that it serves it.
set -euo pipefail
. bin/service.sh
node bin/license.mjs
start_server
node bin/wait-healthy.mjs "${KGD_DEMO_START_TIMEOUT:-60}"
