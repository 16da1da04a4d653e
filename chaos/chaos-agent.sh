#!/bin/sh
# A stand-in for a coding agent in the chaos executions scenarios: `chaos-agent.sh "<lines> <delay>"`
# prints "chaos-agent line <i> of <lines>" once every <delay> seconds on stdout, then exits 0.
# A shell script rather than Node: fifty of them run at once on a two-core machine.
set -- $1
lines=$1
delay=$2
i=1
while [ "$i" -le "$lines" ]; do
  echo "chaos-agent line $i of $lines"
  sleep "$delay"
  i=$((i + 1))
done
