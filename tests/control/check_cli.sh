#!/bin/sh
# check_cli.sh ANYCASTD EXPECTED_STATUS EXPECTED_TEXT ARGS...
# Runs anycastd with ARGS; passes if it exits with EXPECTED_STATUS and its output contains
# EXPECTED_TEXT (a fixed string).
anycastd=$1 status=$2 text=$3
shift 3
out=$("$anycastd" "$@" 2>&1)
rc=$?
printf '%s\n' "$out"
if [ "$rc" -ne "$status" ]; then
  echo "FAIL: exit status $rc, expected $status"
  exit 1
fi
case $out in
  *"$text"*) exit 0 ;;
esac
echo "FAIL: output does not contain: $text"
exit 1
