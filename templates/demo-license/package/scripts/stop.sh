#!/usr/bin/env bash
# stop: expiry, freeze and release. Data and license stay; start brings the server back.
set -euo pipefail
. bin/service.sh
stop_server
