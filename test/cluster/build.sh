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

bindir_of() { # group module -> cache dir for that group's pinned build
  local group=$1 module=$2 version sum
  version=$(cd "$here/go/$group" && go list -m -f '{{.Version}}' "$module")
  sum=$(sha256sum "$here/go/$group/go.sum" | cut -c1-12)
  echo "$cache/bin/$group-$version-$sum"
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
  for pair in $bins; do
    name=${pair%%=*} pkg=${pair#*=}
    if [[ -x "$dir/$name" ]]; then continue; fi
    mkdir -p "$dir"
    t0=$(date +%s)
    echo "[cluster build] $name ($module $(basename "$dir" | sed "s/^$group-//")) ... (elapsed $(( t0 - start ))s)" >&2
    (cd "$here/go/$group" && go build -ldflags="-s -w $(version_ldflags "$group" "$module")" -o "$dir/$name.tmp" "$pkg")
    mv "$dir/$name.tmp" "$dir/$name"
    echo "[cluster build] $name done in $(( $(date +%s) - t0 ))s" >&2
  done
done
