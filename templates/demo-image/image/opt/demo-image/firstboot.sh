#!/usr/bin/env bash
# First boot of a server created from the demo-image image. The deployer has written the license,
# its public key and .kgd/env, and runs this as root from /opt/demo-image with the env sourced.
# Idempotent: the deployer may run it again after a crash.
set -euo pipefail
. bin/service.sh
require_node
mkdir -p run log
chmod 700 run log
bash scripts/start.sh
