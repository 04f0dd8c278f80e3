# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Sourced by bench/redis-case.sh.

# Prints a loopback TCP port nothing listens on now; fails when 100 tries found none. The port is
# below the kernel's ephemeral range (net.ipv4.ip_local_port_range), which outgoing connections
# take their ports from: a port in it can be held by a client socket, so that a server's bind
# fails although nothing listens there, and a client that then connects to it can be given that
# very port and connect to itself (redis-benchmark did, and spun at a full CPU).
free_port() {
	local p i low
	read -r low _ </proc/sys/net/ipv4/ip_local_port_range
	((low > 11024)) || { echo "free_port: the ephemeral range starts at $low, leaving no room below it" >&2; return 1; }
	for i in $(seq 100); do
		p=$((10000 + RANDOM % (low - 10000)))
		# A refused connection: nobody listens there (a system redis keeps 6379, never in range).
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}
