#!/usr/bin/env bash
# Writes inst3d's man page (roff, gzip -9n) from the binary's own --help and each verb's --help, so the
# page says exactly what the CLI does.  packaging/make_manpage.sh INST3D_BINARY OUT.1.gz
# The date is SOURCE_DATE_EPOCH's when set (reproducible packages), else today's.
set -euo pipefail
bin=$1 out=$2
roff() {  # preformatted text as roff: backslashes, leading dots/quotes and hyphens escaped
  sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/" -e 's/-/\\-/g'
}
help=$("$bin" --help)
version=$("$bin" --version | head -n 1)
verbs=$(printf '%s\n' "$help" | sed -n '/^verbs:/,/^$/s/^  \([a-z][a-z0-9-]*\) .*/\1/p')
[ -n "$verbs" ] || { echo "make_manpage.sh: $bin --help lists no verbs" >&2; exit 1; }
day=$(date -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}" +%Y-%m-%d)
tmp="$out.tmp-$$"
trap 'rm -f "$tmp"' EXIT
{
  printf '.TH INST3D 1 "%s" "%s" "User Commands"\n' "$day" "$version"
  printf '.SH NAME\ninst3d \\- talk with 3D scenes: an Inst3D-LMM viewer and headless tools\n'
  printf '.SH SYNOPSIS\n.B inst3d\n[\\-\\-help] [\\-\\-version] \\fIVERB\\fR [\\fIARGS\\fR...]\n'
  printf '.br\n.B inst3d\n\\fIVERB\\fR \\-\\-help\n'
  printf '.SH DESCRIPTION\n.nf\n'
  printf '%s\n' "$help" | sed '1,/^$/d' | roff
  printf '.fi\n.SH VERBS\n'
  for verb in $verbs; do
    printf '.SS %s\n.nf\n' "$verb"
    "$bin" "$verb" --help | roff
    printf '.fi\n'
  done
  cat <<'ROFF'
.SH ENVIRONMENT
.TP
.B INST3D_RESOURCES
the resource folder (demo scene, demo model, prompts, configurations) instead of the installed
\fI<prefix>/share/inst3d\fR beside \fI<prefix>/bin\fR
.TP
.B INST3D_THREADS
intra-op threads of the neural verbs (default: every CPU the process may use)
.TP
.B XDG_CACHE_HOME
feature caches made for scenes in folders inst3d may not write go to \fI$XDG_CACHE_HOME/inst3d/features\fR
.SH FILES
.TP
.I <prefix>/share/inst3d
the bundled demo scene and model, prompts and training configurations
.SH EXIT STATUS
0 on success, 2 on a usage error (unknown option, bad value), 1 on any other error (the message names
the file and the problem).
.SH SEE ALSO
The project's README and docs/ folder.
ROFF
} > "$tmp"
gzip -9n < "$tmp" > "$out"
