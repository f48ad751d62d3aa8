#!/usr/bin/env bash
# Scene loading, side by side on the same 1M-vertex / 2M-face binary PLY (+ segs + aggregation):
# inst3d's loadScene, Open3D's read_triangle_mesh (python3-open3d) and CloudCompare -SILENT -O.
#   bench/scene_load.sh [BUILD_DIR]      (installs the peers from Debian if missing)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${1:-$HERE/build}"
DATA="${INST3D_BENCH_DATA:-/tmp/inst3d-bench/scene9999_00}"
BIN="$BUILD/bench/inst3d_bench_scene_load"
[ -x "$BIN" ] || { echo "build first: cmake --build $BUILD --target inst3d_bench_scene_load" >&2; exit 2; }
for pkg in python3-open3d cloudcompare; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null
done
mkdir -p "$DATA"
"$BIN" "$DATA" >/dev/null   # writes the scene once
PLY="$DATA/scene9999_00_vh_clean_2.ply"
cat "$PLY" "$DATA"/*.json > /dev/null   # warm the page cache for everyone alike

echo "== inst3d (PLY + segs + aggregation -> Scene with instances)"
"$BIN" "$DATA" --runs 7

echo "== Open3D $(/usr/bin/python3 -c 'import open3d;print(open3d.__version__)' 2>/dev/null) read_triangle_mesh (PLY only)"
/usr/bin/python3 - "$PLY" <<'PY'
import sys, time, resource, open3d as o3d
times = []
for _ in range(7):
    t = time.perf_counter(); m = o3d.io.read_triangle_mesh(sys.argv[1]); times.append(time.perf_counter() - t)
times.sort()
print(f"  vertices {len(m.vertices)} faces {len(m.triangles)}")
print(f"  median {times[3]:.3f} s  min {times[0]:.3f} s  peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024:.1f} MB")
PY

echo "== CloudCompare -SILENT -O (PLY only; its own timing line)"
for i in 1 2 3; do
  ( cd /tmp && QT_QPA_PLATFORM=offscreen CloudCompare -SILENT -NO_TIMESTAMP -O "$PLY" 2>&1 | grep -E "Found one mesh|finished in" )
done
