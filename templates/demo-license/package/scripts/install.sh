#!/usr/bin/env bash
# install: prepares the install dir; never starts anything. Idempotent: the deployer may run it again.
set -euo pipefail
. bin/service.sh
require_node
mkdir -p run log
chmod 700 run log
echo "installed in $PWD (node $(node --version))"
