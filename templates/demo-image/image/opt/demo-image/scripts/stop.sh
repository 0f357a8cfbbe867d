#!/usr/bin/env bash
# stop: expiry and freeze. The server and its disk stay; start.sh brings the app back.
set -euo pipefail
. bin/service.sh
stop_server
