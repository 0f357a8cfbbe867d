#!/usr/bin/env bash
# uninstall: release. Stops the server and removes the install dir (program, license, logs).
set -euo pipefail
. bin/service.sh
stop_server
dir=$PWD
if [ -n "${KGD_INSTALL_DIR:-}" ] && [ "$dir" != "$KGD_INSTALL_DIR" ]; then
  echo "refusing to remove $dir: the hook runs outside KGD_INSTALL_DIR ($KGD_INSTALL_DIR)" >&2
  exit 1
fi
case "$dir" in
/ | /opt | /usr | /usr/* | /etc | /etc/* | /root | /home)
  echo "refusing to remove $dir" >&2
  exit 1
  ;;
esac
cd /
rm -rf -- "$dir"
echo "removed $dir"
