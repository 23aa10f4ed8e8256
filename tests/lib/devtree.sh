#!/bin/sh
# devtree.sh DIR
#
# Print a canonical listing of the tree under DIR, one line per entry,
# sorted bytewise (LC_ALL=C) so two listings can be compared with diff:
#
#   PATH TYPE MODE UID GID [MAJ:MIN | -> TARGET]
#
#   bus/usb/001/001 c 0660 0 0 189:0
#   input d 0755 0 0
#   loop0 l 0777 0 0 -> loop/0
#
# TYPE is find's %y letter (c b d l f p s); MODE is the 4-digit octal
# permission bits including setuid/setgid/sticky; numbers, not names, for
# the owner: the tree is made in a private namespace whose /etc is not the
# one this script may later run with.
set -eu

if [ $# -ne 1 ] || [ ! -d "$1" ]; then
	echo "usage: $0 DIR" >&2
	exit 2
fi
cd "$1"

# find has no major/minor directive, so device numbers come from one
# `stat` over all nodes, joined to find's listing by path in awk.
# Nothing here may touch /dev/null: inside the test namespace /dev is the
# tree being listed, and a redirection would create /dev/null in it.
# Busybox makes nodes with umask 0, so odd modes (e.g. 0644 on a
# directory, 4755 on a node) are real results and must be shown exactly.
{
	find . -mindepth 1 \( -type c -o -type b \) \
		-exec stat -c 'N	%n	%Hr:%Lr' {} +
	find . -mindepth 1 -printf 'E	./%P	%y	%m	%U	%G	%l\n'
} | LC_ALL=C awk -F '\t' '
	$1 == "N" { num[$2] = $3; next }
	{
		path = substr($2, 3)
		mode = $4
		while (length(mode) < 4) mode = "0" mode	# %m gives 660, 4755
		line = path " " $3 " " mode " " $5 " " $6
		if ($3 == "c" || $3 == "b") line = line " " num[$2]
		if ($3 == "l") line = line " -> " $7
		print line
	}' | LC_ALL=C sort
