#!/usr/bin/env bash
# Installs, from Debian's packages, the real servers and tools the test suite runs against.
# Idempotent: only what is missing is installed. Services the packages start are stopped again.
set -euo pipefail
need=()
command -v redis-server >/dev/null || need+=(redis-server)
[ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql)
command -v nginx >/dev/null || need+=(nginx)
[ -e /usr/lib/nginx/modules/ngx_rtmp_module.so ] || need+=(libnginx-mod-rtmp)
command -v rtmpdump >/dev/null || need+=(rtmpdump)
command -v ffmpeg >/dev/null || need+=(ffmpeg)
command -v chromium >/dev/null || need+=(chromium)
command -v openssl >/dev/null || need+=(openssl)
[ ${#need[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}"
# Where systemd starts the packaged services on install, stop them: the tests start their own.
for service in redis-server postgresql nginx; do
  $sudo systemctl disable --now "$service" >/dev/null 2>&1 || true
done
