import type { Lease } from "../../lib/client/lease.ts";
import { DhcpOptions } from "../../lib/dhcp/options.ts";

/** A one-hour lease on eth0 acquired at monotonic time 1000 ms. */
export function sampleLease(overrides: Partial<Lease> = {}): Lease {
  return {
    interface: "eth0",
    address: "198.18.0.100",
    prefix: 24,
    serverIdentifier: "198.18.0.1",
    routers: ["198.18.0.1"],
    domainNameServers: ["198.18.0.53", "198.18.0.54"],
    domainSearch: ["example.test"],
    leaseTime: 3600,
    renewalTime: 1800,
    rebindingTime: 3150,
    acquiredAt: 1000,
    options: new DhcpOptions(),
    ...overrides,
  };
}
