#!/usr/bin/env bash
# Installs what building and testing iot_lakehouse needs on Debian 12, only
# when something is missing.  Uses sudo when not root.
set -euo pipefail

packages=(
	postgresql-15 postgresql-server-dev-15 postgresql-contrib
	postgresql-15-pgtap pgtap
	postgresql-15-cron
	libcsv-dev libjansson-dev libsnappy-dev libzstd-dev zlib1g-dev liblz4-dev
	build-essential clang libclang-rt-14-dev nodejs npm
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
# nodejs may come from elsewhere than Debian: accept any working node and npm
if command -v node >/dev/null && command -v npm >/dev/null; then
	tmp=()
	for p in "${missing[@]}"; do [[ "$p" == nodejs || "$p" == npm ]] || tmp+=("$p"); done
	missing=("${tmp[@]+"${tmp[@]}"}")
fi

if [ ${#missing[@]} -gt 0 ]; then
	echo "installing: ${missing[*]}"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
