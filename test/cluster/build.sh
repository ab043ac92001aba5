#!/usr/bin/env bash
# Builds the pinned upstream components of the local control plane from the Go
# module proxy and caches them outside the repository, keyed by component,
# version and the hash of the pinning go.sum. A warm cache makes this a no-op.
#
# Usage: test/cluster/build.sh            build whatever is missing
#        test/cluster/build.sh --print    print the bin directory of each group
# Env:   WHEELHOUSE_CACHE (default ~/.cache/wheelhouse)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${WHEELHOUSE_CACHE:-$HOME/.cache/wheelhouse}"
export PATH="/usr/local/go/bin:$PATH"
# Two cores here: building with more parallelism only costs memory.
export GOFLAGS="${GOFLAGS:--buildvcs=false} -trimpath"
export CGO_ENABLED=0

# group  version-source-module  binaries(name=package)
groups=(
  "etcd|go.etcd.io/etcd/server/v3|etcd=go.etcd.io/etcd/server/v3"
  "kubernetes|k8s.io/kubernetes|kube-apiserver=k8s.io/kubernetes/cmd/kube-apiserver kube-controller-manager=k8s.io/kubernetes/cmd/kube-controller-manager kube-scheduler=k8s.io/kubernetes/cmd/kube-scheduler kubectl=k8s.io/kubernetes/cmd/kubectl"
  "kwok|sigs.k8s.io/kwok|kwok=sigs.k8s.io/kwok/cmd/kwok kwokctl=sigs.k8s.io/kwok/cmd/kwokctl"
  "helm|helm.sh/helm/v3|helm=helm.sh/helm/v3/cmd/helm"
  # Dex (OIDC provider for SSO tests and `wheelhouse demo --sso`). Built without cgo: its sqlite
  # storage is then unavailable, and the tests use Dex's in-memory storage.
  "dex|github.com/dexidp/dex|dex=github.com/dexidp/dex/cmd/dex"
  "metrics-server|sigs.k8s.io/metrics-server|metrics-server=sigs.k8s.io/metrics-server/cmd/metrics-server"
)

# A group may carry patches to its upstream module (go/<group>/patches/*.patch, -p1 from the
# module's root): fixes the upstream has not made, each explained at its top. They are part of
# the cache key, so a changed patch builds anew.
patches_of() { # group -> its patch files, sorted (none: nothing)
  compgen -G "$here/go/$1/patches/*.patch" | LC_ALL=C sort || true
}

bindir_of() { # group module -> cache dir for that group's pinned build
  local group=$1 module=$2 version sum patches
  version=$(cd "$here/go/$group" && go list -m -f '{{.Version}}' "$module")
  mapfile -t patches < <(patches_of "$group")
  # Without patches this is the hash of go.sum alone, as it always was.
  sum=$(cat "$here/go/$group/go.sum" "${patches[@]}" | sha256sum | cut -c1-12)
  echo "$cache/bin/$group-$version-$sum"
}

# Builds with the group's patches applied to a copy of the upstream module: a temporary go.mod
# replaces the module by that copy (the pinned go.mod and go.sum stay as they are).
patched_modfile=""
prepare_patched() { # group module -> sets patched_modfile ("" when the group has no patches)
  local group=$1 module=$2 dir work p patches
  patched_modfile=""
  mapfile -t patches < <(patches_of "$group")
  [[ ${#patches[@]} -gt 0 ]] || return 0
  dir=$(cd "$here/go/$group" && go mod download -json "$module" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  [[ -n "$dir" ]] || { echo "[cluster build] cannot locate $module in the module cache" >&2; return 1; }
  work=$(mktemp -d "${TMPDIR:-/tmp}/wheelhouse-$group-XXXXXX")
  cp -r "$dir" "$work/src"
  chmod -R u+w "$work/src"
  for p in "${patches[@]}"; do
    echo "[cluster build] $group: applying $(basename "$p")" >&2
    # Outside any repository, git apply works as patch(1) does (GIT_CEILING_DIRECTORIES: no repo found above).
    (cd "$work/src" && GIT_CEILING_DIRECTORIES="$work" git apply -p1 "$p")
  done
  cp "$here/go/$group/go.mod" "$work/go.mod"
  cp "$here/go/$group/go.sum" "$work/go.sum"
  (cd "$here/go/$group" && go mod edit -modfile="$work/go.mod" -replace="$module=$work/src")
  patched_modfile="$work/go.mod"
}

# Kubernetes (and helm) stamp their version at link time (hack/lib/version.sh); without it
# the binaries report v0.0.0-master and kwokctl cannot pick their flags.
version_ldflags() {
  local group=$1 module=$2 v
  v=$(cd "$here/go/$group" && go list -m -f '{{.Version}}' "$module")
  if [[ "$group" == helm ]]; then echo "-X helm.sh/helm/v3/internal/version.version=$v"; return 0; fi
  # metrics-server's Makefile stamps client-go's version (kwokctl reads it with --version).
  if [[ "$group" == metrics-server ]]; then echo "-X k8s.io/client-go/pkg/version.gitVersion=$v"; return 0; fi
  [[ "$group" == kubernetes ]] || return 0
  local major=${v#v}; major=${major%%.*}
  local minor=${v#v*.}; minor=${minor%%.*}
  local x
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    x+=" -X $pkg.gitVersion=$v -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    x+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  echo "$x"
}

start=$(date +%s)
for g in "${groups[@]}"; do
  IFS='|' read -r group module bins <<<"$g"
  dir=$(bindir_of "$group" "$module")
  if [[ "${1:-}" == "--print" ]]; then echo "$group=$dir"; continue; fi
  patched_modfile=""
  prepared=0
  for pair in $bins; do
    name=${pair%%=*} pkg=${pair#*=}
    if [[ -x "$dir/$name" ]]; then continue; fi
    if [[ $prepared == 0 ]]; then prepare_patched "$group" "$module"; prepared=1; fi
    mkdir -p "$dir"
    t0=$(date +%s)
    echo "[cluster build] $name ($module $(basename "$dir" | sed "s/^$group-//")) ... (elapsed $(( t0 - start ))s)" >&2
    (cd "$here/go/$group" && go build ${patched_modfile:+-modfile="$patched_modfile"} -ldflags="-s -w $(version_ldflags "$group" "$module")" -o "$dir/$name.tmp" "$pkg")
    mv "$dir/$name.tmp" "$dir/$name"
    echo "[cluster build] $name done in $(( $(date +%s) - t0 ))s" >&2
  done
  if [[ -n "$patched_modfile" ]]; then rm -rf "$(dirname "$patched_modfile")"; fi
done
