# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Sourced by bench/run.sh and bench/ablate.sh.

# Prints a loopback TCP port nothing listens on now; fails when 100 tries found none.
free_port() {
	local p i
	for i in $(seq 100); do
		p=$((20000 + RANDOM % 40000))
		# A refused connection: nobody listens there (a system redis keeps 6379, never in range).
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}
