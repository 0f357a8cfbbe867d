#!/usr/bin/env bash
# poststart: succeeds once the server answers /healthz with the installed license.
set -euo pipefail
node bin/wait-healthy.mjs "${KGD_DEMO_START_TIMEOUT:-60}"
