#!/usr/bin/env bash
# Node.js 24 LTS first in PATH, on any machine that has npm. Where `node` is
# not 24 already, the official Node 24 binary comes from the npm registry's
# node-linux-<arch> package and is cached outside the checkout.
#   scripts/node.sh npm test      run one command with it
#   . scripts/node.sh             (sourced) put it first in this shell's PATH
# Sourced, it leaves the shell's options alone.
[ "${BASH_SOURCE[0]}" != "$0" ] || set -euo pipefail

svo_node_version="${SVO_NODE_VERSION:-24.22.3}"
svo_node_major="${svo_node_version%%.*}"

svo_current="$(node --version 2>/dev/null || echo v0)"
svo_current="${svo_current#v}"
if [ "${svo_current%%.*}" != "$svo_node_major" ]; then
  case "$(uname -m)" in
    x86_64) svo_arch=x64 ;;
    aarch64 | arm64) svo_arch=arm64 ;;
    *) echo "scripts/node.sh: no Node binary package for $(uname -m)" >&2; return 1 2>/dev/null || exit 1 ;;
  esac
  svo_dir="${SVO_NODE_CACHE:-$HOME/.cache/stateful-volume-operator}/node-v$svo_node_version-linux-$svo_arch"
  svo_bin="$svo_dir/node_modules/node-linux-$svo_arch/bin"
  if [ ! -x "$svo_bin/node" ]; then
    echo "installing Node $svo_node_version (node-linux-$svo_arch from the npm registry) into $svo_dir" >&2
    npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
      --prefix "$svo_dir" "node-linux-$svo_arch@$svo_node_version" >&2 || { return 1 2>/dev/null || exit 1; }
  fi
  export PATH="$svo_bin:$PATH"
fi

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  [ $# -gt 0 ] || { node --version; exit 0; }
  exec "$@"
fi
