#!/usr/bin/env bash
# Installs inst3d the three ways a user gets it and runs it from there, far from the source tree:
#   1. `cmake --install` into a throwaway DESTDIR with prefix /usr (what a distribution's build does),
#   2. the Debian package from `cpack -G DEB`, unpacked with dpkg-deb,
#   3. the relocatable tarball from `cpack -G TGZ`, unpacked into a folder with an unusual name.
# Each copy must find its own share/inst3d (`--version` says which), open the demo scene, answer with the
# bundled demo model and render a screenshot. The desktop entry, the MIME types, the man page and the
# bash completion are checked with the tools a desktop uses, and lintian may raise only the tags that
# packaging/lintian.md explains.
#   tests/packaging/install_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
SRC=$(cd "$1" && pwd)
BUILD=$(cd "$2" && pwd)
TMP=$(mktemp -d /tmp/inst3d-install-test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

# Rendering needs an X server: the test runs under tools/test.sh's xvfb-run; alone, start one.
if [ -z "${DISPLAY-}" ]; then exec xvfb-run -a -s "-screen 0 1280x1024x24" bash "$0" "$@"; fi

# The installed copies must not lean on the checkout: no resource override, no source-relative paths.
unset INST3D_RESOURCES
export XDG_CACHE_HOME="$TMP/cache" HOME="$TMP/home"
mkdir -p "$HOME"
cd "$TMP"

expect_files() {  # $1 root (prefix), then paths below it
  local root=$1 f
  shift
  for f in "$@"; do [ -s "$root/$f" ] || fail "$root/$f was not installed"; done
}
INSTALLED=(bin/inst3d share/applications/inst3d.desktop share/mime/packages/inst3d.xml
  share/icons/hicolor/scalable/apps/inst3d.svg share/bash-completion/completions/inst3d
  share/man/man1/inst3d.1.gz share/doc/inst3d/copyright share/doc/inst3d/changelog.gz
  share/inst3d/demo/scene0000_00/scene0000_00_vh_clean_2.ply share/inst3d/models/demo/checkpoint/checkpoint.json)

run_copy() {  # $1 prefix of an installed copy, $2 a name for messages: it runs from there alone
  local prefix=$1 name=$2 bin=$1/bin/inst3d
  expect_files "$prefix" "${INSTALLED[@]}"
  local res
  res=$("$bin" --version | sed -n 's/^resources: //p')
  [ "$res" = "$prefix/share/inst3d" ] && pass "$name: --version names $res" ||
    fail "$name: --version names resources '$res', not $prefix/share/inst3d"
  "$bin" info --json > "$TMP/$name-info.json" && grep -q '"vertices"' "$TMP/$name-info.json" &&
    pass "$name: info on the default demo scene" || fail "$name: info on the default demo scene"
  "$bin" chat --ask "Where is the couch?" --json > "$TMP/$name-chat.json" 2> "$TMP/$name-chat.err" &&
    grep -q '"answer"' "$TMP/$name-chat.json" && pass "$name: chat --ask with the bundled demo model" ||
    { fail "$name: chat --ask with the bundled demo model"; cat "$TMP/$name-chat.err" >&2; }
  "$bin" view --screenshot "$TMP/$name.png" --size 320x240 > /dev/null 2> "$TMP/$name-view.err" &&
    [ "$(identify -format '%wx%h' "$TMP/$name.png" 2>/dev/null)" = 320x240 ] &&
    [ "$(convert "$TMP/$name.png" -format '%[fx:standard_deviation>0.02]' info:)" = 1 ] &&
    pass "$name: view --screenshot renders the demo scene" ||
    { fail "$name: view --screenshot renders the demo scene"; cat "$TMP/$name-view.err" >&2; }
}

check_desktop_integration() {  # $1 prefix
  local prefix=$1
  desktop-file-validate "$prefix/share/applications/inst3d.desktop" && pass "desktop-file-validate" ||
    fail "desktop-file-validate"
  mkdir -p "$TMP/mime/packages"
  cp "$prefix/share/mime/packages/inst3d.xml" "$TMP/mime/packages/"
  update-mime-database "$TMP/mime" > /dev/null 2>&1  # it warns that a throwaway folder is not searched
  grep -q ':application/x-scannet-sens:\*\.sens$' "$TMP/mime/globs2" &&
    grep -q ':model/x-scannet-mesh:\*_vh_clean_2\.ply$' "$TMP/mime/globs2" &&
    pass "update-mime-database knows *.sens and *_vh_clean_2.ply" || fail "MIME globs missing from globs2"
}

check_manpage() {  # $1 prefix: every verb of --help has its section
  local prefix=$1 verb missing=0
  local page
  page=$(zcat "$prefix/share/man/man1/inst3d.1.gz")
  for verb in $("$prefix/bin/inst3d" --help | sed -n '/^verbs:/,/^$/s/^  \([a-z][a-z0-9-]*\) .*/\1/p'); do
    grep -qx "\.SS $verb" <<< "$page" || { fail "man page lacks verb $verb"; missing=1; }
  done
  [ "$missing" = 0 ] && pass "man page has a section per verb"
  MANWIDTH=100 man -l "$prefix/share/man/man1/inst3d.1.gz" 2> "$TMP/man.err" | grep -q "^VERBS" &&
    ! grep -q warning "$TMP/man.err" && pass "man renders the page without warnings" ||
    { fail "man renders the page"; cat "$TMP/man.err" >&2; }
}

check_completion() {  # $1 prefix: complete a verb, then an option, as bash would
  local prefix=$1
  local got
  got=$(PATH="$prefix/bin:$PATH" bash -c '
    source "$1"
    COMP_WORDS=(inst3d ch); COMP_CWORD=1; _inst3d; printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "; echo
    COMP_WORDS=(inst3d view --scr); COMP_CWORD=2; _inst3d; echo "${COMPREPLY[*]}"' _ \
    "$prefix/share/bash-completion/completions/inst3d")
  [ "$(sed -n 1p <<< "$got")" = "chat chat-llm " ] && [ "$(sed -n 2p <<< "$got")" = "--screenshot" ] &&
    pass "bash completion: verbs and options" || fail "bash completion gave: $got"
}

check_lintian() {  # $1 the .deb: only the tags packaging/lintian.md explains
  local deb=$1 tag
  lintian --tag-display-limit 0 "$deb" > "$TMP/lintian.txt" 2>/dev/null || true  # nonzero on any E: tag
  sed -n 's/^[EWIP]: inst3d: \([a-z0-9-]*\).*/\1/p' "$TMP/lintian.txt" | sort -u > "$TMP/tags"
  for tag in $(cat "$TMP/tags"); do
    grep -q "^| $tag |" "$SRC/packaging/lintian.md" || fail "lintian tag $tag is not explained in packaging/lintian.md"
  done
  pass "lintian: $(tr '\n' ' ' < "$TMP/tags")(all explained)"
}

# 1. cmake --install into a DESTDIR
DESTDIR="$TMP/destdir" cmake --install "$BUILD" --prefix /usr > "$TMP/install.log"
run_copy "$TMP/destdir/usr" destdir
check_desktop_integration "$TMP/destdir/usr"
check_manpage "$TMP/destdir/usr"
check_completion "$TMP/destdir/usr"

# 2. and 3. the packages
cpack -G "DEB;TGZ" --config "$BUILD/CPackConfig.cmake" -B "$TMP/pkgs" > "$TMP/cpack.log"
deb=$(ls "$TMP"/pkgs/inst3d_*_amd64.deb)
tgz=$(ls "$TMP"/pkgs/inst3d-*.tar.gz)
depends=$(dpkg-deb -f "$deb" Depends)
grep -q "libtorch" <<< "$depends" && pass "the .deb depends on libtorch (dpkg-shlibdeps)" ||
  fail "the .deb's Depends lacks libtorch"
dpkg-deb -x "$deb" "$TMP/debroot"
run_copy "$TMP/debroot/usr" deb
check_lintian "$deb"
mkdir -p "$TMP/some where/else"
tar -xzf "$tgz" -C "$TMP/some where/else"
run_copy "$(ls -d "$TMP/some where/else"/inst3d-*)" tgz

[ "$failures" = 0 ] || { echo "$failures check(s) failed" >&2; exit 1; }
echo "all install checks passed"
