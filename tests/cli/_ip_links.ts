/**
 * Output of `ip -j link show` (iproute2 6.1) for the interface choice.
 */

/**
 * Captured in a network namespace holding a veth whose peer is in another
 * namespace (eth0), a macvlan on it (mv0), a bridge (br0) and a tun device
 * (tun0).
 */
export const CAPTURED_LINKS = `[
  {
    "ifindex": 1,
    "ifname": "lo",
    "flags": [
      "LOOPBACK",
      "UP",
      "LOWER_UP"
    ],
    "mtu": 65536,
    "qdisc": "noqueue",
    "operstate": "UNKNOWN",
    "linkmode": "DEFAULT",
    "group": "default",
    "txqlen": 1000,
    "link_type": "loopback",
    "address": "00:00:00:00:00:00",
    "broadcast": "00:00:00:00:00:00"
  },
  {
    "ifindex": 2,
    "link_index": 2,
    "ifname": "eth0",
    "flags": [
      "NO-CARRIER",
      "BROADCAST",
      "MULTICAST",
      "UP",
      "LOWER_UP"
    ],
    "mtu": 1500,
    "qdisc": "noqueue",
    "operstate": "DOWN",
    "linkmode": "DEFAULT",
    "group": "default",
    "txqlen": 1000,
    "link_type": "ether",
    "address": "3e:37:13:e8:a1:ca",
    "broadcast": "ff:ff:ff:ff:ff:ff",
    "link_netnsid": 0
  },
  {
    "ifindex": 3,
    "link": "eth0",
    "ifname": "mv0",
    "flags": [
      "BROADCAST",
      "MULTICAST",
      "UP",
      "LOWER_UP"
    ],
    "mtu": 1500,
    "qdisc": "noqueue",
    "operstate": "UP",
    "linkmode": "DEFAULT",
    "group": "default",
    "txqlen": 1000,
    "link_type": "ether",
    "address": "4e:23:d6:cf:e3:d9",
    "broadcast": "ff:ff:ff:ff:ff:ff"
  },
  {
    "ifindex": 4,
    "ifname": "br0",
    "flags": [
      "BROADCAST",
      "MULTICAST",
      "UP",
      "LOWER_UP"
    ],
    "mtu": 1500,
    "qdisc": "noqueue",
    "operstate": "UNKNOWN",
    "linkmode": "DEFAULT",
    "group": "default",
    "txqlen": 1000,
    "link_type": "ether",
    "address": "22:6d:ae:37:72:36",
    "broadcast": "ff:ff:ff:ff:ff:ff"
  },
  {
    "ifindex": 5,
    "ifname": "tun0",
    "flags": [
      "NO-CARRIER",
      "POINTOPOINT",
      "MULTICAST",
      "NOARP",
      "UP"
    ],
    "mtu": 1500,
    "qdisc": "pfifo_fast",
    "operstate": "DOWN",
    "linkmode": "DEFAULT",
    "group": "default",
    "txqlen": 500,
    "link_type": "none"
  }
]`;

/**
 * The fallback devices a kernel adds to every namespace once ipip, ip_gre,
 * sit and ip6_tunnel are loaded, in the shape iproute2 prints them (`"link":
 * null` is its "@NONE"). The kernel the capture above was taken on has none
 * of these modules, so they are written out by hand.
 */
export const FALLBACK_TUNNELS = `[
  {
    "ifindex": 6,
    "link": null,
    "ifname": "tunl0",
    "flags": [
      "NOARP"
    ],
    "mtu": 1480,
    "qdisc": "noop",
    "operstate": "DOWN",
    "linkmode": "DEFAULT",
    "group": "default",
    "txqlen": 1000,
    "link_type": "ipip",
    "address": "0.0.0.0",
    "broadcast": "0.0.0.0"
  },
  {
    "ifindex": 7,
    "link": null,
    "ifname": "gre0",
    "flags": [
      "NOARP"
    ],
    "mtu": 1476,
    "qdisc": "noop",
    "operstate": "DOWN",
    "linkmode": "DEFAULT",
    "group": "default",
    "txqlen": 1000,
    "link_type": "gre",
    "address": "0.0.0.0",
    "broadcast": "0.0.0.0"
  },
  {
    "ifindex": 8,
    "link": null,
    "ifname": "gretap0",
    "flags": [
      "BROADCAST",
      "MULTICAST"
    ],
    "mtu": 1462,
    "qdisc": "noop",
    "operstate": "DOWN",
    "linkmode": "DEFAULT",
    "group": "default",
    "txqlen": 1000,
    "link_type": "ether",
    "address": "00:00:00:00:00:00",
    "broadcast": "ff:ff:ff:ff:ff:ff"
  },
  {
    "ifindex": 9,
    "link": null,
    "ifname": "erspan0",
    "flags": [
      "BROADCAST",
      "MULTICAST"
    ],
    "mtu": 1450,
    "qdisc": "noop",
    "operstate": "DOWN",
    "linkmode": "DEFAULT",
    "group": "default",
    "txqlen": 1000,
    "link_type": "ether",
    "address": "00:00:00:00:00:00",
    "broadcast": "ff:ff:ff:ff:ff:ff"
  },
  {
    "ifindex": 10,
    "link": null,
    "ifname": "sit0",
    "flags": [
      "NOARP"
    ],
    "mtu": 1480,
    "qdisc": "noop",
    "operstate": "DOWN",
    "linkmode": "DEFAULT",
    "group": "default",
    "txqlen": 1000,
    "link_type": "sit",
    "address": "0.0.0.0",
    "broadcast": "0.0.0.0"
  },
  {
    "ifindex": 11,
    "link": null,
    "ifname": "ip6tnl0",
    "flags": [
      "NOARP"
    ],
    "mtu": 1452,
    "qdisc": "noop",
    "operstate": "DOWN",
    "linkmode": "DEFAULT",
    "group": "default",
    "txqlen": 1000,
    "link_type": "tunnel6",
    "address": "::",
    "broadcast": "::"
  }
]`;
